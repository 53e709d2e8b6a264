package ipam

import (
	"net"
	"net/netip"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/ipamapi"
)

// Allocator is the default IPAM driver. It is safe for concurrent use.
type Allocator struct {
	mu     sync.RWMutex
	spaces map[string]*addrSpace
	pools  map[string]*poolEntry // by pool ID
}

// poolEntry is a pool ID: a master pool, restricted to a sub-pool if any.
type poolEntry struct {
	id     string
	space  *addrSpace
	m      *master
	sub    netip.Prefix // invalid when the ID has no sub-pool
	rs, re u128         // offsets of the range addresses are taken from
}

var _ ipamapi.Ipam = (*Allocator)(nil)

// NewAllocator returns an allocator whose automatic pools are chosen from
// localPools (address space LocalDefault) and globalPools (GlobalDefault),
// in order. A nil list means the defaults: 172.17.0.0/16 … 172.31.0.0/16 then
// the /20s of 192.168.0.0/16 for local; the /24s of 10.0.0.0/8 for global.
// A list may hold IPv6 pools: they serve automatic IPv6 requests.
func NewAllocator(localPools, globalPools []*net.IPNet) (*Allocator, error) {
	local, err := configured(localPools, defaultLocal)
	if err != nil {
		return nil, err
	}
	global, err := configured(globalPools, defaultGlobal)
	if err != nil {
		return nil, err
	}
	return &Allocator{
		spaces: map[string]*addrSpace{
			LocalDefaultAddressSpace:  newAddrSpace(LocalDefaultAddressSpace, local),
			GlobalDefaultAddressSpace: newAddrSpace(GlobalDefaultAddressSpace, global),
		},
		pools: map[string]*poolEntry{},
	}, nil
}

func configured(pools []*net.IPNet, def func() []predefined) ([]predefined, error) {
	if pools == nil {
		return def(), nil
	}
	pre := make([]predefined, 0, len(pools))
	for _, n := range pools {
		p, ok := prefixFromIPNet(n)
		if !ok {
			return nil, wrap(ipamapi.ErrInvalidPool, "predefined pool %v", n)
		}
		pre = append(pre, predefined{base: p, bits: p.Bits()})
	}
	return pre, nil
}

// Register registers a new allocator as the default IPAM driver. Its
// allocations live in memory only, so it asks the controller to replay its
// pool and address requests after a restart (RequiresRequestReplay).
func Register(cb ipamapi.Callback, localPools, globalPools []*net.IPNet) error {
	a, err := NewAllocator(localPools, globalPools)
	if err != nil {
		return err
	}
	return cb.RegisterIpamDriverWithCapabilities(ipamapi.DefaultIPAM, a, &ipamapi.Capability{RequiresRequestReplay: true})
}

// GetDefaultAddressSpaces returns LocalDefault and GlobalDefault.
func (a *Allocator) GetDefaultAddressSpaces() (string, string, error) {
	return LocalDefaultAddressSpace, GlobalDefaultAddressSpace, nil
}

// DiscoverNew does nothing: the allocator needs no discovery data.
func (a *Allocator) DiscoverNew(discoverapi.DiscoveryType, interface{}) error { return nil }

// DiscoverDelete does nothing: the allocator needs no discovery data.
func (a *Allocator) DiscoverDelete(discoverapi.DiscoveryType, interface{}) error { return nil }

// RequestPool reserves pool (restricted to subPool when given) in
// addressSpace, or, with an empty pool, the first predefined pool of the
// family (v6) that overlaps no pool in use. It returns the pool ID
// (addressSpace/pool[/subPool], the same for the same request every time)
// and the pool. A pool that overlaps one in use, including the same pool
// requested again, is ErrPoolOverlap; several sub-pools of one pool may be
// reserved, and the pool lives while any of them does.
func (a *Allocator) RequestPool(addressSpace, pool, subPool string, options map[string]string, v6 bool) (string, *net.IPNet, map[string]string, error) {
	if _, err := parseOptions(options); err != nil {
		return "", nil, nil, err
	}
	fam := "IPv4"
	if v6 {
		fam = "IPv6"
	}
	var p, sub netip.Prefix
	if pool == "" {
		if subPool != "" {
			return "", nil, nil, wrap(ipamapi.ErrInvalidSubPool, "sub-pool %q requested without a pool", subPool)
		}
	} else {
		var ok bool
		if p, ok = parsePrefix(pool); !ok {
			return "", nil, nil, wrap(ipamapi.ErrInvalidPool, "pool %q is not a valid CIDR", pool)
		}
		if p.Addr().Is6() != v6 {
			return "", nil, nil, wrap(ipamapi.ErrInvalidPool, "pool %q is not an %s pool", pool, fam)
		}
		if subPool != "" {
			if sub, ok = parsePrefix(subPool); !ok {
				return "", nil, nil, wrap(ipamapi.ErrInvalidSubPool, "sub-pool %q is not a valid CIDR", subPool)
			}
			if sub.Addr().Is6() != v6 || sub.Bits() < p.Bits() || !p.Contains(sub.Addr()) {
				return "", nil, nil, wrap(ipamapi.ErrInvalidSubPool, "sub-pool %q is not inside pool %q", subPool, pool)
			}
		}
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.spaces[addressSpace]
	if !ok {
		return "", nil, nil, wrap(ipamapi.ErrInvalidAddressSpace, "unknown address space %q", addressSpace)
	}
	if pool == "" {
		if p, ok = s.choose(!v6); !ok {
			return "", nil, nil, wrap(ipamapi.ErrNoAvailablePool, "no free predefined %s pool in address space %s", fam, addressSpace)
		}
	}
	id := poolID(addressSpace, p, sub)
	if _, dup := a.pools[id]; dup {
		return "", nil, nil, wrap(ipamapi.ErrPoolOverlap, "pool %s is already in use (pool ID %s)", p, id)
	}
	m := s.masters[p]
	if m == nil {
		if o, overlap := s.overlapping(p); overlap {
			return "", nil, nil, wrap(ipamapi.ErrPoolOverlap, "pool %s overlaps pool %s in use in address space %s", p, o, addressSpace)
		}
		m = newMaster(p)
		s.addMaster(m)
	} else if !sub.IsValid() {
		return "", nil, nil, wrap(ipamapi.ErrPoolOverlap, "pool %s is already in use with sub-pools in address space %s", p, addressSpace)
	}
	m.refs++
	e := &poolEntry{id: id, space: s, m: m, sub: sub, re: m.last}
	if sub.IsValid() {
		first, last := prefixRange(sub)
		e.rs, e.re = first.sub(m.base), last.sub(m.base)
	}
	a.pools[id] = e
	if logrus.IsLevelEnabled(logrus.DebugLevel) {
		logrus.WithFields(logrus.Fields{"pool": id}).Debug("ipam: pool reserved")
	}
	return id, toIPNet(p.Addr(), p.Bits()), nil, nil
}

// ReleasePool releases the pool ID; the pool's addresses go with it once no
// sub-pool of it is left.
func (a *Allocator) ReleasePool(poolID string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, err := a.lookup(poolID)
	if err != nil {
		return err
	}
	delete(a.pools, poolID)
	if e.m.refs--; e.m.refs == 0 {
		e.space.removeMaster(e.m)
	}
	if logrus.IsLevelEnabled(logrus.DebugLevel) {
		logrus.WithFields(logrus.Fields{"pool": poolID}).Debug("ipam: pool released")
	}
	return nil
}

// lookup returns the pool of an ID; a.mu is held.
func (a *Allocator) lookup(poolID string) (*poolEntry, error) {
	if e, ok := a.pools[poolID]; ok {
		return e, nil
	}
	if !wellFormedID(poolID) {
		return nil, wrap(ipamapi.ErrInvalidRequest, "invalid pool ID %q", poolID)
	}
	return nil, wrap(ipamapi.ErrPoolNotFound, "pool ID %q", poolID)
}
