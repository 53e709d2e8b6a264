package ipam

import (
	"math/bits"
	"net/netip"
)

// u128 is an unsigned 128-bit integer: an address, or an offset in a pool.
// IPv4 addresses use the low 32 bits.
type u128 struct{ hi, lo uint64 }

func u128From(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{lo: uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])}
	}
	b := a.As16()
	var x u128
	for i := range 8 {
		x.hi = x.hi<<8 | uint64(b[i])
		x.lo = x.lo<<8 | uint64(b[8+i])
	}
	return x
}

// addr returns x as an IPv4 (v4) or IPv6 address.
func (x u128) addr(v4 bool) netip.Addr {
	if v4 {
		v := uint32(x.lo)
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	var b [16]byte
	for i := range 8 {
		b[7-i] = byte(x.hi >> (8 * i))
		b[15-i] = byte(x.lo >> (8 * i))
	}
	return netip.AddrFrom16(b)
}

// ones returns the number with the n low bits set (0 <= n <= 128).
func ones(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{lo: 1<<n - 1}
	case n < 128:
		return u128{hi: 1<<(n-64) - 1, lo: ^uint64(0)}
	}
	return u128{hi: ^uint64(0), lo: ^uint64(0)}
}

func (x u128) add(y u128) (u128, bool) {
	lo, c := bits.Add64(x.lo, y.lo, 0)
	hi, c := bits.Add64(x.hi, y.hi, c)
	return u128{hi, lo}, c != 0
}

func (x u128) sub(y u128) u128 {
	lo, b := bits.Sub64(x.lo, y.lo, 0)
	hi, _ := bits.Sub64(x.hi, y.hi, b)
	return u128{hi, lo}
}

func (x u128) add1() (u128, bool) { return x.add(u128{lo: 1}) }

func (x u128) less(y u128) bool { return x.hi < y.hi || (x.hi == y.hi && x.lo < y.lo) }

func (x u128) andNot(y u128) u128 { return u128{x.hi &^ y.hi, x.lo &^ y.lo} }

func (x u128) or(y u128) u128 { return u128{x.hi | y.hi, x.lo | y.lo} }

// shr32 returns x >> 32.
func (x u128) shr32() u128 { return u128{hi: x.hi >> 32, lo: x.lo>>32 | x.hi<<32} }

// shl32 returns x << 32.
func (x u128) shl32() u128 { return u128{hi: x.hi<<32 | x.lo>>32, lo: x.lo << 32} }

// alignUp rounds x up to a multiple of 2^k; false on overflow.
func alignUp(x u128, k int) (u128, bool) {
	m := ones(k)
	s, carry := x.add(m)
	if carry {
		return u128{}, false
	}
	return s.andNot(m), true
}

// prefixRange returns the first and last address of p.
func prefixRange(p netip.Prefix) (first, last u128) {
	first = u128From(p.Addr())
	return first, first.or(ones(p.Addr().BitLen() - p.Bits()))
}
