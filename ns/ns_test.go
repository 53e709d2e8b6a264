package ns_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

func TestPinnedNamespace(t *testing.T) {
	testutils.RequireRoot(t)
	before, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	path := filepath.Join(t.TempDir(), "sb")
	if err := ns.NewPinned(path, true); err != nil {
		t.Fatal(err)
	}
	if !ns.IsNetNS(path) {
		t.Fatalf("%s is not a netns after NewPinned", path)
	}
	h, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	if h.Equal(before) {
		t.Fatal("pinned namespace is the caller's namespace")
	}
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	lo, err := nl.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	if lo.Attrs().Flags&1 == 0 {
		t.Fatal("lo is not up in the pinned namespace")
	}
	nl.Close()
	var inside netns.NsHandle
	if err := ns.WithNetNS(h, func() error {
		var e error
		inside, e = netns.Get()
		return e
	}); err != nil {
		t.Fatal(err)
	}
	if !inside.Equal(h) {
		t.Fatal("WithNetNS did not run inside the namespace")
	}
	inside.Close()
	h.Close()
	if err := ns.RemovePinned(path); err != nil {
		t.Fatal(err)
	}
	if ns.IsNetNS(path) {
		t.Fatal("namespace still pinned after RemovePinned")
	}
	if err := ns.NewPinned("/proc/does-not-exist/x", false); err == nil {
		t.Fatal("NewPinned on a bad path succeeded")
	}
	now, _ := netns.Get()
	defer now.Close()
	if !now.Equal(before) {
		t.Fatal("caller's namespace changed")
	}
}

func TestWorker(t *testing.T) {
	testutils.RequireRoot(t)
	_, h := testutils.NewNS(t, "worker")
	w, err := ns.NewWorker(h)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		err := w.Do(func() error {
			cur, err := netns.Get()
			if err != nil {
				return err
			}
			defer cur.Close()
			if !cur.Equal(h) {
				return fmt.Errorf("worker thread in %s, want %s", cur, h)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if err := w.Do(func() error { return nil }); !types.IsNoService(err) {
		t.Fatalf("Do after Close: %v", err)
	}
}
