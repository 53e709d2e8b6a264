package ns_test

import (
	"runtime"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netns"
)

func TestEnterInitial(t *testing.T) {
	testutils.RequireRoot(t)
	runtime.LockOSThread()
	initial, err := netns.Get() // an unlocked thread is in the initial namespace
	runtime.UnlockOSThread()
	if err != nil {
		t.Fatal(err)
	}
	defer initial.Close()
	for _, elsewhere := range []bool{true, false} {
		func() {
			if elsewhere {
				testutils.SetupTestOSContext(t) // locked in a new namespace until cleanup
			} else {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
			}
			if err := ns.EnterInitial(); err != nil {
				t.Fatal(err)
			}
			cur, err := netns.Get()
			if err != nil {
				t.Fatal(err)
			}
			defer cur.Close()
			if !cur.Equal(initial) {
				t.Fatalf("elsewhere=%v: thread not in the initial namespace", elsewhere)
			}
		}()
	}
}
