package libnetwork

import (
	"net"
	"sync"

	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// retiredMACs holds the left macvlan interfaces waiting for removal, by
// MAC. They are left up: setting a macvlan link down (or deleting it)
// waits for an RCU grace period holding the kernel's RTNL lock, which
// would stall this detach or the next attach; without its addresses the
// link carries nothing of ours. Up, it keeps its MAC taken on its parent,
// so an interface that needs that MAC (an endpoint re-created with the
// same address or MAC) first sets the left one down: the grace period is
// paid only then. Process-wide: a parent may carry the links of several
// controllers.
var retiredMACs = &macRegistry{m: map[string]*retiredLink{}}

type macRegistry struct {
	mu sync.Mutex
	m  map[string]*retiredLink
}

// retiredLink is a left macvlan link: a handle of its namespace (kept
// open until the link's removal, so that a sandbox deleted meanwhile
// cannot leave it up out of reach) and its index there.
type retiredLink struct {
	ns    netns.NsHandle
	index int
}

// add records the left link index of the namespace h (duplicated) with mac.
func (r *macRegistry) add(h netns.NsHandle, index int, mac net.HardwareAddr) *retiredLink {
	fd, err := unix.FcntlInt(uintptr(h), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	l := &retiredLink{ns: netns.NsHandle(fd), index: index}
	r.mu.Lock()
	old := r.m[mac.String()]
	r.m[mac.String()] = l
	r.mu.Unlock()
	if old != nil { // taken out of the map here: ours to release
		old.down()
		old.ns.Close()
	}
	return l
}

// forget drops l (its link is being removed) if it is still recorded;
// whoever takes an entry out of the map releases its handle.
func (r *macRegistry) forget(mac net.HardwareAddr, l *retiredLink) {
	r.mu.Lock()
	mine := r.m[mac.String()] == l
	if mine {
		delete(r.m, mac.String())
	}
	r.mu.Unlock()
	if mine {
		l.ns.Close()
	}
}

// free sets down the left link holding mac, if any.
func (r *macRegistry) free(mac net.HardwareAddr) {
	if mac == nil {
		return
	}
	r.mu.Lock()
	l := r.m[mac.String()]
	delete(r.m, mac.String())
	r.mu.Unlock()
	if l != nil {
		l.down()
		l.ns.Close()
	}
}

func (l *retiredLink) down() {
	nlh, err := netlink.NewHandleAt(l.ns)
	if err != nil {
		return
	}
	defer nlh.Close()
	err = nlh.LinkSetDown(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: l.index}})
	if err != nil && !nlraw.IsGone(err) {
		logrus.WithError(err).Warn("set a left macvlan interface down to free its MAC")
	}
}

// retiredMAC is a sandbox's entry of retiredMACs.
type retiredMAC struct {
	mac  net.HardwareAddr
	link *retiredLink
}
