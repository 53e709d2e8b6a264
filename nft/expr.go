package nft

import "encoding/binary"

// Expr is one expression of a rule.
type Expr struct {
	name string
	data attrs
}

func (e Expr) encode() attrs {
	var a attrs
	a.str(attrExprName, e.name)
	if len(e.data) > 0 {
		a.nest(attrExprData, e.data)
	}
	return a
}

// Payload bases.
const (
	NetworkHeader   = 1
	TransportHeader = 2
)

// Payload loads len bytes at offset of the header base into dreg.
func Payload(base, offset, length uint32, dreg Reg) Expr {
	var a attrs
	a.be32(1, uint32(dreg))
	a.be32(2, base)
	a.be32(3, offset)
	a.be32(4, length)
	return Expr{"payload", a}
}

// Meta keys.
const (
	MetaL4Proto = 16
)

// Meta loads the meta key into dreg.
func Meta(key uint32, dreg Reg) Expr {
	var a attrs
	a.be32(2, key)
	a.be32(1, uint32(dreg))
	return Expr{"meta", a}
}

// Comparison operators.
const (
	CmpEq  = 0
	CmpNeq = 1
)

// Cmp compares sreg with data; the rule stops when the comparison fails.
func Cmp(op uint32, sreg Reg, data []byte) Expr {
	var a attrs
	a.be32(1, uint32(sreg))
	a.be32(2, op)
	a.data(3, data)
	return Expr{"cmp", a}
}

// Mask ands sreg with mask into dreg.
func Mask(sreg, dreg Reg, mask []byte) Expr {
	var a attrs
	a.be32(1, uint32(sreg))
	a.be32(2, uint32(dreg))
	a.be32(3, uint32(len(mask)))
	a.data(4, mask)
	a.data(5, make([]byte, len(mask)))
	return Expr{"bitwise", a}
}

// Lookup looks sreg up in the set; with a dreg (a map) the value is
// loaded there. The rule stops when the key is missing.
func Lookup(set string, sreg, dreg Reg) Expr {
	var a attrs
	a.str(1, set)
	a.be32(2, uint32(sreg))
	if dreg != 0 {
		a.be32(3, uint32(dreg))
	}
	return Expr{"lookup", a}
}

// DNAT rewrites the destination to the address in regAddr and the port in
// regPort.
func DNAT(fam Family, regAddr, regPort Reg) Expr {
	var a attrs
	a.be32(1, 1) // NFT_NAT_DNAT
	a.be32(2, uint32(fam))
	a.be32(3, uint32(regAddr))
	a.be32(5, uint32(regPort))
	return Expr{"nat", a}
}

// Masquerade rewrites the source to the outgoing interface's address.
func Masquerade() Expr { return Expr{name: "masq"} }

// RTNLocal is the address type of a local address (RTN_LOCAL).
const RTNLocal = 2

// FibDaddrType loads the route type of the destination address into dreg
// (a host-order uint32, RTNLocal for a local address).
func FibDaddrType(dreg Reg) Expr {
	var a attrs
	a.be32(1, uint32(dreg))
	a.be32(2, 3) // NFT_FIB_RESULT_ADDRTYPE
	a.be32(3, 2) // NFTA_FIB_F_DADDR
	return Expr{"fib", a}
}

// Immediate loads data into dreg.
func Immediate(dreg Reg, data []byte) Expr {
	var a attrs
	a.be32(1, uint32(dreg))
	a.data(2, data)
	return Expr{"immediate", a}
}

// Jump continues in chain and comes back at the end of it.
func Jump(chain string) Expr {
	var v, d, a attrs
	v.be32(1, 0xfffffffd) // NFTA_VERDICT_CODE: NFT_JUMP
	v.str(2, chain)       // NFTA_VERDICT_CHAIN
	d.nest(2, v)          // NFTA_DATA_VERDICT
	a.be32(1, 0)          // NFT_REG_VERDICT
	a.nest(2, d)
	return Expr{"immediate", a}
}

// HostU32 returns v in host byte order, as fib results and meta values are.
func HostU32(v uint32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, v)
	return b
}

// Port returns a port in network byte order, padded to a register.
func Port(p uint16) []byte { return []byte{byte(p >> 8), byte(p), 0, 0} }

// Proto returns an IP protocol number padded to a register.
func Proto(p uint8) []byte { return []byte{p, 0, 0, 0} }
