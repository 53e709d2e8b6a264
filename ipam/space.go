package ipam

import (
	"net/netip"
	"slices"

	"github.com/cnmkit/libnetwork/datastore"
)

// predefined describes candidate pools: the subnets of length bits inside
// base, in address order. They are generated on demand, never listed.
type predefined struct {
	base netip.Prefix
	bits int
}

// span is a pool in use, as an address range.
type span struct {
	first, last u128
	prefix      netip.Prefix
}

// addrSpace is an address space: its predefined pools and the pools in use.
// Pools in use never overlap, so spans sorted by first address are also
// sorted by last address. cover is the union of the pools in use, with
// touching ranges merged, so that the automatic choice skips a block of
// contiguous pools in one step. With a datastore (ds), the store holds the
// truth: index and exists are those of the record the space was last read
// from or written as. Guarded by Allocator.Mutex.
type addrSpace struct {
	name       string
	predefined []predefined
	masters    map[netip.Prefix]*master
	used4      []span
	used6      []span
	cover4     []span
	cover6     []span

	ds             datastore.DataStore
	index          uint64
	exists, loaded bool
	// pools created and removed by the change being written
	created, removed []*master
}

func newAddrSpace(name string, pre []predefined, ds datastore.DataStore) *addrSpace {
	return &addrSpace{name: name, predefined: pre, masters: map[netip.Prefix]*master{}, ds: ds}
}

// newMaster returns a pool in use of this space, its bitmaps in its store.
func (s *addrSpace) newMaster(p netip.Prefix) *master {
	m := newMaster(p)
	m.ds, m.key = s.ds, poolID(s.name, p, netip.Prefix{})
	return m
}

func (s *addrSpace) used(v4 bool) *[]span {
	if v4 {
		return &s.used4
	}
	return &s.used6
}

func (s *addrSpace) cover(v4 bool) *[]span {
	if v4 {
		return &s.cover4
	}
	return &s.cover6
}

// firstAtOrAfter returns the index of the first span whose last address is
// at or after a.
func firstAtOrAfter(used []span, a u128) int {
	i, _ := slices.BinarySearchFunc(used, a, func(sp span, a u128) int {
		if sp.last.less(a) {
			return -1
		}
		return 1
	})
	return i
}

// overlapping returns a pool in use that overlaps p.
func (s *addrSpace) overlapping(p netip.Prefix) (netip.Prefix, bool) {
	first, last := prefixRange(p)
	used := *s.used(p.Addr().Is4())
	if i := firstAtOrAfter(used, first); i < len(used) && !last.less(used[i].first) {
		return used[i].prefix, true
	}
	return netip.Prefix{}, false
}

func (s *addrSpace) addMaster(m *master) {
	first, last := prefixRange(m.prefix)
	used := s.used(m.v4)
	i := firstAtOrAfter(*used, first)
	*used = slices.Insert(*used, i, span{first: first, last: last, prefix: m.prefix})
	s.masters[m.prefix] = m

	// Merge into the cover: [first, last] touches at most one range on
	// each side.
	cov := s.cover(m.v4)
	j := firstAtOrAfter(*cov, first)
	next, carry := last.add1()
	joinRight := !carry && j < len(*cov) && (*cov)[j].first == next
	joinLeft := j > 0 && func() bool { n, _ := (*cov)[j-1].last.add1(); return n == first }()
	switch {
	case joinLeft && joinRight:
		(*cov)[j-1].last = (*cov)[j].last
		*cov = slices.Delete(*cov, j, j+1)
	case joinLeft:
		(*cov)[j-1].last = last
	case joinRight:
		(*cov)[j].first = first
	default:
		*cov = slices.Insert(*cov, j, span{first: first, last: last})
	}
}

func (s *addrSpace) removeMaster(m *master) {
	first, _ := prefixRange(m.prefix)
	used := s.used(m.v4)
	if i := firstAtOrAfter(*used, first); i < len(*used) && (*used)[i].prefix == m.prefix {
		*used = slices.Delete(*used, i, i+1)
	}
	delete(s.masters, m.prefix)

	// Cut [first, last] out of the cover range that holds it.
	_, last := prefixRange(m.prefix)
	cov := s.cover(m.v4)
	j := firstAtOrAfter(*cov, first)
	if j == len(*cov) || last.less((*cov)[j].first) {
		return
	}
	c := (*cov)[j]
	var parts []span
	if c.first.less(first) {
		parts = append(parts, span{first: c.first, last: first.sub(u128{lo: 1})})
	}
	if last.less(c.last) {
		n, _ := last.add1()
		parts = append(parts, span{first: n, last: c.last})
	}
	*cov = slices.Replace(*cov, j, j+1, parts...)
}

// choose returns the first predefined pool of the family that overlaps no
// pool in use and is not in refused. Each step skips a whole block of
// contiguous pools in use, so the cost grows with the gaps between pools in
// use and with the refused pools, not with the number of candidates or of
// pools.
func (s *addrSpace) choose(v4 bool, refused map[netip.Prefix]bool) (netip.Prefix, bool) {
	cover := *s.cover(v4)
	for _, pd := range s.predefined {
		if pd.base.Addr().Is4() != v4 {
			continue
		}
		hostBits := pd.base.Addr().BitLen() - pd.bits
		c, end := prefixRange(pd.base)
		for !end.less(c) {
			candLast := c.or(ones(hostBits))
			i := firstAtOrAfter(cover, c)
			next, carry := candLast.add1()
			if i == len(cover) || candLast.less(cover[i].first) {
				cand := netip.PrefixFrom(c.addr(v4), pd.bits)
				if !refused[cand] {
					return cand, true
				}
			} else {
				next, carry = cover[i].last.add1()
			}
			if carry {
				break
			}
			var ok bool
			if c, ok = alignUp(next, hostBits); !ok {
				break
			}
		}
	}
	return netip.Prefix{}, false
}
