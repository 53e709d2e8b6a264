package ipam

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// DumpDatabase returns a readable description of the address spaces, the
// pools in use, their pool IDs and their address bitmaps.
func (a *Allocator) DumpDatabase() string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	byMaster := map[*master][]*poolEntry{}
	for _, e := range a.pools {
		byMaster[e.m] = append(byMaster[e.m], e)
	}
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(a.spaces)) {
		s := a.spaces[name]
		fmt.Fprintf(&b, "AddressSpace %s: %d predefined pool set(s), %d pool(s) in use\n", name, len(s.predefined), len(s.masters))
		ms := make([]*master, 0, len(s.masters))
		for _, m := range s.masters {
			ms = append(ms, m)
		}
		slices.SortFunc(ms, func(x, y *master) int { return comparePrefix(x.prefix, y.prefix) })
		for _, m := range ms {
			m.dump(&b, byMaster[m])
		}
	}
	return b.String()
}

func (m *master) dump(b *strings.Builder, entries []*poolEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(b, "  Pool %s: refs %d, serial cursor %s\n", m.prefix, m.refs, m.addrAt(m.cursor))
	slices.SortFunc(entries, func(x, y *poolEntry) int { return cmp.Compare(x.id, y.id) })
	for _, e := range entries {
		fmt.Fprintf(b, "    PoolID %s: addresses %s-%s\n", e.id, m.addrAt(e.rs), m.addrAt(e.re))
	}
	if m.w0 != nil {
		fmt.Fprintf(b, "    Window %s: %s\n", m.addrAt(u128{}), m.w0)
	}
	ws := slices.SortedFunc(maps.Keys(m.windows), func(x, y u128) int {
		if x.less(y) {
			return -1
		}
		return 1
	})
	for _, w := range ws {
		fmt.Fprintf(b, "    Window %s: %s\n", m.addrAt(w.shl32()), m.windows[w])
	}
}

func comparePrefix(x, y netip.Prefix) int {
	if c := x.Addr().Compare(y.Addr()); c != 0 {
		return c
	}
	return cmp.Compare(x.Bits(), y.Bits())
}
