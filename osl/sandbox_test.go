package osl

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func TestGenerateKeyAt(t *testing.T) {
	for _, tc := range []struct{ id, want string }{
		{"0123456789abcdef0123", "0123456789ab"},
		{"short", "short"},
		{"../../etc", ".._.._etc"},
		{"a/b", "a_b"},
		{"..", "_.."},
		{"", "_"},
	} {
		got := GenerateKeyAt("/run/x", tc.id)
		if want := "/run/x/netns/" + tc.want; got != want {
			t.Errorf("GenerateKeyAt(%q) = %q, want %q", tc.id, got, want)
		}
		if filepath.Dir(got) != "/run/x/netns" {
			t.Errorf("GenerateKeyAt(%q) = %q escapes the netns dir", tc.id, got)
		}
	}
}

func TestNewSandboxDestroy(t *testing.T) {
	root := setup(t)
	caller, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	key := GenerateKeyAt(root, "c1")
	sb, err := NewSandbox(key, true)
	if err != nil {
		t.Fatal(err)
	}
	if sb.Key() != key || !ns.IsNetNS(key) {
		t.Fatalf("key %q not pinned", key)
	}
	if h := nsOf(t, key); h.Equal(caller) {
		t.Fatal("sandbox is the caller's namespace")
	}
	lo, err := nlIn(t, key).LinkByName("lo")
	if err != nil || lo.Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("lo not up in sandbox: %v", err)
	}
	_, err = NewSandbox(key, true)
	mustClass(t, err, "conflict", types.IsConflict)

	if err := sb.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Fatalf("key still exists after Destroy: %v", err)
	}
	if err := sb.Destroy(); err != nil {
		t.Fatalf("second Destroy: %v", err)
	}
	mustClass(t, sb.AddInterface("x", "eth"), "forbidden", types.IsForbidden)
	mustClass(t, sb.SetGateway(ip("10.0.0.1")), "forbidden", types.IsForbidden)
	mustClass(t, sb.SetSysctl("net.ipv4.ip_forward", "1"), "forbidden", types.IsForbidden)
	mustClass(t, sb.InvokeFuncErr(func() error { return nil }), "forbidden", types.IsForbidden)
	_, err = sb.Statistics()
	mustClass(t, err, "forbidden", types.IsForbidden)
	now, _ := netns.Get()
	defer now.Close()
	if !now.Equal(caller) {
		t.Fatal("caller's namespace changed")
	}
}

func TestNewSandboxBadKey(t *testing.T) {
	root := setup(t)
	for _, key := range []string{"", "relative/key", root + "/netns/../x", "/"} {
		_, err := NewSandbox(key, true)
		mustClass(t, err, "bad request", types.IsBadRequest)
		if key != "" && !strings.Contains(err.Error(), fmt.Sprintf("%q", key)) {
			t.Errorf("error %q does not name key %q", err, key)
		}
	}
	// Restoring a key that is not a namespace.
	plain := filepath.Join(root, "plain")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewSandboxRestore(plain, true, true)
	mustClass(t, err, "not found", types.IsNotFound)
	_, err = NewSandboxRestore(filepath.Join(root, "missing"), true, true)
	mustClass(t, err, "not found", types.IsNotFound)
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Fatalf("bad keys left files behind: %v", entries)
	}
}

func TestDefaultSandbox(t *testing.T) {
	root := setup(t)
	caller, _ := netns.Get()
	defer caller.Close()
	sb, err := NewSandbox(GenerateKeyAt(root, "host"), false)
	if err != nil {
		t.Fatal(err)
	}
	if !nsOf(t, sb.Key()).Equal(caller) {
		t.Fatal("osCreate=false did not pin the caller's namespace")
	}
	veth(t, "dflt-a", netns.None(), "dflt-b", netns.None())
	if err := sb.AddInterface("dflt-b", "eth", WithAddress(cidr(t, "10.9.0.2/24"))); err != nil {
		t.Fatal(err)
	}
	if got := sb.Interfaces()[0].DstName(); got != "dflt-b" {
		t.Fatalf("interface in the default sandbox renamed to %q", got)
	}
	if err := sb.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sb.Key()); !os.IsNotExist(err) {
		t.Fatal("key left after Destroy")
	}
	// The caller's namespace and its links live on.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	now, _ := netns.Get()
	defer now.Close()
	if !now.Equal(caller) {
		t.Fatal("caller's namespace changed")
	}
	if _, err := netlink.LinkByName("dflt-b"); err != nil {
		t.Fatalf("link in the caller's namespace gone after Destroy: %v", err)
	}
}

func TestExternalKey(t *testing.T) {
	root := setup(t)
	path, h := testutils.NewNS(t, "runtime-ns")
	key := GenerateKeyAt(root, "ext")
	sb, err := GetSandboxForExternalKey(path, key)
	if err != nil {
		t.Fatal(err)
	}
	if !nsOf(t, key).Equal(h) {
		t.Fatal("key does not hold the runtime's namespace")
	}
	bornInside(t, sb, "ext-h", "ext-c")
	if err := sb.AddInterface("ext-c", "eth"); err != nil {
		t.Fatal(err)
	}
	_, err = GetSandboxForExternalKey(path, key)
	mustClass(t, err, "conflict", types.IsConflict)
	if err := sb.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Fatal("key left after Destroy")
	}
	if !ns.IsNetNS(path) {
		t.Fatal("Destroy unpinned the runtime's own namespace")
	}

	// /proc/<pid>/ns/net form: this thread's namespace.
	procPath := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
	sb2, err := GetSandboxForExternalKey(procPath, GenerateKeyAt(root, "proc"))
	if err != nil {
		t.Fatal(err)
	}
	if err := sb2.Destroy(); err != nil {
		t.Fatal(err)
	}

	plain := filepath.Join(root, "not-a-ns")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{plain, filepath.Join(root, "missing"), "", "/proc/self/ns/uts"} {
		k := GenerateKeyAt(root, "bad")
		_, err := GetSandboxForExternalKey(bad, k)
		mustClass(t, err, "bad request", types.IsBadRequest)
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("error %q does not name the path %q", err, bad)
		}
		if _, err := os.Stat(k); !os.IsNotExist(err) {
			t.Fatalf("rejected path %q left key %s behind", bad, k)
		}
	}
}

func TestGC(t *testing.T) {
	root := setup(t)
	keep := newSandbox(t, root, "keep")
	var gone []Sandbox
	for _, id := range []string{"stale1", "stale2"} {
		sb, err := NewSandbox(GenerateKeyAt(root, id), true)
		if err != nil {
			t.Fatal(err)
		}
		gone = append(gone, sb)
	}
	stray := keyIn(root, "stray-file")
	if err := os.WriteFile(stray, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := GCAt(root, map[string]bool{keep.Key(): true}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(root, netnsDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "keep" {
		t.Fatalf("after GC the netns dir holds %v, want only keep", entries)
	}
	if !ns.IsNetNS(keep.Key()) {
		t.Fatal("GC unpinned a kept sandbox")
	}
	for _, sb := range gone {
		if err := sb.Destroy(); err != nil {
			t.Fatalf("Destroy after GC: %v", err)
		}
	}
	if err := GCAt(filepath.Join(root, "nothing-here"), nil); err != nil {
		t.Fatalf("GC of a missing dir: %v", err)
	}
}

func TestInvoke(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "inv")
	want := nsOf(t, sb.Key())
	err := sb.InvokeFuncErr(func() error {
		cur, err := netns.Get()
		if err != nil {
			return err
		}
		defer cur.Close()
		if !cur.Equal(want) {
			return fmt.Errorf("InvokeFunc ran outside the sandbox")
		}
		_ = sb.Interfaces() // may call back into the sandbox
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustClass(t, sb.InvokeFuncErr(nil), "bad request", types.IsBadRequest)
	var names []string
	err = sb.InvokeNetlink(func(h *netlink.Handle) error {
		links, err := h.LinkList()
		for _, l := range links {
			names = append(names, l.Attrs().Name)
		}
		return err
	})
	if err != nil || len(names) != 1 || names[0] != "lo" {
		t.Fatalf("InvokeNetlink saw %v, %v; want only lo", names, err)
	}
}
