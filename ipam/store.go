package ipam

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/cnmkit/libnetwork/bitseq"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

// Datastore keys: an address space's pools are one record under
// configPrefix; the address bitmaps are bitseq handles of app bitmapApp,
// named by their pool's SubnetKey.
var configPrefix = []string{"ipam", "default", "config"}

const bitmapApp = "ipam/default/data"

// maxWrites bounds the attempts of one change of a store-backed space.
const maxWrites = 100

// spaceRecord is an address space as kept in its datastore: the pools in
// use by SubnetKey.
type spaceRecord struct {
	name, scope string
	subnets     map[SubnetKey]*PoolData
	index       uint64
	exists      bool
}

type jsonSubnet struct {
	Key   string
	Value *PoolData
}

type jsonSpace struct {
	Scope   string
	Subnets []jsonSubnet
}

func (r *spaceRecord) Key() []string       { return append(slices.Clone(configPrefix), r.name) }
func (r *spaceRecord) KeyPrefix() []string { return slices.Clone(configPrefix) }
func (r *spaceRecord) Index() uint64       { return r.index }
func (r *spaceRecord) SetIndex(i uint64)   { r.index, r.exists = i, true }
func (r *spaceRecord) Exists() bool        { return r.exists }
func (r *spaceRecord) DataScope() string   { return r.scope }
func (r *spaceRecord) Skip() bool          { return false }

func (r *spaceRecord) New() datastore.KVObject {
	return &spaceRecord{name: r.name, scope: r.scope}
}

func (r *spaceRecord) CopyTo(o datastore.KVObject) error {
	dst, ok := o.(*spaceRecord)
	if !ok {
		return types.BadRequestErrorf("ipam: cannot copy an address space record into %T", o)
	}
	cp := &spaceRecord{name: r.name, scope: r.scope, index: r.index, exists: r.exists, subnets: make(map[SubnetKey]*PoolData, len(r.subnets))}
	for k, p := range r.subnets {
		var pd PoolData
		if err := p.CopyTo(&pd); err != nil {
			return err
		}
		cp.subnets[k] = &pd
	}
	*dst = *cp
	return nil
}

func (r *spaceRecord) Value() []byte {
	j := jsonSpace{Scope: r.scope, Subnets: make([]jsonSubnet, 0, len(r.subnets))}
	for k, p := range r.subnets {
		j.Subnets = append(j.Subnets, jsonSubnet{Key: k.String(), Value: p})
	}
	slices.SortFunc(j.Subnets, func(x, y jsonSubnet) int { return strings.Compare(x.Key, y.Key) })
	b, err := json.Marshal(j)
	if err != nil {
		return nil
	}
	return b
}

func (r *spaceRecord) SetValue(value []byte) error {
	var j jsonSpace
	if err := json.Unmarshal(value, &j); err != nil {
		return types.BadRequestErrorf("ipam: invalid record of address space %s: %w", r.name, err)
	}
	subnets := make(map[SubnetKey]*PoolData, len(j.Subnets))
	for _, sn := range j.Subnets {
		var k SubnetKey
		if err := k.FromString(sn.Key); err != nil {
			return err
		}
		if sn.Value == nil {
			return types.BadRequestErrorf("ipam: record of address space %s: pool %s has no data", r.name, sn.Key)
		}
		subnets[k] = sn.Value
	}
	r.scope, r.subnets = j.Scope, subnets
	return nil
}

// masterKey is the SubnetKey of a pool in use.
func (s *addrSpace) masterKey(p netip.Prefix) SubnetKey {
	return SubnetKey{AddressSpace: s.name, Subnet: p.String()}
}

// record returns the space as a record; a.Mutex is held.
func (a *Allocator) record(s *addrSpace) *spaceRecord {
	return &spaceRecord{name: s.name, scope: s.ds.Scope(), index: s.index, exists: s.exists, subnets: a.subnets(s)}
}

// update runs op, which changes s and returns how to take the change back.
// For a store-backed space, s is read from the store first and the result
// written with compare-and-swap: when the write fails the change is taken
// back, and after a conflict op runs again on what the store holds.
// a.Mutex is held.
func (a *Allocator) update(s *addrSpace, op func() (func(), error)) error {
	for attempt := 1; ; attempt++ {
		if err := a.syncSpace(s); err != nil {
			return err
		}
		s.created, s.removed = nil, nil
		undo, err := op()
		if err != nil {
			return err
		}
		if s.ds == nil {
			s.created, s.removed = nil, nil
			return nil
		}
		r := a.record(s)
		err = s.ds.PutObjectAtomic(r)
		if err == nil {
			s.index, s.exists = r.Index(), true
			for _, m := range append(s.created, s.removed...) {
				m.purgeBitmaps()
			}
			s.created, s.removed = nil, nil
			return nil
		}
		undo()
		s.created, s.removed = nil, nil
		if !types.IsConflict(err) || attempt == maxWrites {
			return storeErr(s, err)
		}
	}
}

// syncSpace reads a store-backed space from its store and, when the store
// holds another version than s, rebuilds s from it; a.Mutex is held.
func (a *Allocator) syncSpace(s *addrSpace) error {
	if s.ds == nil {
		return nil
	}
	r := &spaceRecord{name: s.name, scope: s.ds.Scope()}
	if err := s.ds.GetObject(datastore.Key(r.Key()...), r); err != nil {
		if !types.IsNotFound(err) {
			return storeErr(s, err)
		}
		r = &spaceRecord{name: s.name, scope: s.ds.Scope()}
	}
	if s.loaded && r.index == s.index && r.exists == s.exists {
		return nil
	}
	return a.rebuild(s, r)
}

// rebuild replaces the pools of s with those of r; on a bad record nothing
// changes. a.Mutex is held.
func (a *Allocator) rebuild(s *addrSpace, r *spaceRecord) error {
	bad := func(k SubnetKey, why string) error {
		return types.InternalErrorf("ipam: record of address space %s: pool %s: %s", s.name, k.String(), why)
	}
	refs := map[netip.Prefix]int{}
	type child struct {
		id     string
		p, sub netip.Prefix
	}
	var children []child
	perMaster := map[netip.Prefix]int{}
	for k, pd := range r.subnets {
		p, ok := parsePrefix(k.Subnet)
		if !ok || k.AddressSpace != s.name || p.String() != k.Subnet {
			return bad(k, "not a pool of this address space")
		}
		if k.ChildSubnet == "" {
			if pd.RefCount < 1 {
				return bad(k, "reference count below 1")
			}
			refs[p] = pd.RefCount
			continue
		}
		sub, ok := parsePrefix(k.ChildSubnet)
		if !ok || sub.String() != k.ChildSubnet || sub.Bits() < p.Bits() || !p.Contains(sub.Addr()) {
			return bad(k, "sub-pool not inside its pool")
		}
		children = append(children, child{id: k.String(), p: p, sub: sub})
		perMaster[p]++
	}
	prefixes := make([]netip.Prefix, 0, len(refs))
	for p, n := range refs {
		if self := n - perMaster[p]; self != 0 && self != 1 {
			return bad(s.masterKey(p), "reference count does not match its sub-pools")
		}
		prefixes = append(prefixes, p)
	}
	for _, c := range children {
		if _, ok := refs[c.p]; !ok {
			return bad(s.masterKey(c.p), "sub-pool of a pool not in use")
		}
	}
	slices.SortFunc(prefixes, comparePrefix)
	fresh := newAddrSpace(s.name, s.predefined, s.ds)
	for _, p := range prefixes {
		if o, overlap := fresh.overlapping(p); overlap {
			return bad(s.masterKey(p), "overlaps pool "+o.String())
		}
		// A new master even for a pool this allocator knows: the pool may
		// have been released and made again elsewhere, and its bitmaps
		// are read again from the store when used.
		fresh.addMaster(s.newMaster(p))
	}

	// The record is sound: adopt it.
	for id, e := range a.pools {
		if e.space == s {
			delete(a.pools, id)
		}
	}
	s.masters, s.used4, s.used6, s.cover4, s.cover6 = fresh.masters, fresh.used4, fresh.used6, fresh.cover4, fresh.cover6
	for p, m := range s.masters {
		m.refs = refs[p]
		if refs[p] > perMaster[p] {
			id := poolID(s.name, p, netip.Prefix{})
			a.pools[id] = newPoolEntry(id, s, m, netip.Prefix{})
		}
	}
	for _, c := range children {
		a.pools[c.id] = newPoolEntry(c.id, s, s.masters[c.p], c.sub)
	}
	s.index, s.exists, s.loaded = r.index, r.exists, true
	return nil
}

// bitmapRef is the key of a stored bitmap, for deleting it.
type bitmapRef struct {
	datastore.LocalMeta
	id string
}

func (b *bitmapRef) Key() []string                   { return []string{bitmapApp, b.id} }
func (b *bitmapRef) KeyPrefix() []string             { return []string{bitmapApp} }
func (b *bitmapRef) Value() []byte                   { return nil }
func (b *bitmapRef) SetValue([]byte) error           { return nil }
func (b *bitmapRef) New() datastore.KVObject         { return &bitmapRef{} }
func (b *bitmapRef) CopyTo(datastore.KVObject) error { return nil }

// purgeBitmaps deletes the stored bitmaps of a pool that was just created
// (left over from an earlier pool of the same subnet) or released.
func (m *master) purgeBitmaps() {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := []string{m.windowID(u128{})}
	for w := range m.windows {
		ids = append(ids, m.windowID(w))
	}
	if m.hostBits > windowShift {
		// Other allocators may have opened windows this one never saw.
		objs, err := m.ds.List(datastore.Key(bitmapApp), &bitseq.Handle{})
		if err != nil && !types.IsNotFound(err) {
			logrus.WithField("pool", m.key).WithError(err).Warn("ipam: list address bitmaps")
		}
		for _, o := range objs {
			if k := o.Key(); len(k) == 2 && strings.HasPrefix(k[1], m.key+windowSep) {
				ids = append(ids, k[1])
			}
		}
	}
	for _, id := range ids {
		if err := m.ds.DeleteObject(&bitmapRef{id: id}); err != nil && !types.IsNotFound(err) {
			logrus.WithFields(logrus.Fields{"pool": m.key, "bitmap": id}).WithError(err).Warn("ipam: delete address bitmap")
		}
	}
	m.w0, m.windows = nil, nil
}
