package ipam

import (
	"net"
	"net/netip"
	"sync"

	"github.com/sirupsen/logrus"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/ipamutils"
	"github.com/cnmkit/libnetwork/types"
)

// Allocator is the default IPAM driver. It is safe for concurrent use; its
// Mutex guards the address spaces, pool IDs and pool filter.
type Allocator struct {
	sync.Mutex
	spaces map[string]*addrSpace
	pools  map[string]*poolEntry // by pool ID
	filter PoolFilter
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

// NewAllocator returns an allocator whose LocalDefault address space lives
// in lcDs and GlobalDefault in glDs (a nil store: in memory), with the
// predefined pools of ipamutils: PredefinedBroadNetworks for local,
// PredefinedGranularNetworks for global. A store-backed space keeps its
// pools (PoolData by SubnetKey) and address bitmaps (bitseq) in its store,
// so another allocator over the same store sees the pools and addresses
// this one gave. Its pool filter is HostPoolFilter: an automatic local pool
// avoids the process namespace's routes and addresses and the nameservers
// of /etc/resolv.conf, as libnetwork's.
func NewAllocator(lcDs, glDs datastore.DataStore) (*Allocator, error) {
	ipamutils.InitNetworks()
	a, err := newAllocator(lcDs, glDs, ipamutils.PredefinedBroadNetworks, ipamutils.PredefinedGranularNetworks)
	if err != nil {
		return nil, err
	}
	a.SetPoolFilter(HostPoolFilter)
	return a, nil
}

// NewAllocatorWithPools returns an in-memory allocator whose automatic
// pools are chosen from localPools (LocalDefault) and globalPools
// (GlobalDefault), in order. A nil list means the ipamutils defaults. A list
// may hold IPv6 pools: they serve automatic IPv6 requests. It has no pool
// filter: its user installs one with SetPoolFilter.
func NewAllocatorWithPools(localPools, globalPools []*net.IPNet) (*Allocator, error) {
	ipamutils.InitNetworks()
	if localPools == nil {
		localPools = ipamutils.PredefinedBroadNetworks
	}
	if globalPools == nil {
		globalPools = ipamutils.PredefinedGranularNetworks
	}
	return newAllocator(nil, nil, localPools, globalPools)
}

func newAllocator(lcDs, glDs datastore.DataStore, localPools, globalPools []*net.IPNet) (*Allocator, error) {
	local, err := configured(localPools)
	if err != nil {
		return nil, err
	}
	global, err := configured(globalPools)
	if err != nil {
		return nil, err
	}
	a := &Allocator{
		spaces: map[string]*addrSpace{
			LocalDefaultAddressSpace:  newAddrSpace(LocalDefaultAddressSpace, local, lcDs),
			GlobalDefaultAddressSpace: newAddrSpace(GlobalDefaultAddressSpace, global, glDs),
		},
		pools: map[string]*poolEntry{},
	}
	for _, s := range a.spaces {
		if err := a.syncSpace(s); err != nil {
			if !types.IsNoService(err) && !types.IsTimeout(err) {
				return nil, err
			}
			// An unreachable store: the space is read before its first use.
			logrus.WithField("space", s.name).WithError(err).Warn("ipam: address space not read from its store yet")
		}
	}
	return a, nil
}

// configured converts a list of predefined pools, merging runs of
// contiguous pools of one size into aligned blocks (the 65,536 /24s of
// 10.0.0.0/8 become one block) without changing their order.
func configured(pools []*net.IPNet) ([]predefined, error) {
	pre := make([]predefined, 0, 8)
	for _, n := range pools {
		p, ok := prefixFromIPNet(n)
		if !ok {
			return nil, wrap(ipamapi.ErrInvalidPool, "predefined pool %v", n)
		}
		pre = append(pre, predefined{base: p, bits: p.Bits()})
		for len(pre) >= 2 {
			x, y := pre[len(pre)-2], pre[len(pre)-1]
			l := x.base.Bits()
			if l == 0 || x.bits != y.bits || y.base.Bits() != l || x.base.Addr().Is4() != y.base.Addr().Is4() {
				break
			}
			parent := netip.PrefixFrom(x.base.Addr(), l-1)
			if parent.Masked() != parent {
				break
			}
			_, xl := prefixRange(x.base)
			next, carry := xl.add1()
			if carry || next != u128From(y.base.Addr()) {
				break
			}
			pre = append(pre[:len(pre)-2], predefined{base: parent, bits: x.bits})
		}
	}
	return pre, nil
}

// Register registers an in-memory allocator (NewAllocatorWithPools) as the
// default IPAM driver. Its allocations do not outlive it, so it asks the
// controller to replay its pool and address requests after a restart
// (RequiresRequestReplay).
func Register(cb ipamapi.Callback, localPools, globalPools []*net.IPNet) error {
	a, err := NewAllocatorWithPools(localPools, globalPools)
	if err != nil {
		return err
	}
	return cb.RegisterIpamDriverWithCapabilities(ipamapi.DefaultIPAM, a, a.Capability())
}

// Capability returns the allocator's capabilities: RequiresRequestReplay
// when an address space is kept in memory only.
func (a *Allocator) Capability() *ipamapi.Capability {
	replay := false
	for _, s := range a.spaces {
		if s.ds == nil {
			replay = true
		}
	}
	return &ipamapi.Capability{RequiresRequestReplay: replay}
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

	var e *poolEntry
	if pool == "" {
		var err error
		if e, err = a.choosePool(addressSpace, !v6, fam); err != nil {
			return "", nil, nil, err
		}
		logReserved(e)
		return e.id, toIPNet(e.m.prefix.Addr(), e.m.prefix.Bits()), nil, nil
	}
	a.Lock()
	defer a.Unlock()
	s, err := a.space(addressSpace)
	if err != nil {
		return "", nil, nil, err
	}
	err = a.update(s, func() (func(), error) {
		var undo func()
		var err error
		e, undo, err = a.reserve(s, p, sub)
		return undo, err
	})
	if err != nil {
		return "", nil, nil, err
	}
	logReserved(e)
	return e.id, toIPNet(e.m.prefix.Addr(), e.m.prefix.Bits()), nil, nil
}

func logReserved(e *poolEntry) {
	if logrus.IsLevelEnabled(logrus.DebugLevel) {
		logrus.WithFields(logrus.Fields{"pool": e.id}).Debug("ipam: pool reserved")
	}
}

// space returns the address space name; a.Mutex is held.
func (a *Allocator) space(name string) (*addrSpace, error) {
	s, ok := a.spaces[name]
	if !ok {
		return nil, wrap(ipamapi.ErrInvalidAddressSpace, "unknown address space %q", name)
	}
	return s, nil
}

// reserve adds the pool ID of p (restricted to sub if valid) to s and
// returns it with the function that takes it back; a.Mutex is held.
func (a *Allocator) reserve(s *addrSpace, p, sub netip.Prefix) (*poolEntry, func(), error) {
	id := poolID(s.name, p, sub)
	if _, dup := a.pools[id]; dup {
		return nil, nil, wrap(ipamapi.ErrPoolOverlap, "pool %s is already in use (pool ID %s)", p, id)
	}
	m := s.masters[p]
	created := m == nil
	if created {
		if o, overlap := s.overlapping(p); overlap {
			return nil, nil, wrap(ipamapi.ErrPoolOverlap, "pool %s overlaps pool %s in use in address space %s", p, o, s.name)
		}
		m = s.newMaster(p)
		s.addMaster(m)
	} else if !sub.IsValid() {
		return nil, nil, wrap(ipamapi.ErrPoolOverlap, "pool %s is already in use with sub-pools in address space %s", p, s.name)
	}
	m.refs++
	e := newPoolEntry(id, s, m, sub)
	a.pools[id] = e
	if created {
		s.created = append(s.created, m)
	}
	return e, func() {
		delete(a.pools, id)
		if m.refs--; created {
			s.removeMaster(m)
		}
	}, nil
}

func newPoolEntry(id string, s *addrSpace, m *master, sub netip.Prefix) *poolEntry {
	e := &poolEntry{id: id, space: s, m: m, sub: sub, re: m.last}
	if sub.IsValid() {
		first, last := prefixRange(sub)
		e.rs, e.re = first.sub(m.base), last.sub(m.base)
	}
	return e
}

// ReleasePool releases the pool ID; the pool's addresses go with it once no
// sub-pool of it is left.
func (a *Allocator) ReleasePool(poolID string) error {
	a.Lock()
	defer a.Unlock()
	s, err := a.spaceOf(poolID)
	if err != nil {
		return err
	}
	err = a.update(s, func() (func(), error) {
		e, err := a.lookup(poolID)
		if err != nil {
			return nil, err
		}
		delete(a.pools, poolID)
		m := e.m
		removed := false
		if m.refs--; m.refs == 0 {
			s.removeMaster(m)
			s.removed = append(s.removed, m)
			removed = true
		}
		return func() {
			a.pools[poolID] = e
			m.refs++
			if removed {
				s.addMaster(m)
			}
		}, nil
	})
	if err != nil {
		return err
	}
	if logrus.IsLevelEnabled(logrus.DebugLevel) {
		logrus.WithFields(logrus.Fields{"pool": poolID}).Debug("ipam: pool released")
	}
	return nil
}

// spaceOf returns the address space a pool ID names; a.Mutex is held.
func (a *Allocator) spaceOf(poolID string) (*addrSpace, error) {
	if e, ok := a.pools[poolID]; ok {
		return e.space, nil
	}
	var k SubnetKey
	if err := k.FromString(poolID); err != nil {
		return nil, wrap(ipamapi.ErrInvalidRequest, "invalid pool ID %q", poolID)
	}
	s, ok := a.spaces[k.AddressSpace]
	if !ok {
		return nil, wrap(ipamapi.ErrPoolNotFound, "pool ID %q", poolID)
	}
	return s, nil
}

// entry returns the pool of an ID, reading a store-backed space again when
// the ID is not known; it takes a.Mutex.
func (a *Allocator) entry(poolID string) (*poolEntry, error) {
	a.Lock()
	defer a.Unlock()
	if e, ok := a.pools[poolID]; ok {
		return e, nil
	}
	s, err := a.spaceOf(poolID)
	if err != nil {
		return nil, err
	}
	if err := a.syncSpace(s); err != nil {
		return nil, err
	}
	return a.lookup(poolID)
}

// lookup returns the pool of an ID; a.Mutex is held.
func (a *Allocator) lookup(poolID string) (*poolEntry, error) {
	if e, ok := a.pools[poolID]; ok {
		return e, nil
	}
	if !wellFormedID(poolID) {
		return nil, wrap(ipamapi.ErrInvalidRequest, "invalid pool ID %q", poolID)
	}
	return nil, wrap(ipamapi.ErrPoolNotFound, "pool ID %q", poolID)
}

// storeErr wraps an error of a space's datastore.
func storeErr(s *addrSpace, err error) error {
	if types.IsConflict(err) || types.IsNoService(err) || types.IsRetry(err) {
		return err
	}
	return types.InternalErrorf("ipam: datastore of address space %s: %w: %w", s.name, err, ipamapi.ErrIpamInternalError)
}

// NewAllocatorWithGlobalStore is NewAllocatorWithPools with the
// GlobalDefault address space kept in glDs, a store shared by the hosts of
// a cluster: its pools and addresses are taken by compare-and-swap there,
// so no two hosts are given the same one. LocalDefault stays in memory.
func NewAllocatorWithGlobalStore(glDs datastore.DataStore, localPools, globalPools []*net.IPNet) (*Allocator, error) {
	if glDs == nil {
		return nil, types.BadRequestErrorf("ipam: no store for address space %s", GlobalDefaultAddressSpace)
	}
	ipamutils.InitNetworks()
	if localPools == nil {
		localPools = ipamutils.PredefinedBroadNetworks
	}
	if globalPools == nil {
		globalPools = ipamutils.PredefinedGranularNetworks
	}
	return newAllocator(nil, glDs, localPools, globalPools)
}

// Stored reports whether addressSpace is kept in a store (its pools and
// addresses outlive the allocator, so they must not be requested again
// after a restart).
func (a *Allocator) Stored(addressSpace string) bool {
	a.Lock()
	defer a.Unlock()
	s, ok := a.spaces[addressSpace]
	return ok && s.ds != nil
}
