package parent

import (
	"net"
	"sync"

	"github.com/cnmkit/libnetwork/types"
)

// Claim is a network's use of a parent link.
type Claim struct {
	Driver    string // "macvlan" or "ipvlan"
	NetworkID string
	Mode      string // the driver's mode option
	Subnets   []*net.IPNet
}

// nsID identifies a network namespace (its nsfs inode).
type nsID struct{ dev, ino uint64 }

// entry is the claims on one parent link of one namespace. Its mutex is
// held across the kernel work on the link (creating or deleting it), so
// that a claim never races the deletion of the link it claims.
type entry struct {
	mu     sync.Mutex
	users  int // holders of the entry, under regMu
	claims []Claim
}

// The registry is process-wide: the macvlan and ipvlan drivers of every
// controller of the process share it, each namespace apart.
var (
	regMu sync.Mutex
	reg   = map[nsID]map[string]*entry{}
)

// acquire returns the entry of link in ns, locked.
func acquire(ns nsID, link string) *entry {
	regMu.Lock()
	m := reg[ns]
	if m == nil {
		m = map[string]*entry{}
		reg[ns] = m
	}
	e := m[link]
	if e == nil {
		e = &entry{}
		m[link] = e
	}
	e.users++
	regMu.Unlock()
	e.mu.Lock()
	return e
}

// release unlocks e and forgets it when nothing holds or claims it.
func release(ns nsID, link string, e *entry) {
	empty := len(e.claims) == 0
	e.mu.Unlock()
	regMu.Lock()
	defer regMu.Unlock()
	e.users--
	if e.users == 0 && empty {
		delete(reg[ns], link)
		if len(reg[ns]) == 0 {
			delete(reg, ns)
		}
	}
}

// check returns a ConflictError when c cannot share link with the claims
// already on it: another driver, another mode, or an overlapping subnet.
func (e *entry) check(link string, c Claim) error {
	for _, o := range e.claims {
		if o.NetworkID == c.NetworkID {
			return types.ConflictErrorf("parent %s: network %s already claims it", link, c.NetworkID)
		}
		if o.Driver != c.Driver {
			return types.ConflictErrorf("parent %s carries %s network %s (mode %s): %s network %s (mode %s) cannot share it",
				link, o.Driver, o.NetworkID, o.Mode, c.Driver, c.NetworkID, c.Mode)
		}
		if o.Mode != c.Mode {
			return types.ConflictErrorf("parent %s carries %s network %s in mode %s: network %s in mode %s cannot share it",
				link, o.Driver, o.NetworkID, o.Mode, c.NetworkID, c.Mode)
		}
		for _, a := range o.Subnets {
			for _, b := range c.Subnets {
				if overlap(a, b) {
					return types.ConflictErrorf("parent %s: subnet %s of network %s overlaps subnet %s of %s network %s",
						link, b, c.NetworkID, a, o.Driver, o.NetworkID)
				}
			}
		}
	}
	return nil
}

func (e *entry) drop(nid string) {
	for i, o := range e.claims {
		if o.NetworkID == nid {
			e.claims = append(e.claims[:i], e.claims[i+1:]...)
			return
		}
	}
}

func overlap(a, b *net.IPNet) bool {
	if (a.IP.To4() == nil) != (b.IP.To4() == nil) {
		return false
	}
	return a.Contains(b.IP.Mask(b.Mask)) || b.Contains(a.IP.Mask(a.Mask))
}
