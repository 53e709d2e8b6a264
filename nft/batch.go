package nft

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Batch is a list of changes applied in one transaction: all or none.
type Batch struct {
	msgs []message
}

type message struct {
	typ   uint16
	flags uint16
	fam   Family
	what  string // for error messages
	body  attrs

	// Element changes keep their elements until encoded, so that
	// consecutive changes of one set go in one message.
	table, set string
	elems      []Elem
}

// maxElemsBytes bounds the elements of one message: an attribute's length
// is 16 bits.
const maxElemsBytes = 60000

// bodies returns the message's netlink bodies: one, or for a long list of
// elements, several.
func (m *message) bodies() [][]byte {
	if m.set == "" {
		return [][]byte{m.body}
	}
	if m.elems == nil {
		return [][]byte{elemList(m.table, m.set, nil)}
	}
	var out [][]byte
	start, size := 0, 0
	for i, e := range m.elems {
		n := 4 + 8 + align4(len(e.Key))
		if e.Val != nil {
			n += 8 + align4(len(e.Val))
		}
		if size+n > maxElemsBytes && i > start {
			out = append(out, elemList(m.table, m.set, m.elems[start:i]))
			start, size = i, 0
		}
		size += n
	}
	return append(out, elemList(m.table, m.set, m.elems[start:]))
}

// addElems queues an element change, merged into the previous message when
// that changes the same set the same way.
func (b *Batch) addElems(typ uint16, flags uint16, fam Family, what, table, set string, elems []Elem) *Batch {
	if n := len(b.msgs); n > 0 && elems != nil {
		if l := &b.msgs[n-1]; l.typ == typ && l.fam == fam && l.table == table && l.set == set && l.elems != nil {
			l.elems = append(l.elems, elems...)
			return b
		}
	}
	b.msgs = append(b.msgs, message{typ: typ, flags: flags, fam: fam, what: what, table: table, set: set, elems: elems})
	return b
}

func (b *Batch) add(typ uint16, flags uint16, fam Family, what string, body attrs) *Batch {
	b.msgs = append(b.msgs, message{typ: typ, flags: flags, fam: fam, what: what, body: body})
	return b
}

// Len returns the number of changes in b.
func (b *Batch) Len() int { return len(b.msgs) }

// AddTable creates the table unless it exists.
func (b *Batch) AddTable(fam Family, table string) *Batch {
	var a attrs
	a.str(attrTableName, table)
	return b.add(msgNewTable, unix.NLM_F_CREATE, fam, "add table "+fam.String()+" "+table, a)
}

// DelTable deletes the table with everything in it.
func (b *Batch) DelTable(fam Family, table string) *Batch {
	var a attrs
	a.str(attrTableName, table)
	return b.add(msgDelTable, 0, fam, "delete table "+fam.String()+" "+table, a)
}

// AddBaseChain creates a base chain of the given type ("nat", "filter")
// on hook at prio unless it exists.
func (b *Batch) AddBaseChain(fam Family, table, chain, typ string, hook Hook, prio int32) *Batch {
	var a, h attrs
	a.str(attrChainTable, table)
	a.str(attrChainName, chain)
	h.be32(attrHookNum, uint32(hook))
	h.be32(attrHookPrio, uint32(prio))
	a.nest(attrChainHook, h)
	a.str(attrChainType, typ)
	return b.add(msgNewChain, unix.NLM_F_CREATE, fam, "add chain "+table+"/"+chain, a)
}

// AddChain creates a regular chain, for jumps, unless it exists.
func (b *Batch) AddChain(fam Family, table, chain string) *Batch {
	var a attrs
	a.str(attrChainTable, table)
	a.str(attrChainName, chain)
	return b.add(msgNewChain, unix.NLM_F_CREATE, fam, "add chain "+table+"/"+chain, a)
}

// DelChain deletes a chain with its rules; while a rule elsewhere jumps to
// it the batch fails with a Conflict.
func (b *Batch) DelChain(fam Family, table, chain string) *Batch {
	var a attrs
	a.str(attrChainTable, table)
	a.str(attrChainName, chain)
	return b.add(msgDelChain, 0, fam, "delete chain "+table+"/"+chain, a)
}

// FlushChain deletes every rule of the chain.
func (b *Batch) FlushChain(fam Family, table, chain string) *Batch {
	var a attrs
	a.str(attrRuleTable, table)
	a.str(attrRuleChain, chain)
	return b.add(msgDelRule, 0, fam, "flush chain "+table+"/"+chain, a)
}

// AddRule appends a rule made of exprs to the chain.
func (b *Batch) AddRule(fam Family, table, chain string, exprs ...Expr) *Batch {
	var a, list attrs
	a.str(attrRuleTable, table)
	a.str(attrRuleChain, chain)
	for _, e := range exprs {
		list.nest(attrListElem, e.encode())
	}
	a.nest(attrRuleExprs, list)
	return b.add(msgNewRule, unix.NLM_F_CREATE|unix.NLM_F_APPEND, fam, "add rule to "+table+"/"+chain, a)
}

// Set describes a set, or a map when DataLen > 0. Lengths are in bytes,
// each field of a concatenation padded to 4.
type Set struct {
	Name     string
	KeyType  uint32
	KeyLen   uint32
	DataType uint32
	DataLen  uint32
}

// AddSet creates the set unless it exists.
func (b *Batch) AddSet(fam Family, table string, s Set) *Batch {
	var a attrs
	a.str(attrSetTable, table)
	a.str(attrSetName, s.Name)
	flags := uint32(0)
	if s.DataLen > 0 {
		flags |= setFlagMap
	}
	a.be32(attrSetFlags, flags)
	a.be32(attrSetKeyType, s.KeyType)
	a.be32(attrSetKeyLen, s.KeyLen)
	if s.DataLen > 0 {
		a.be32(attrSetDataType, s.DataType)
		a.be32(attrSetDataLen, s.DataLen)
	}
	a.be32(attrSetID, uint32(len(b.msgs)+1))
	return b.add(msgNewSet, unix.NLM_F_CREATE, fam, "add set "+table+"/"+s.Name, a)
}

// Elem is a set element: a key and, in a map, its value.
type Elem struct {
	Key, Val []byte
}

func elemList(table, set string, elems []Elem) attrs {
	var a, list attrs
	a.str(attrElemListTable, table)
	a.str(attrElemListSet, set)
	if elems == nil {
		return a
	}
	for _, e := range elems {
		var el attrs
		el.data(attrElemKey, e.Key)
		if e.Val != nil {
			el.data(attrElemData, e.Val)
		}
		list.nest(attrListElem, el)
	}
	a.nest(attrElemListElems, list)
	return a
}

// AddElems adds elements to a set; an element already there with the same
// value is no error.
func (b *Batch) AddElems(fam Family, table, set string, elems ...Elem) *Batch {
	if len(elems) == 0 {
		return b
	}
	return b.addElems(msgNewSetElem, unix.NLM_F_CREATE, fam, "add elements to "+table+"/"+set, table, set, append([]Elem(nil), elems...))
}

// DelElems deletes elements from a set; a missing one fails the batch.
func (b *Batch) DelElems(fam Family, table, set string, elems ...Elem) *Batch {
	if len(elems) == 0 {
		return b
	}
	return b.addElems(msgDelSetElem, 0, fam, "delete elements from "+table+"/"+set, table, set, append([]Elem(nil), elems...))
}

// FlushSet deletes every element of a set.
func (b *Batch) FlushSet(fam Family, table, set string) *Batch {
	return b.addElems(msgDelSetElem, 0, fam, "flush set "+table+"/"+set, table, set, nil)
}

// encode writes the batch with its begin and end markers, numbering the
// messages from seq; it returns the change of each sequence number.
func (b *Batch) encode(seq uint32) ([]byte, map[uint32]string) {
	var out []byte
	whats := map[uint32]string{}
	put := func(typ, flags uint16, fam Family, body []byte) {
		l := 16 + 4 + len(body)
		h := make([]byte, 20, 20+len(body))
		binary.LittleEndian.PutUint32(h[0:], uint32(l))
		binary.LittleEndian.PutUint16(h[4:], typ)
		binary.LittleEndian.PutUint16(h[6:], flags)
		binary.LittleEndian.PutUint32(h[8:], seq)
		seq++
		h[16] = byte(fam)
		if typ == msgBatchBegin {
			binary.BigEndian.PutUint16(h[18:], subsysNFTables)
		}
		out = append(out, append(h, body...)...)
		for i := l; i < align4(l); i++ {
			out = append(out, 0)
		}
	}
	put(msgBatchBegin, unix.NLM_F_REQUEST, 0, nil)
	for _, m := range b.msgs {
		for _, body := range m.bodies() {
			whats[seq] = m.what
			put(subsysNFTables<<8|m.typ, unix.NLM_F_REQUEST|unix.NLM_F_ACK|m.flags, m.fam, body)
		}
	}
	put(msgBatchEnd, unix.NLM_F_REQUEST, 0, nil)
	return out, whats
}
