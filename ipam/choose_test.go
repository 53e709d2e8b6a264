package ipam

import (
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
)

// TestChooseAgainstBruteForce reserves and releases random explicit and
// automatic pools and checks, after every step, that the automatic choice is
// the first candidate overlapping no pool in use, and that the merged cover
// is exactly the union of the pools in use.
func TestChooseAgainstBruteForce(t *testing.T) {
	base := netip.MustParsePrefix("10.0.0.0/16")
	_, n, _ := net.ParseCIDR(base.String())
	pre := &net.IPNet{IP: n.IP, Mask: n.Mask}
	rng := rand.New(rand.NewPCG(7, 9))
	a, err := NewAllocatorWithPools([]*net.IPNet{pre}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The predefined entry is the /16 itself; split it into /24s instead.
	s := a.spaces[LocalDefaultAddressSpace]
	s.predefined = []predefined{{base: base, bits: 24}}
	var ids []string
	for step := range 3000 {
		switch op := rng.IntN(3); {
		case op == 0 && len(ids) > 0:
			i := rng.IntN(len(ids))
			if err := a.ReleasePool(ids[i]); err != nil {
				t.Fatalf("step %d: ReleasePool(%s): %v", step, ids[i], err)
			}
			ids = append(ids[:i], ids[i+1:]...)
		case op == 1:
			bits := 21 + rng.IntN(8)
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(rng.IntN(256)), byte(rng.IntN(256))}), bits).Masked()
			if id, _, _, err := a.RequestPool("LocalDefault", p.String(), "", nil, false); err == nil {
				ids = append(ids, id)
			}
		default:
			want, wantOK := bruteChoose(s, base, 24)
			id, nw, _, err := a.RequestPool("LocalDefault", "", "", nil, false)
			if (err == nil) != wantOK || (wantOK && nw.String() != want.String()) {
				t.Fatalf("step %d: automatic pool %v, %v; want %v, %v", step, nw, err, want, wantOK)
			}
			if err == nil {
				ids = append(ids, id)
			}
		}
		checkCover(t, s)
	}
}

func bruteChoose(s *addrSpace, base netip.Prefix, bits int) (netip.Prefix, bool) {
	first, last := prefixRange(base)
	for c := first; !last.less(c); c, _ = c.add(ones(32 - bits + 1).sub(ones(32 - bits))) {
		cand := netip.PrefixFrom(c.addr(true), bits)
		free := true
		for p := range s.masters {
			if p.Overlaps(cand) {
				free = false
				break
			}
		}
		if free {
			return cand, true
		}
	}
	return netip.Prefix{}, false
}

func checkCover(t *testing.T, s *addrSpace) {
	t.Helper()
	var want []span
	for _, u := range s.used4 {
		if n := len(want); n > 0 {
			if next, _ := want[n-1].last.add1(); next == u.first {
				want[n-1].last = u.last
				continue
			}
		}
		want = append(want, span{first: u.first, last: u.last})
	}
	if len(want) != len(s.cover4) {
		t.Fatalf("cover has %d ranges, want %d", len(s.cover4), len(want))
	}
	for i := range want {
		if want[i].first != s.cover4[i].first || want[i].last != s.cover4[i].last {
			t.Fatalf("cover range %d = %+v, want %+v", i, s.cover4[i], want[i])
		}
	}
	for i := 1; i < len(s.used4); i++ {
		if !s.used4[i-1].last.less(s.used4[i].first) {
			t.Fatalf("pools in use overlap or are unsorted: %v %v", s.used4[i-1].prefix, s.used4[i].prefix)
		}
	}
}
