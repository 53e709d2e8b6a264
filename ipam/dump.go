package ipam

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/sirupsen/logrus"
)

// DumpDatabase returns a readable description of the allocator, in the
// seed's form: for each address space "<space> Config" and its pools in use
// (SubnetKey: PoolData), then "Bitmasks" and each address bitmap by name.
// Store-backed spaces are read from their store first.
func (a *Allocator) DumpDatabase() string {
	a.Lock()
	defer a.Unlock()
	var b strings.Builder
	var ms []*master
	for _, name := range slices.Sorted(maps.Keys(a.spaces)) {
		s := a.spaces[name]
		if err := a.syncSpace(s); err != nil {
			logrus.WithField("space", name).WithError(err).Warn("ipam: dump: read address space")
		}
		fmt.Fprintf(&b, "\n\n%s Config", name)
		subnets := a.subnets(s)
		keys := slices.SortedFunc(maps.Keys(subnets), func(x, y SubnetKey) int { return strings.Compare(x.String(), y.String()) })
		for _, k := range keys {
			fmt.Fprintf(&b, "\n%s: %s", k.String(), subnets[k])
		}
		for _, p := range slices.SortedFunc(maps.Keys(s.masters), comparePrefix) {
			ms = append(ms, s.masters[p])
		}
	}
	b.WriteString("\n\nBitmasks")
	for _, m := range ms {
		m.dump(&b)
	}
	return b.String()
}

// subnets returns the pools in use of s by SubnetKey; a.Mutex is held.
func (a *Allocator) subnets(s *addrSpace) map[SubnetKey]*PoolData {
	out := map[SubnetKey]*PoolData{}
	for p, m := range s.masters {
		k := s.masterKey(p)
		out[k] = &PoolData{Pool: toIPNet(p.Addr(), p.Bits()), RefCount: m.refs}
	}
	for _, e := range a.pools {
		if e.space != s || !e.sub.IsValid() {
			continue
		}
		k := s.masterKey(e.m.prefix)
		ck := k
		ck.ChildSubnet = e.sub.String()
		out[ck] = &PoolData{
			ParentKey: k, Pool: toIPNet(e.m.prefix.Addr(), e.m.prefix.Bits()), RefCount: 1,
			Range: &AddressRange{Sub: toIPNet(e.sub.Addr(), e.sub.Bits()), Start: e.rs.lo, End: e.re.lo},
		}
	}
	return out
}

func (m *master) dump(b *strings.Builder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.w0 != nil {
		fmt.Fprintf(b, "\n%s: %s", m.windowID(u128{}), m.w0)
	}
	ws := slices.SortedFunc(maps.Keys(m.windows), func(x, y u128) int {
		if x.less(y) {
			return -1
		}
		return 1
	})
	for _, w := range ws {
		fmt.Fprintf(b, "\n%s: %s", m.windowID(w), m.windows[w])
	}
}

func comparePrefix(x, y netip.Prefix) int {
	if c := x.Addr().Compare(y.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(x.Bits(), y.Bits())
}
