package portmapper

import (
	"encoding/binary"
	"encoding/hex"
	"net"

	gnft "github.com/google/nftables"
	"github.com/google/nftables/expr"
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
// does not depend on how many ports or rules there are. No iptables rule is
// used: the firewall that drops forwarded traffic into a bridge (the bridge
// driver's) accepts connections we DNATed.
const (
	setDNATAddr = "dnat-addr"
	setDNATAny  = "dnat-any"
	setHairpin  = "hairpin"
	setLocalnet = "localnet"
)

// rtnLocal is the route type of a local address (RTN_LOCAL).
const rtnLocal = 2

// reg32 returns the i-th 32-bit register.
func reg32(i int) uint32 { return uint32(8 + i) }

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

func (f *family) tbl() *gnft.Table { return &gnft.Table{Family: f.nfam, Name: f.nftTable()} }

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
// from reg32(0), and the key's length.
func (f *family) load(fields ...field) ([]expr.Any, uint32) {
	var out []expr.Any
	reg, n := 0, uint32(0)
	for _, fl := range fields {
		var l uint32
		switch fl {
		case fProto:
			out, l = append(out, &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg32(reg)}), 4
		case fSaddr, fDaddr:
			off := uint32(12)
			if f.v6 {
				off = 8
			}
			if fl == fDaddr {
				off += f.addrLen()
			}
			l = f.addrLen()
			out = append(out, &expr.Payload{DestRegister: reg32(reg), Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: l})
		case fDport:
			out, l = append(out, &expr.Payload{DestRegister: reg32(reg), Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2}), 4
		}
		reg += int(l / 4)
		n += l
	}
	return out, n
}

func keyType(v6 bool, fields ...field) gnft.SetDatatype {
	addr := gnft.TypeIPAddr
	if v6 {
		addr = gnft.TypeIP6Addr
	}
	var ts []gnft.SetDatatype
	for _, fl := range fields {
		switch fl {
		case fProto:
			ts = append(ts, gnft.TypeInetProto)
		case fSaddr, fDaddr:
			ts = append(ts, addr)
		case fDport:
			ts = append(ts, gnft.TypeInetService)
		}
	}
	if len(ts) == 1 {
		return ts[0]
	}
	return gnft.MustConcatSetType(ts...)
}

var (
	keyDNATAddr = []field{fProto, fDaddr, fDport}
	keyDNATAny  = []field{fProto, fDport}
	keyHairpin  = []field{fSaddr, fDaddr, fProto, fDport}
	keyLocalnet = []field{fDaddr, fProto, fDport}
)

// nftSets returns the family's sets and maps (without IDs).
func (f *family) nftSets() []*gnft.Set {
	t := f.tbl()
	var out []*gnft.Set
	for _, s := range []struct {
		name   string
		fields []field
		isMap  bool
	}{{setDNATAddr, keyDNATAddr, true}, {setDNATAny, keyDNATAny, true}, {setHairpin, keyHairpin, false}, {setLocalnet, keyLocalnet, false}} {
		set := &gnft.Set{Table: t, Name: s.name, KeyType: keyType(f.v6, s.fields...), Concatenation: len(s.fields) > 1}
		if s.isMap {
			set.IsMap, set.DataType = true, keyType(f.v6, fDaddr, fDport)
		}
		out = append(out, set)
	}
	return out
}

func (f *family) setRef(name string) *gnft.Set {
	for _, s := range f.nftSets() {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// nftSetup queues the family's table, chains, sets and rules; the chains'
// rules are replaced, the sets' elements kept.
func (f *family) nftSetup(nc *gnft.Conn, proxy bool) error {
	t := nc.AddTable(f.tbl())
	chain := func(name string, hook *gnft.ChainHook, prio *gnft.ChainPriority) *gnft.Chain {
		c := nc.AddChain(&gnft.Chain{Table: t, Name: name, Type: gnft.ChainTypeNAT, Hooknum: hook, Priority: prio})
		nc.FlushChain(c)
		return c
	}
	prer := chain("prerouting", gnft.ChainHookPrerouting, gnft.ChainPriorityNATDest)
	out := chain("output", gnft.ChainHookOutput, gnft.ChainPriorityNATDest)
	post := chain("postrouting", gnft.ChainHookPostrouting, gnft.ChainPriorityNATSource)
	sets := map[string]*gnft.Set{}
	for _, s := range f.nftSets() {
		if err := nc.AddSet(s, nil); err != nil {
			return err
		}
		sets[s.Name] = s
	}
	lookup := func(name string, dreg bool) *expr.Lookup {
		l := &expr.Lookup{SourceRegister: reg32(0), SetName: name, SetID: sets[name].ID}
		if dreg {
			l.IsDestRegSet, l.DestRegister = true, reg32(0)
		}
		return l
	}
	local := []expr.Any{
		&expr.Fib{Register: reg32(0), ResultADDRTYPE: true, FlagDADDR: true},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg32(0), Data: hostU32(rtnLocal)},
	}
	portReg := reg32(int(f.addrLen() / 4))
	nfam := uint32(unix.NFPROTO_IPV4)
	if f.v6 {
		nfam = unix.NFPROTO_IPV6
	}
	dnat := func(set string, fields []field) []expr.Any {
		loads, _ := f.load(fields...)
		return append(loads, lookup(set, true), &expr.NAT{Type: expr.NATTypeDestNAT, Family: nfam, RegAddrMin: reg32(0), RegProtoMin: portReg, Specified: true})
	}
	var notLoopback []expr.Any
	if proxy {
		loads, _ := f.load(fDaddr)
		notLoopback = append(loads, f.loopbackCmp(expr.CmpOpNeq)...)
	}
	for _, set := range []struct {
		name   string
		fields []field
	}{{setDNATAddr, keyDNATAddr}, {setDNATAny, keyDNATAny}} {
		nc.AddRule(&gnft.Rule{Table: t, Chain: prer, Exprs: concat(local, dnat(set.name, set.fields))})
		nc.AddRule(&gnft.Rule{Table: t, Chain: out, Exprs: concat(notLoopback, local, dnat(set.name, set.fields))})
	}
	hp, _ := f.load(keyHairpin...)
	nc.AddRule(&gnft.Rule{Table: t, Chain: post, Exprs: append(hp, lookup(setHairpin, false), &expr.Masq{})})
	src, _ := f.load(fSaddr)
	ln, _ := f.load(keyLocalnet...)
	nc.AddRule(&gnft.Rule{Table: t, Chain: post, Exprs: concat(src, f.loopbackCmp(expr.CmpOpEq), ln,
		[]expr.Any{lookup(setLocalnet, false), &expr.Masq{}})})
	return nil
}

func hostU32(v uint32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, v)
	return b
}

// loopbackCmp compares the address in reg32(0) with the loopback range.
func (f *family) loopbackCmp(op expr.CmpOp) []expr.Any {
	if f.v6 {
		return []expr.Any{&expr.Cmp{Op: op, Register: reg32(0), Data: net.IPv6loopback}}
	}
	return []expr.Any{
		&expr.Bitwise{SourceRegister: reg32(0), DestRegister: reg32(0), Len: 4, Mask: []byte{255, 0, 0, 0}, Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: op, Register: reg32(0), Data: []byte{127, 0, 0, 0}},
	}
}

func concat(parts ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// port returns a port in network byte order, padded to a register.
func port(p uint16) []byte { return []byte{byte(p >> 8), byte(p), 0, 0} }

// nftRules returns m's elements: its DNAT, and the hairpin and (for the
// loopback path without proxy) localnet masquerades of its container port.
func (f *family) nftRules(m *mapping) []rule {
	proto := []byte{protoNum(m.proto), 0, 0, 0}
	ctr := f.ip(m.ctrIP)
	val := concatBytes(ctr, port(uint16(m.ctrPort)))
	var dnat rule
	if m.hostIP.IsUnspecified() {
		dnat = rule{set: setDNATAny, elem: gnft.SetElement{Key: concatBytes(proto, port(uint16(m.hostPort))), Val: val}}
	} else {
		dnat = rule{set: setDNATAddr, elem: gnft.SetElement{Key: concatBytes(proto, f.ip(m.hostIP), port(uint16(m.hostPort))), Val: val}}
	}
	p := port(uint16(m.ctrPort))
	rs := []rule{dnat, {set: setHairpin, shared: true,
		elem: gnft.SetElement{Key: concatBytes(ctr, ctr, proto, p)}}}
	if m.localnet != "" {
		rs = append(rs, rule{set: setLocalnet, shared: true, elem: gnft.SetElement{Key: concatBytes(ctr, proto, p)}})
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

// nftElems lists the elements of one of the family's sets.
func (f *family) nftElems(set string) ([]gnft.SetElement, error) {
	var out []gnft.SetElement
	err := f.nft.Query("list elements of "+f.nftTable()+"/"+set, func(nc *gnft.Conn) error {
		var err error
		out, err = nc.GetSetElements(f.setRef(set))
		return err
	})
	return out, err
}
