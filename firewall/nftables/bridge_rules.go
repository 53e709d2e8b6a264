package nftables

import (
	"net"

	gnft "github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// The table "inet cnmkit" holds the bridge networks' rules. The rules are
// static; a network is a few elements of its sets (keyed by bridge name)
// and, with masquerade, one chain its pool's element of a verdict map
// jumps to:
//
//	chain forward (filter, forward hook)
//	  iifname . oifname @icc_off drop        between containers, ICC off
//	  iifname . oifname @same accept         between containers
//	  iifname @internal drop                 internal: nothing out
//	  oifname @internal drop                 internal: nothing in
//	  iifname @nets oifname @nets drop       isolation between networks
//	  oifname @nets ct state established,related accept
//	  oifname @nets ct status dnat accept    published ports
//	  iifname @nets accept                   out of a bridge
//	  oifname @nets drop                     anything else into a bridge
//	chain postrouting (nat, postrouting hook)
//	  iifname vmap @masq                     bridge -> chain masq-<bridge>
//	chain masq-<bridge>
//	  meta nfproto ipv4 ip saddr <pool> oifname != <bridge> masquerade
//
// so adding or removing a network costs the same whatever their number.
const (
	// TableName is the bridge networks' table (family inet).
	TableName = "cnmkit"

	chainForward = "forward"
	chainPost    = "postrouting"
	masqPrefix   = "masq-"

	setSame     = "same"
	setICCOff   = "icc_off"
	setInternal = "internal"
	setNets     = "nets"
	mapMasq     = "masq"
)

// NFT registers: 1 is the 16-byte register 1, 8 and 12 the 32-bit
// registers where a concatenation of two interface names starts.
const (
	reg1   = 1
	reg32a = 8
	reg32b = 12
)

type ruleDef struct {
	chain string
	desc  string
	exprs func(sets map[string]*gnft.Set) []expr.Any
}

func ifnames(sets map[string]*gnft.Set, set string) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: reg32a},
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: reg32b},
		&expr.Lookup{SourceRegister: reg32a, SetName: set, SetID: sets[set].ID},
	}
}

func ifIn(sets map[string]*gnft.Set, key expr.MetaKey, set string) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: key, Register: reg1},
		&expr.Lookup{SourceRegister: reg1, SetName: set, SetID: sets[set].ID},
	}
}

func ctBits(key expr.CtKey, bits uint32) []expr.Any {
	return []expr.Any{
		&expr.Ct{Key: key, Register: reg1},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(bits), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: reg1, Data: make([]byte, 4)},
	}
}

func verdict(k expr.VerdictKind) *expr.Verdict { return &expr.Verdict{Kind: k} }

func cat(parts ...[]expr.Any) []expr.Any {
	var out []expr.Any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// ipsDstNAT is the conntrack status bit of DNATed connections.
const ipsDstNAT = 1 << 5

var staticRules = []ruleDef{
	{chainForward, "iifname . oifname @icc_off drop", func(s map[string]*gnft.Set) []expr.Any {
		return append(ifnames(s, setICCOff), verdict(expr.VerdictDrop))
	}},
	{chainForward, "iifname . oifname @same accept", func(s map[string]*gnft.Set) []expr.Any {
		return append(ifnames(s, setSame), verdict(expr.VerdictAccept))
	}},
	{chainForward, "iifname @internal drop", func(s map[string]*gnft.Set) []expr.Any {
		return append(ifIn(s, expr.MetaKeyIIFNAME, setInternal), verdict(expr.VerdictDrop))
	}},
	{chainForward, "oifname @internal drop", func(s map[string]*gnft.Set) []expr.Any {
		return append(ifIn(s, expr.MetaKeyOIFNAME, setInternal), verdict(expr.VerdictDrop))
	}},
	{chainForward, "iifname @nets oifname @nets drop", func(s map[string]*gnft.Set) []expr.Any {
		return cat(ifIn(s, expr.MetaKeyIIFNAME, setNets), ifIn(s, expr.MetaKeyOIFNAME, setNets), []expr.Any{verdict(expr.VerdictDrop)})
	}},
	{chainForward, "oifname @nets ct state established,related accept", func(s map[string]*gnft.Set) []expr.Any {
		return cat(ifIn(s, expr.MetaKeyOIFNAME, setNets), ctBits(expr.CtKeySTATE, expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED), []expr.Any{verdict(expr.VerdictAccept)})
	}},
	{chainForward, "oifname @nets ct status dnat accept", func(s map[string]*gnft.Set) []expr.Any {
		return cat(ifIn(s, expr.MetaKeyOIFNAME, setNets), ctBits(expr.CtKeySTATUS, ipsDstNAT), []expr.Any{verdict(expr.VerdictAccept)})
	}},
	{chainForward, "iifname @nets accept", func(s map[string]*gnft.Set) []expr.Any {
		return append(ifIn(s, expr.MetaKeyIIFNAME, setNets), verdict(expr.VerdictAccept))
	}},
	{chainForward, "oifname @nets drop", func(s map[string]*gnft.Set) []expr.Any {
		return append(ifIn(s, expr.MetaKeyOIFNAME, setNets), verdict(expr.VerdictDrop))
	}},
	{chainPost, "iifname vmap @masq", func(s map[string]*gnft.Set) []expr.Any {
		return []expr.Any{
			&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: reg1},
			&expr.Lookup{SourceRegister: reg1, SetName: mapMasq, SetID: s[mapMasq].ID, IsDestRegSet: true, DestRegister: 0},
		}
	}},
}

// masqRule is the rule of a network's masquerade chain: IPv4 traffic from
// the pool leaving through another interface takes that interface's
// address.
func masqRule(bridge string, pool *net.IPNet) []expr.Any {
	p4 := pool.IP.To4().Mask(pool.Mask)
	mask := net.IP(pool.Mask).To4()
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: reg1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{unix.NFPROTO_IPV4}},
		&expr.Payload{DestRegister: reg1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: []byte(mask), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte(p4)},
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: reg1},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: reg1, Data: IfName(bridge)},
		&expr.Masq{},
	}
}

func newSets(t *gnft.Table) []*gnft.Set {
	pair := gnft.MustConcatSetType(gnft.TypeIFName, gnft.TypeIFName)
	return []*gnft.Set{
		{Table: t, Name: setSame, KeyType: pair, Concatenation: true},
		{Table: t, Name: setICCOff, KeyType: pair, Concatenation: true},
		{Table: t, Name: setInternal, KeyType: gnft.TypeIFName},
		{Table: t, Name: setNets, KeyType: gnft.TypeIFName},
		{Table: t, Name: mapMasq, KeyType: gnft.TypeIFName, IsMap: true, DataType: gnft.TypeVerdict},
	}
}

func baseChains(t *gnft.Table) []*gnft.Chain {
	return []*gnft.Chain{
		{Table: t, Name: chainForward, Type: gnft.ChainTypeFilter, Hooknum: gnft.ChainHookForward, Priority: gnft.ChainPriorityFilter},
		{Table: t, Name: chainPost, Type: gnft.ChainTypeNAT, Hooknum: gnft.ChainHookPostrouting, Priority: gnft.ChainPriorityNATSource},
	}
}
