// Package testutils isolates kernel tests in network namespaces of their own.
package testutils

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netns"
)

const isolatedEnv = "CNMKIT_TEST_ISOLATED"

// IsRoot reports whether the tests run as root.
func IsRoot() bool { return os.Geteuid() == 0 }

// RequireRoot skips t unless it runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if !IsRoot() {
		t.Skip("skipped: needs root to create network namespaces")
	}
}

// IsolatedMain runs the package's tests. As root it re-executes the test
// binary in a new network and mount namespace, so that no goroutine of any
// test can touch the host's network namespace; the parent only waits.
// Use it as: func TestMain(m *testing.M) { testutils.IsolatedMain(m) }.
func IsolatedMain(m *testing.M) { IsolatedMainEach(m, "") }

// IsolatedMainEach is IsolatedMain running the tests once per variant,
// each in namespaces of its own with the variant ("KEY=value", or "" for
// none) added to the environment; it fails if any run fails. Without root
// the tests run once, without variants.
func IsolatedMainEach(m *testing.M, variants ...string) {
	if !IsRoot() || os.Getenv(isolatedEnv) == "1" {
		if IsRoot() {
			if err := ns.SetLoopbackUp(); err != nil {
				fmt.Fprintln(os.Stderr, "testutils: bring lo up:", err)
				os.Exit(2)
			}
		}
		os.Exit(m.Run())
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "testutils: find test binary:", err)
		os.Exit(2)
	}
	for _, v := range variants {
		cmd := exec.Command(self, os.Args[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		cmd.Env = append(os.Environ(), isolatedEnv+"=1")
		if v != "" {
			fmt.Fprintln(os.Stderr, "testutils: tests with", v)
			cmd.Env = append(cmd.Env, v)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Unshareflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS,
			Pdeathsig:    syscall.SIGKILL,
		}
		if err := cmd.Run(); err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				os.Exit(ee.ExitCode())
			}
			fmt.Fprintln(os.Stderr, "testutils: run isolated tests:", err)
			os.Exit(2)
		}
	}
	os.Exit(0)
}

// SetupTestOSContext locks the test's goroutine to its thread and moves the
// thread into a brand-new network namespace with loopback up. At cleanup the
// thread goes back to its namespace and is unlocked. Skips unless root.
func SetupTestOSContext(t testing.TB) netns.NsHandle {
	t.Helper()
	RequireRoot(t)
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		t.Fatalf("get netns: %v", err)
	}
	h, err := netns.New()
	if err != nil {
		orig.Close()
		runtime.UnlockOSThread()
		t.Fatalf("new netns: %v", err)
	}
	if err := ns.SetLoopbackUp(); err != nil {
		t.Fatalf("lo up: %v", err)
	}
	t.Cleanup(func() {
		if err := netns.Set(orig); err != nil {
			// Leave the thread locked: it dies with the goroutine.
			t.Errorf("restore netns: %v", err)
			return
		}
		orig.Close()
		h.Close()
		runtime.UnlockOSThread()
	})
	return h
}

// NewNS creates a namespace pinned under the test's temp dir, with loopback
// up, removed at cleanup. It returns the namespace's path and a handle.
func NewNS(t testing.TB, name string) (string, netns.NsHandle) {
	t.Helper()
	RequireRoot(t)
	path := filepath.Join(t.TempDir(), name)
	if err := ns.NewPinned(path, true); err != nil {
		t.Fatalf("create netns %s: %v", name, err)
	}
	h, err := netns.GetFromPath(path)
	if err != nil {
		_ = ns.RemovePinned(path)
		t.Fatalf("open netns %s: %v", path, err)
	}
	t.Cleanup(func() {
		h.Close()
		if err := ns.RemovePinned(path); err != nil {
			t.Errorf("remove netns %s: %v", path, err)
		}
	})
	return path, h
}

// InNS runs fn inside the namespace h and fails t on error.
func InNS(t testing.TB, h netns.NsHandle, fn func() error) {
	t.Helper()
	if err := ns.WithNetNS(h, fn); err != nil {
		t.Fatal(err)
	}
}
