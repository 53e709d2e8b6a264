package nft

// Values of linux/netfilter/nf_tables.h and nfnetlink.h used here.
const (
	subsysNFTables = 10
	msgBatchBegin  = 0x10
	msgBatchEnd    = 0x11

	msgNewTable   = 0
	msgGetTable   = 1
	msgDelTable   = 2
	msgNewChain   = 3
	msgGetChain   = 4
	msgDelChain   = 5
	msgNewRule    = 6
	msgDelRule    = 8
	msgNewSet     = 9
	msgGetSet     = 10
	msgNewSetElem = 12
	msgGetSetElem = 13
	msgDelSetElem = 14

	attrTableName  = 1
	attrChainTable = 1
	attrChainName  = 3
	attrChainHook  = 4
	attrChainType  = 7
	attrHookNum    = 1
	attrHookPrio   = 2

	attrRuleTable = 1
	attrRuleChain = 2
	attrRuleExprs = 4

	attrSetTable    = 1
	attrSetName     = 2
	attrSetFlags    = 3
	attrSetKeyType  = 4
	attrSetKeyLen   = 5
	attrSetDataType = 6
	attrSetDataLen  = 7
	attrSetID       = 10

	attrElemListTable = 1
	attrElemListSet   = 2
	attrElemListElems = 3
	attrElemKey       = 1
	attrElemData      = 2

	attrListElem = 1
	attrExprName = 1
	attrExprData = 2
	attrDataVal  = 1

	setFlagMap = 0x8

	nlaNested = 0x8000
)

// Family is an nf_tables address family.
type Family uint8

// Families.
const (
	IPv4 Family = 2  // NFPROTO_IPV4
	IPv6 Family = 10 // NFPROTO_IPV6
)

func (f Family) String() string {
	if f == IPv6 {
		return "ip6"
	}
	return "ip"
}

// Hook is a netfilter hook.
type Hook uint32

// Hooks.
const (
	Prerouting  Hook = 0
	Input       Hook = 1
	Forward     Hook = 2
	Output      Hook = 3
	Postrouting Hook = 4
)

// Reg is an nf_tables register: Reg32(i) is the i-th 32-bit one.
type Reg uint32

// Reg32 returns the 32-bit register i (0..15).
func Reg32(i int) Reg { return Reg(8 + i) }

// Data types of set keys, as nft(8) names them (for listings only).
const (
	TypeIPv4Addr    = 7
	TypeIPv6Addr    = 8
	TypeInetProto   = 12
	TypeInetService = 13
)

// ConcatType returns the type of a concatenation of the given types.
func ConcatType(types ...uint32) uint32 {
	var t uint32
	for _, x := range types {
		t = t<<6 | x
	}
	return t
}
