package osl

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func TestGenerateKey(t *testing.T) {
	base := filepath.Join(config.DefaultExecRoot, netnsDir)
	for _, tc := range []struct{ id, want string }{
		{"0123456789abcdef0123", "0123456789ab"},
		{"short", "short"},
		{"-0123456789abcdef", "-0123456789abcdef"},
		{"-a/b", "-a_b"},
		{"a/b", "a_b"},
		{"", "_"},
	} {
		if got, want := GenerateKey(tc.id), filepath.Join(base, tc.want); got != want {
			t.Errorf("GenerateKey(%q) = %q, want %q", tc.id, got, want)
		}
	}
	if got, want := GenerateKey("0123456789abcdef"), GenerateKeyAt(config.DefaultExecRoot, "0123456789abcdef"); got != want {
		t.Errorf("GenerateKey = %q, GenerateKeyAt(default exec root) = %q", got, want)
	}
}

// mounted reports whether path is a mount point in this mount namespace.
func mounted(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) > 4 && fields[4] == path {
			return true
		}
	}
	return false
}

func TestGCCollectsRemovedSandbox(t *testing.T) {
	root := setup(t)
	key := GenerateKeyAt(root, "gc-stacked")
	sb, err := NewSandbox(key, true)
	if err != nil {
		t.Fatal(err)
	}
	live := newSandbox(t, root, "gc-live")
	// A second mount stacked on the key: Destroy takes the top one off but
	// cannot delete a file that is still a mount point.
	if err := unix.Mount(key, key, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	mustClass(t, sb.Destroy(), "internal", types.IsInternal)
	if !mounted(t, key) || !ns.IsNetNS(key) {
		t.Fatal("the stacked mount is not there after Destroy: the test proves nothing")
	}
	GC()
	if mounted(t, key) {
		t.Fatalf("%s still mounted after GC", key)
	}
	if _, err := os.Stat(key); !os.IsNotExist(err) {
		t.Fatalf("%s still there after GC: %v", key, err)
	}
	if !ns.IsNetNS(live.Key()) {
		t.Fatal("GC unpinned a live sandbox")
	}
	if garbage.has(key) {
		t.Fatal("collected key still registered")
	}
	if err := sb.Destroy(); err != nil {
		t.Fatalf("Destroy after GC: %v", err)
	}
	GC() // nothing left: a no-op
	// The key can be used again.
	again, err := NewSandbox(key, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Destroy(); err != nil {
		t.Fatal(err)
	}
}

func TestNewSandboxReclaimsKeyLeftToGC(t *testing.T) {
	root := setup(t)
	key := GenerateKeyAt(root, "reclaim")
	sb, err := NewSandbox(key, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(key, key, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	mustClass(t, sb.Destroy(), "internal", types.IsInternal)
	sb2, err := NewSandbox(key, true)
	if err != nil {
		t.Fatalf("NewSandbox on a key left to GC: %v", err)
	}
	defer sb2.Destroy()
	if garbage.has(key) {
		t.Fatal("reclaimed key still registered as garbage")
	}
	if !ns.IsNetNS(key) {
		t.Fatal("new sandbox not pinned")
	}
}

func TestInitOSContext(t *testing.T) {
	testutils.RequireRoot(t)
	// Threads not locked by a test are in the initial namespace.
	runtime.LockOSThread()
	initial, err := netns.Get()
	runtime.UnlockOSThread()
	if err != nil {
		t.Fatal(err)
	}
	defer initial.Close()
	setup(t) // the thread is now locked in a namespace of the test's own
	cur, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	if cur.Equal(initial) {
		t.Fatal("the test thread is in the initial namespace: the test proves nothing")
	}
	cur.Close()
	done := InitOSContext()
	cur, err = netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	if !cur.Equal(initial) {
		t.Fatal("InitOSContext left the thread outside the initial namespace")
	}
	done()                   // SetupTestOSContext's lock remains (locks nest); its cleanup unlocks
	done2 := InitOSContext() // already in the initial namespace: stays there
	cur2, _ := netns.Get()
	defer cur2.Close()
	if !cur2.Equal(initial) {
		t.Fatal("InitOSContext moved a thread that was in the initial namespace")
	}
	done2()
}
