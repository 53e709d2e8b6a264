package ns

import (
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

// initialNS is the network namespace of the thread that ran the package's
// initialisation (the process's main thread, locked during init): the
// process's initial namespace.
var initialNS, initialErr = netns.Get()

// EnterInitial moves the calling thread into the process's initial network
// namespace when it is elsewhere. The caller has locked its OS thread.
func EnterInitial() error {
	if initialErr != nil {
		return types.InternalErrorf("initial netns unknown: %w", initialErr)
	}
	cur, err := netns.Get()
	if err != nil {
		return types.InternalErrorf("get current netns: %w", err)
	}
	defer cur.Close()
	if cur.Equal(initialNS) {
		return nil
	}
	if err := netns.Set(initialNS); err != nil {
		return types.InternalErrorf("enter initial netns: %w", err)
	}
	return nil
}
