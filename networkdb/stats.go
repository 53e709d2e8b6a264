package networkdb

import "sync/atomic"

// Stats counts the messages and payload bytes this node sent, by kind.
type Stats struct {
	EventMsgs, EventBytes       uint64 // table events and membership records
	SyncReqMsgs, SyncReqBytes   uint64 // anti-entropy digests and full-sync requests
	SyncDataMsgs, SyncDataBytes uint64 // anti-entropy entry chunks
	OtherMsgs, OtherBytes       uint64 // leave announcements
	NodeFailures                uint64 // times a peer was declared failed
}

type counters struct {
	msgs, bytes [4]atomic.Uint64
	failures    atomic.Uint64
}

const (
	statEvent = iota
	statSyncReq
	statSyncData
	statOther
)

func (c *counters) add(kind int, n int) {
	c.msgs[kind].Add(1)
	c.bytes[kind].Add(uint64(n))
}

// Stats returns what this node sent so far.
func (n *NetworkDB) Stats() Stats {
	c := &n.stats
	return Stats{
		EventMsgs: c.msgs[statEvent].Load(), EventBytes: c.bytes[statEvent].Load(),
		SyncReqMsgs: c.msgs[statSyncReq].Load(), SyncReqBytes: c.bytes[statSyncReq].Load(),
		SyncDataMsgs: c.msgs[statSyncData].Load(), SyncDataBytes: c.bytes[statSyncData].Load(),
		OtherMsgs: c.msgs[statOther].Load(), OtherBytes: c.bytes[statOther].Load(),
		NodeFailures: c.failures.Load(),
	}
}

// statKind classifies an outbound message by its type byte.
func statKind(msg []byte) int {
	if len(msg) < headerLen {
		return statOther
	}
	switch msgType(msg[2]) {
	case msgTableEvents, msgNetEvents:
		return statEvent
	case msgSyncReq:
		return statSyncReq
	case msgSyncData:
		return statSyncData
	}
	return statOther
}
