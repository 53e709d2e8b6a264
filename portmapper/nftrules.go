package portmapper

import (
	"encoding/hex"
	"net"

	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/nft"
	"golang.org/x/sys/unix"
)

// With nf_tables (the default), a mapping is a few elements of the maps and
// sets of one table per family, named like the chains ("CNMKIT-PORTMAP"):
//
//	prerouting, output (nat): for local destinations (output: not the
//	    loopback when the proxy serves it), dnat through "dnat-addr"
//	    (proto . host IP . host port) then "dnat-any" (proto . host port)
//	    to container IP . container port
//	postrouting (nat): masquerade what "hairpin" (container IP . container
//	    IP . proto . port) or, from the loopback, "localnet" (container IP .
//	    proto . port) holds
//
// Publishing or withdrawing a port is one netlink transaction whose cost
// does not depend on how many ports or rules there are. Forwarded traffic
// to published ports is accepted by one static iptables rule in the
// filter chain the bridge jumps to: connections we DNATed.
const (
	setDNATAddr = "dnat-addr"
	setDNATAny  = "dnat-any"
	setHairpin  = "hairpin"
	setLocalnet = "localnet"
)

// acceptDNAT is the filter chain's one rule with nf_tables.
var acceptDNAT = []string{"-m", "conntrack", "--ctstate", "DNAT", "-j", "ACCEPT"}

func protoNum(proto string) uint8 {
	switch proto {
	case "tcp":
		return unix.IPPROTO_TCP
	case "udp":
		return unix.IPPROTO_UDP
	}
	return unix.IPPROTO_SCTP
}

// nftTable is the family's nf_tables table, named like the nat chain.
func (f *family) nftTable() string { return f.natChain }

// addrLen returns the length of the family's addresses.
func (f *family) addrLen() uint32 {
	if f.v6 {
		return 16
	}
	return 4
}

func (f *family) ip(ip net.IP) []byte {
	if f.v6 {
		return ip.To16()
	}
	return ip.To4()
}

// field is one part of a concatenated key.
type field int

const (
	fProto field = iota
	fSaddr
	fDaddr
	fDport
)

// load returns the expressions loading fields into consecutive registers
// from Reg32(0), and the key's length.
func (f *family) load(fields ...field) ([]nft.Expr, uint32) {
	var out []nft.Expr
	reg, n := 0, uint32(0)
	for _, fl := range fields {
		var l uint32
		switch fl {
		case fProto:
			out, l = append(out, nft.Meta(nft.MetaL4Proto, nft.Reg32(reg))), 4
		case fSaddr, fDaddr:
			off := uint32(12)
			if f.v6 {
				off = 8
			}
			if fl == fDaddr {
				off += f.addrLen()
			}
			l = f.addrLen()
			out = append(out, nft.Payload(nft.NetworkHeader, off, l, nft.Reg32(reg)))
		case fDport:
			out, l = append(out, nft.Payload(nft.TransportHeader, 2, 2, nft.Reg32(reg))), 4
		}
		reg += int(l / 4)
		n += l
	}
	return out, n
}

func keyType(v6 bool, fields ...field) uint32 {
	addr := uint32(nft.TypeIPv4Addr)
	if v6 {
		addr = nft.TypeIPv6Addr
	}
	var ts []uint32
	for _, fl := range fields {
		switch fl {
		case fProto:
			ts = append(ts, nft.TypeInetProto)
		case fSaddr, fDaddr:
			ts = append(ts, addr)
		case fDport:
			ts = append(ts, nft.TypeInetService)
		}
	}
	return nft.ConcatType(ts...)
}

var (
	keyDNATAddr = []field{fProto, fDaddr, fDport}
	keyDNATAny  = []field{fProto, fDport}
	keyHairpin  = []field{fSaddr, fDaddr, fProto, fDport}
	keyLocalnet = []field{fDaddr, fProto, fDport}
)

// nftSetup adds the family's table, chains, sets and rules to b; the
// chains' rules are replaced, the sets' elements kept.
func (f *family) nftSetup(b *nft.Batch, proxy bool) *nft.Batch {
	fam, t := f.nfam, f.nftTable()
	_, valLen := f.load(fDaddr, fDport)
	b.AddTable(fam, t).
		AddBaseChain(fam, t, "prerouting", "nat", nft.Prerouting, -100).
		AddBaseChain(fam, t, "output", "nat", nft.Output, -100).
		AddBaseChain(fam, t, "postrouting", "nat", nft.Postrouting, 100)
	for _, s := range []struct {
		name   string
		fields []field
		isMap  bool
	}{{setDNATAddr, keyDNATAddr, true}, {setDNATAny, keyDNATAny, true}, {setHairpin, keyHairpin, false}, {setLocalnet, keyLocalnet, false}} {
		_, klen := f.load(s.fields...)
		set := nft.Set{Name: s.name, KeyType: keyType(f.v6, s.fields...), KeyLen: klen}
		if s.isMap {
			set.DataType, set.DataLen = keyType(f.v6, fDaddr, fDport), valLen
		}
		b.AddSet(fam, t, set)
	}
	for _, c := range []string{"prerouting", "output", "postrouting"} {
		b.FlushChain(fam, t, c)
	}
	local := []nft.Expr{nft.FibDaddrType(nft.Reg32(0)), nft.Cmp(nft.CmpEq, nft.Reg32(0), nft.HostU32(nft.RTNLocal))}
	portReg := nft.Reg32(int(f.addrLen() / 4))
	dnat := func(set string, fields []field) []nft.Expr {
		loads, _ := f.load(fields...)
		return append(loads, nft.Lookup(set, nft.Reg32(0), nft.Reg32(0)), nft.DNAT(fam, nft.Reg32(0), portReg))
	}
	var notLoopback []nft.Expr
	if proxy {
		loads, _ := f.load(fDaddr)
		notLoopback = append(loads, f.loopbackCmp(nft.CmpNeq)...)
	}
	for _, set := range []struct {
		name   string
		fields []field
	}{{setDNATAddr, keyDNATAddr}, {setDNATAny, keyDNATAny}} {
		b.AddRule(fam, t, "prerouting", concat(local, dnat(set.name, set.fields))...)
		b.AddRule(fam, t, "output", concat(notLoopback, local, dnat(set.name, set.fields))...)
	}
	hp, _ := f.load(keyHairpin...)
	b.AddRule(fam, t, "postrouting", append(hp, nft.Lookup(setHairpin, nft.Reg32(0), 0), nft.Masquerade())...)
	src, _ := f.load(fSaddr)
	ln, _ := f.load(keyLocalnet...)
	return b.AddRule(fam, t, "postrouting", concat(src, f.loopbackCmp(nft.CmpEq), ln,
		[]nft.Expr{nft.Lookup(setLocalnet, nft.Reg32(0), 0), nft.Masquerade()})...)
}

// loopbackCmp compares the address in Reg32(0) with the loopback range.
func (f *family) loopbackCmp(op uint32) []nft.Expr {
	if f.v6 {
		return []nft.Expr{nft.Cmp(op, nft.Reg32(0), net.IPv6loopback)}
	}
	return []nft.Expr{nft.Mask(nft.Reg32(0), nft.Reg32(0), []byte{255, 0, 0, 0}), nft.Cmp(op, nft.Reg32(0), []byte{127, 0, 0, 0})}
}

func concat(parts ...[]nft.Expr) []nft.Expr {
	var out []nft.Expr
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// nftRules returns m's elements: its DNAT, and the hairpin and (for the
// loopback path without proxy) localnet masquerades of its container port.
func (f *family) nftRules(m *mapping) []rule {
	proto := nft.Proto(protoNum(m.proto))
	ctr := f.ip(m.ctrIP)
	val := append(append([]byte(nil), ctr...), nft.Port(uint16(m.ctrPort))...)
	var dnat rule
	if m.hostIP.IsUnspecified() {
		dnat = rule{set: setDNATAny, elem: nft.Elem{Key: append(append([]byte(nil), proto...), nft.Port(uint16(m.hostPort))...), Val: val}}
	} else {
		key := append(append(append([]byte(nil), proto...), f.ip(m.hostIP)...), nft.Port(uint16(m.hostPort))...)
		dnat = rule{set: setDNATAddr, elem: nft.Elem{Key: key, Val: val}}
	}
	port := nft.Port(uint16(m.ctrPort))
	rs := []rule{dnat, {set: setHairpin, shared: true,
		elem: nft.Elem{Key: concatBytes(ctr, ctr, proto, port)}}}
	if m.localnet != "" {
		rs = append(rs, rule{set: setLocalnet, shared: true, elem: nft.Elem{Key: concatBytes(ctr, proto, port)}})
	}
	return rs
}

func concatBytes(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func (r rule) nftID() string {
	return "nft|" + r.set + "|" + hex.EncodeToString(r.elem.Key)
}

// nftFilter adds the filter chain with its one rule, and the jump to it.
func (f *family) nftFilter(b *iptables.Batch) *iptables.Batch {
	return b.NewChain(iptables.Filter, f.filterChain).
		Append(iptables.Filter, f.filterChain, acceptDNAT...).
		EnsureJump(iptables.Filter, "FORWARD", f.filterChain)
}
