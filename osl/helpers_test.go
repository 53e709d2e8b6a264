package osl

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

// setup isolates the test in a fresh namespace and returns an exec root.
func setup(t *testing.T) string {
	t.Helper()
	testutils.SetupTestOSContext(t)
	return t.TempDir()
}

// newSandbox creates a sandbox destroyed at cleanup.
func newSandbox(t testing.TB, root, id string) Sandbox {
	t.Helper()
	sb, err := NewSandbox(GenerateKeyAt(root, id), true)
	if err != nil {
		t.Fatalf("NewSandbox %s: %v", id, err)
	}
	t.Cleanup(func() {
		if err := sb.Destroy(); err != nil {
			t.Errorf("Destroy %s: %v", id, err)
		}
	})
	return sb
}

// nsOf opens the namespace pinned at key.
func nsOf(t testing.TB, key string) netns.NsHandle {
	t.Helper()
	h, err := netns.GetFromPath(key)
	if err != nil {
		t.Fatalf("open netns %s: %v", key, err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// nlIn returns a netlink handle inside the namespace pinned at key.
func nlIn(t testing.TB, key string) *netlink.Handle {
	t.Helper()
	h, err := netlink.NewHandleAt(nsOf(t, key))
	if err != nil {
		t.Fatalf("netlink handle in %s: %v", key, err)
	}
	t.Cleanup(h.Close)
	return h
}

// veth creates a veth pair: end a in namespace nsA and end b in nsB
// (netns.None() for the caller's namespace).
func veth(t testing.TB, a string, nsA netns.NsHandle, b string, nsB netns.NsHandle) {
	t.Helper()
	la := netlink.NewLinkAttrs()
	la.Name = a
	if nsA.IsOpen() {
		la.Namespace = netlink.NsFd(int(nsA))
	}
	v := &netlink.Veth{LinkAttrs: la, PeerName: b}
	if nsB.IsOpen() {
		v.PeerNamespace = netlink.NsFd(int(nsB))
	}
	if err := netlink.LinkAdd(v); err != nil {
		t.Fatalf("create veth %s/%s: %v", a, b, err)
	}
}

// bornInside creates a veth whose end in is born inside sb and whose other
// end host stays in the caller's namespace.
func bornInside(t testing.TB, sb Sandbox, host, in string) {
	t.Helper()
	veth(t, host, netns.None(), in, nsOf(t, sb.Key()))
}

func cidr(t testing.TB, s string) *net.IPNet {
	t.Helper()
	n, err := types.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func ip(s string) net.IP {
	x := net.ParseIP(s)
	if v4 := x.To4(); v4 != nil {
		return v4
	}
	return x
}

func mac(t testing.TB, s string) net.HardwareAddr {
	t.Helper()
	m, err := net.ParseMAC(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testutils.Eventually(t, what, 10*time.Second, testutils.Holds(cond))
}

// linkGone reports whether name is absent from the namespace of h.
func linkGone(h *netlink.Handle, name string) bool {
	_, err := h.LinkByName(name)
	var lnf netlink.LinkNotFoundError
	return errors.As(err, &lnf)
}

// mustClass checks that err is of the type class check.
func mustClass(t testing.TB, err error, class string, check func(error) bool) {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %s error, got nil", class)
	}
	if !check(err) {
		t.Fatalf("want a %s error, got %T: %v", class, err, err)
	}
}

func keyIn(root, name string) string { return filepath.Join(root, netnsDir, name) }

// readProc reads a /proc file of the calling thread's namespace, trimmed.
func readProc(path string) (string, error) {
	b, err := os.ReadFile(path)
	return strings.TrimSpace(string(b)), err
}
