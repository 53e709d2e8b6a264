package parent

import (
	"errors"
	"net"
	"sync"

	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// aliasPrefix starts the alias that marks a sub-interface or dummy link as
// made by one of our drivers ("cnmkit-macvlan", "cnmkit-ipvlan"). The mark
// lives in the kernel with the link, so links left by a crash that no
// stored network knows of are still found, and links we did not make are
// never deleted. Each driver sweeps only its own: the registry keeps the
// drivers from sharing a parent.
const aliasPrefix = "cnmkit-"

// Link is a parent link as a network uses it.
type Link struct {
	Name    string
	Index   int
	MTU     int
	Created bool // made by us (a sub-interface or dummy), removed with its last network
}

// Host is one driver's view of the parent links of the controller's host
// namespace.
type Host struct {
	driver string
	ns     nsID
	nlh    *netlink.Handle
	alias  string

	mu     sync.Mutex
	claims map[string]string // network ID → parent link it claims
	closed bool
}

// NewHost returns driver's parent links in the namespace h, worked on
// through nlh (a handle in h).
func NewHost(driver string, h netns.NsHandle, nlh *netlink.Handle) (*Host, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(h), &st); err != nil {
		return nil, types.InternalErrorf("%s: identify the host namespace: %w", driver, err)
	}
	return &Host{driver: driver, ns: nsID{dev: uint64(st.Dev), ino: st.Ino}, nlh: nlh,
		alias: aliasPrefix + driver, claims: map[string]string{}}, nil
}

// Attach claims the parent link of network c.NetworkID: the link sp
// names, an 802.1q sub-interface sp.Name made on sp.Link when sp names no
// existing link, or, with internal, a dummy link of the network's own.
// It refuses a link that is a loopback or a bridge port, and a claim that
// conflicts with the link's other networks. On error nothing is claimed
// or created.
func (h *Host) Attach(c Claim, sp Spec, internal bool) (Link, error) {
	return h.attach(c, sp, internal, false)
}

// Readopt claims again the parent link of a network restored from the
// store, without the conflict check (the network was accepted once). A
// sub-interface or dummy link that is missing is made again.
func (h *Host) Readopt(c Claim, sp Spec, internal bool) (Link, error) {
	return h.attach(c, sp, internal, true)
}

func (h *Host) attach(c Claim, sp Spec, internal, restoring bool) (Link, error) {
	name := sp.Name
	if internal {
		name = DummyName(c.NetworkID)
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return Link{}, types.ForbiddenErrorf("%s driver is closed", h.driver)
	}
	if old, ok := h.claims[c.NetworkID]; ok {
		h.mu.Unlock()
		return Link{}, types.ConflictErrorf("%s network %s already claims parent %s", h.driver, c.NetworkID, old)
	}
	h.mu.Unlock()
	e := acquire(h.ns, name)
	defer release(h.ns, name, e)
	if err := e.check(name, c); err != nil && !restoring {
		return Link{}, err
	}
	l, err := h.find(name, sp, internal)
	if err != nil {
		return Link{}, err
	}
	e.claims = append(e.claims, c)
	h.mu.Lock()
	h.claims[c.NetworkID] = name
	h.mu.Unlock()
	return l, nil
}

// find returns the link name, made when it is ours to make. The caller
// holds the link's entry.
func (h *Host) find(name string, sp Spec, internal bool) (Link, error) {
	l, err := h.nlh.LinkByName(name)
	if err == nil {
		a := l.Attrs()
		if internal && a.Alias != h.alias {
			return Link{}, types.ConflictErrorf("%s: link %s exists and is not our dummy link", h.driver, name)
		}
		if err := usable(l); err != nil {
			return Link{}, err
		}
		return Link{Name: name, Index: a.Index, MTU: a.MTU, Created: a.Alias == h.alias}, nil
	}
	if !nlraw.IsGone(err) {
		return Link{}, types.InternalErrorf("%s: look up parent %s: %w", h.driver, name, err)
	}
	var nl netlink.Link
	switch {
	case internal:
		nl = &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: name, Flags: net.FlagUp, TxQLen: -1}}
	case sp.VID > 0:
		lower, err := h.nlh.LinkByName(sp.Link)
		if err != nil {
			if nlraw.IsGone(err) {
				return Link{}, types.NotFoundErrorf("parent %s: link %s (for VLAN %d) does not exist", sp.Name, sp.Link, sp.VID)
			}
			return Link{}, types.InternalErrorf("%s: look up link %s: %w", h.driver, sp.Link, err)
		}
		if err := usable(lower); err != nil {
			return Link{}, err
		}
		if lower.Attrs().Flags&net.FlagUp == 0 {
			// The kernel refuses to bring a VLAN up on a down link (ENETDOWN).
			return Link{}, types.BadRequestErrorf("parent %s: link %s is down: bring it up first", sp.Name, sp.Link)
		}
		nl = &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: name, Flags: net.FlagUp, ParentIndex: lower.Attrs().Index, TxQLen: -1},
			VlanId: sp.VID, VlanProtocol: netlink.VLAN_PROTOCOL_8021Q}
	case sp.vlanErr != nil:
		return Link{}, sp.vlanErr
	default:
		return Link{}, types.NotFoundErrorf("parent %s does not exist", name)
	}
	if err := h.nlh.LinkAdd(nl); err != nil {
		return Link{}, types.InternalErrorf("%s: create %s link %s: %w", h.driver, nl.Type(), name, err)
	}
	// The mark goes on at once; a link that cannot be marked is not kept.
	made, err := h.nlh.LinkByName(name)
	if err == nil {
		err = h.nlh.LinkSetAlias(made, h.alias)
	}
	if err != nil {
		h.delete(name)
		return Link{}, types.InternalErrorf("%s: mark %s link %s as ours: %w", h.driver, nl.Type(), name, err)
	}
	a := made.Attrs()
	logrus.WithFields(logrus.Fields{"driver": h.driver, "link": name, "type": nl.Type()}).Debug("created parent link")
	return Link{Name: name, Index: a.Index, MTU: a.MTU, Created: true}, nil
}

// usable refuses a loopback or a bridge port (or any enslaved link) as a parent.
func usable(l netlink.Link) error {
	a := l.Attrs()
	if a.Flags&net.FlagLoopback != 0 {
		return types.BadRequestErrorf("parent %s is a loopback link", a.Name)
	}
	if a.MasterIndex != 0 {
		return types.BadRequestErrorf("parent %s is a port of link index %d (a bridge or bond port cannot be a parent)", a.Name, a.MasterIndex)
	}
	return nil
}

// Detach drops the claim of network nid; the parent link goes with its
// last network when we made it.
func (h *Host) Detach(nid string) error {
	h.mu.Lock()
	name, ok := h.claims[nid]
	delete(h.claims, nid)
	h.mu.Unlock()
	if !ok {
		return nil
	}
	e := acquire(h.ns, name)
	defer release(h.ns, name, e)
	e.drop(nid)
	if len(e.claims) > 0 {
		return nil
	}
	return h.deleteOurs(name)
}

// deleteOurs deletes link name if it carries our mark.
func (h *Host) deleteOurs(name string) error {
	l, err := h.nlh.LinkByName(name)
	if err != nil {
		if nlraw.IsGone(err) {
			return nil
		}
		return types.InternalErrorf("%s: look up parent %s: %w", h.driver, name, err)
	}
	if l.Attrs().Alias != h.alias {
		return nil
	}
	if err := h.nlh.LinkDel(l); err != nil && !nlraw.IsGone(err) {
		return types.InternalErrorf("%s: delete %s link %s: %w", h.driver, l.Type(), name, err)
	}
	return nil
}

func (h *Host) delete(name string) {
	if l, err := h.nlh.LinkByName(name); err == nil {
		_ = h.nlh.LinkDel(l)
	}
}

// Sweep deletes the links marked as this driver's that no network claims:
// left by a crash, or by a network whose record is gone.
func (h *Host) Sweep() error {
	links, err := h.nlh.LinkList()
	if err != nil {
		return types.InternalErrorf("%s: list links: %w", h.driver, err)
	}
	var errs []error
	for _, l := range links {
		name := l.Attrs().Name
		if l.Attrs().Alias != h.alias {
			continue
		}
		e := acquire(h.ns, name)
		if len(e.claims) == 0 {
			if err := h.deleteOurs(name); err != nil {
				errs = append(errs, err)
			} else {
				logrus.WithFields(logrus.Fields{"driver": h.driver, "link": name}).Info("removed unclaimed parent link")
			}
		}
		release(h.ns, name, e)
	}
	return errors.Join(errs...)
}

// Close drops the driver's claims from the registry, leaving the links
// in the kernel for the next driver to readopt.
func (h *Host) Close() {
	h.mu.Lock()
	claims := h.claims
	h.claims = map[string]string{}
	h.closed = true
	h.mu.Unlock()
	for nid, name := range claims {
		e := acquire(h.ns, name)
		e.drop(nid)
		release(h.ns, name, e)
	}
}
