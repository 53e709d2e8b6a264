package networkdb

import (
	"bytes"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// Wire format. Every message starts with a three-byte header: magic,
// format version, message type. The body is one msgpack array whose
// fields are listed below. Decoders accept arrays longer than they know
// (newer minor additions) and drop anything else.
//
//	tableEvents: [sender, network, groups]
//	netEvents:   [sender, clock, records]     (also the push/pull state)
//	syncReq:     [sender, network, clock, flags, nbuckets, digests]
//	syncData:    [sender, network, clock, nbuckets, want, groups]
//	nodeLeave:   [sender, ltime]
//	group:       [table, entries]
//	entry:       [key, owner, ltime, flags, ttlMillis, value]
//	record:      [node, network, ltime, flags]
const (
	wireMagic   byte = 0x6e // 'n'
	wireVersion byte = 1
	headerLen        = 3
)

type msgType byte

const (
	msgTableEvents msgType = 1
	msgNetEvents   msgType = 2
	msgSyncReq     msgType = 3
	msgSyncData    msgType = 4
	msgNodeLeave   msgType = 5
)

const (
	flagDeleted = 1 << 0 // entry: tombstone
	flagLeaving = 1 << 0 // record: node left the network
	flagFull    = 1 << 0 // syncReq: send everything
	flagForced  = 1 << 1 // syncReq: answer even while busy
)

// wireEntry is one table entry on the wire. An empty Owner means the
// message's sender.
type wireEntry struct {
	Key     string
	Owner   string
	LTime   uint64
	Deleted bool
	TTL     time.Duration // remaining tombstone lifetime
	Value   []byte
}

// wireGroup is a run of entries of one table.
type wireGroup struct {
	Table   string
	Entries []wireEntry
}

type tableEventsMsg struct {
	Sender  string
	Network string
	Groups  []wireGroup
}

// netRecord is one node's membership of one network.
type netRecord struct {
	Node    string
	Network string
	LTime   uint64
	Leaving bool
}

type netEventsMsg struct {
	Sender  string
	Clock   uint64
	Records []netRecord
}

type syncReqMsg struct {
	Sender   string
	Network  string
	Clock    uint64
	Full     bool
	Forced   bool
	NBuckets uint32
	Digests  []uint64
}

type syncDataMsg struct {
	Sender   string
	Network  string
	Clock    uint64
	NBuckets uint32
	Want     []uint32
	Groups   []wireGroup
}

// nodeLeaveMsg announces that the sender leaves the cluster gracefully.
type nodeLeaveMsg struct {
	Sender string
	LTime  uint64
}

// encoder appends msgpack values to a buffer.
type encoder struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

func newEncoder() *encoder {
	e := &encoder{}
	e.enc = msgpack.NewEncoder(&e.buf)
	e.enc.UseCompactInts(true)
	return e
}

// Errors from bytes.Buffer writes are impossible (it panics on OOM), so
// the encoder helpers drop them.
func (e *encoder) header(t msgType) { e.buf.Write([]byte{wireMagic, wireVersion, byte(t)}) }
func (e *encoder) arr(n int)        { _ = e.enc.EncodeArrayLen(n) }
func (e *encoder) str(s string)     { _ = e.enc.EncodeString(s) }
func (e *encoder) uint(v uint64)    { _ = e.enc.EncodeUint(v) }
func (e *encoder) bin(b []byte)     { _ = e.enc.EncodeBytes(b) }
func (e *encoder) raw(b []byte)     { e.buf.Write(b) }
func (e *encoder) bytes() []byte    { return e.buf.Bytes() }

func (e *encoder) entry(w *wireEntry) {
	e.arr(6)
	e.str(w.Key)
	e.str(w.Owner)
	e.uint(w.LTime)
	var f uint64
	if w.Deleted {
		f |= flagDeleted
	}
	e.uint(f)
	ttl := w.TTL.Milliseconds()
	if ttl < 0 {
		ttl = 0
	}
	e.uint(uint64(ttl))
	e.bin(w.Value)
}

func (e *encoder) groups(gs []wireGroup) {
	e.arr(len(gs))
	for i := range gs {
		e.arr(2)
		e.str(gs[i].Table)
		e.arr(len(gs[i].Entries))
		for j := range gs[i].Entries {
			e.entry(&gs[i].Entries[j])
		}
	}
}

// encodeEntry returns the msgpack form of one entry, for packet assembly.
func encodeEntry(w *wireEntry) []byte {
	e := newEncoder()
	e.entry(w)
	return append([]byte(nil), e.bytes()...)
}

func encodeTableEvents(m *tableEventsMsg) []byte {
	e := newEncoder()
	e.header(msgTableEvents)
	e.arr(3)
	e.str(m.Sender)
	e.str(m.Network)
	e.groups(m.Groups)
	return e.bytes()
}

func encodeNetEvents(m *netEventsMsg) []byte {
	e := newEncoder()
	e.header(msgNetEvents)
	e.arr(3)
	e.str(m.Sender)
	e.uint(m.Clock)
	e.arr(len(m.Records))
	for _, r := range m.Records {
		e.record(&r)
	}
	return e.bytes()
}

func (e *encoder) record(r *netRecord) {
	e.arr(4)
	e.str(r.Node)
	e.str(r.Network)
	e.uint(r.LTime)
	var f uint64
	if r.Leaving {
		f |= flagLeaving
	}
	e.uint(f)
}

// encodeRecord returns the msgpack form of one record, for packet assembly.
func encodeRecord(r *netRecord) []byte {
	e := newEncoder()
	e.record(r)
	return append([]byte(nil), e.bytes()...)
}

func encodeSyncReq(m *syncReqMsg) []byte {
	e := newEncoder()
	e.header(msgSyncReq)
	e.arr(6)
	e.str(m.Sender)
	e.str(m.Network)
	e.uint(m.Clock)
	var f uint64
	if m.Full {
		f |= flagFull
	}
	if m.Forced {
		f |= flagForced
	}
	e.uint(f)
	e.uint(uint64(m.NBuckets))
	e.arr(len(m.Digests))
	for _, d := range m.Digests {
		_ = e.enc.EncodeUint64(d)
	}
	return e.bytes()
}

func encodeSyncData(m *syncDataMsg) []byte {
	e := newEncoder()
	e.header(msgSyncData)
	e.arr(6)
	e.str(m.Sender)
	e.str(m.Network)
	e.uint(m.Clock)
	e.uint(uint64(m.NBuckets))
	e.arr(len(m.Want))
	for _, w := range m.Want {
		e.uint(uint64(w))
	}
	e.groups(m.Groups)
	return e.bytes()
}

func encodeNodeLeave(m *nodeLeaveMsg) []byte {
	e := newEncoder()
	e.header(msgNodeLeave)
	e.arr(2)
	e.str(m.Sender)
	e.uint(m.LTime)
	return e.bytes()
}
