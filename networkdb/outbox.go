package networkdb

import (
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// packetOverhead is what memberlist adds around a user message in a UDP
// packet (message type, CRC, encryption, label), rounded up.
const packetOverhead = 64

type itemKind uint8

const (
	itemEntry  itemKind = iota // a table entry of network nid
	itemRecord                 // a membership record
	itemRaw                    // a complete message
)

// outItem is one pending outbound item; data is its msgpack form.
type outItem struct {
	kind       itemKind
	nid, table string
	data       []byte
}

// outbox batches outbound events per destination and sends them as few
// packets as fit, straight to the destination, without waiting for
// memberlist's gossip rounds.
type outbox struct {
	n     *NetworkDB
	limit int
	delay time.Duration
	kick  chan struct{}

	mu      sync.Mutex
	pending map[string]*destQueue

	sendMu sync.Mutex
}

type destQueue struct {
	node  *memberlist.Node
	items []outItem
}

func newOutbox(n *NetworkDB, limit int, delay time.Duration) *outbox {
	return &outbox{n: n, limit: limit, delay: delay, kick: make(chan struct{}, 1), pending: map[string]*destQueue{}}
}

// enqueue queues an item for node; it never blocks.
func (o *outbox) enqueue(node *memberlist.Node, it outItem) {
	o.mu.Lock()
	dq := o.pending[node.Name]
	if dq == nil {
		dq = &destQueue{}
		o.pending[node.Name] = dq
	}
	dq.node = node
	dq.items = append(dq.items, it)
	o.mu.Unlock()
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// run sends what is queued until stop closes, waiting BatchDelay after the
// first item so that a burst of writes shares packets.
func (o *outbox) run(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-o.kick:
		}
		if o.delay > 0 {
			t := time.NewTimer(o.delay)
			select {
			case <-stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
		o.flush()
	}
}

// flush sends everything queued now.
func (o *outbox) flush() {
	o.sendMu.Lock()
	defer o.sendMu.Unlock()
	o.mu.Lock()
	p := o.pending
	o.pending = map[string]*destQueue{}
	o.mu.Unlock()
	for _, dq := range p {
		for _, pkt := range o.n.packets(dq.items, o.limit) {
			o.n.send(dq.node, pkt, false)
		}
	}
}

// send sends one message: as a UDP packet when it fits and reliable is
// false, else over a stream.
func (n *NetworkDB) send(node *memberlist.Node, msg []byte, reliable bool) {
	n.stats.add(statKind(msg), len(msg))
	var err error
	if reliable || len(msg) > n.cfg.PacketBufferSize-packetOverhead {
		err = n.ml.SendReliable(node, msg)
	} else {
		err = n.ml.SendBestEffort(node, msg)
	}
	if err != nil {
		n.log.WithError(err).WithField("peer", node.Name).Debug("send failed")
	}
}

// packets assembles queued items into messages of at most limit bytes
// (an item bigger than that gets a message of its own). Items of one
// network share packets; order within a network is kept.
func (n *NetworkDB) packets(items []outItem, limit int) [][]byte {
	type runKey struct {
		kind itemKind
		nid  string
	}
	var keys []runKey
	runs := map[runKey][]outItem{}
	var out [][]byte
	for _, it := range items {
		if it.kind == itemRaw {
			out = append(out, it.data)
			continue
		}
		k := runKey{it.kind, it.nid}
		if _, ok := runs[k]; !ok {
			keys = append(keys, k)
		}
		runs[k] = append(runs[k], it)
	}
	for _, k := range keys {
		if k.kind == itemRecord {
			out = append(out, n.recordPackets(runs[k], limit)...)
		} else {
			out = append(out, n.entryPackets(k.nid, runs[k], limit)...)
		}
	}
	return out
}

// strSize bounds the msgpack size of a string.
func strSize(s string) int { return len(s) + 5 }

// groupOverhead bounds the bytes a table group adds besides its entries.
func groupOverhead(table string) int { return 1 + strSize(table) + 5 }

// splitEntries cuts entry items into runs whose encoded groups stay under
// budget bytes.
func splitEntries(items []outItem, budget int) [][]outItem {
	var (
		out   [][]outItem
		start int
		size  int
	)
	for i, it := range items {
		add := len(it.data)
		if i == start || it.table != items[i-1].table {
			add += groupOverhead(it.table)
		}
		if i > start && size+add > budget {
			out = append(out, items[start:i])
			start, size = i, len(it.data)+groupOverhead(it.table)
			continue
		}
		size += add
	}
	if start < len(items) {
		out = append(out, items[start:])
	}
	return out
}

// rawGroups writes entry items as groups of consecutive same-table items.
func (e *encoder) rawGroups(items []outItem) {
	ng := 0
	for i := range items {
		if i == 0 || items[i].table != items[i-1].table {
			ng++
		}
	}
	e.arr(ng)
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].table == items[i].table {
			j++
		}
		e.arr(2)
		e.str(items[i].table)
		e.arr(j - i)
		for _, it := range items[i:j] {
			e.raw(it.data)
		}
		i = j
	}
}

func (n *NetworkDB) entryPackets(nid string, items []outItem, limit int) [][]byte {
	base := headerLen + 1 + strSize(n.self) + strSize(nid) + 5
	var out [][]byte
	for _, run := range splitEntries(items, limit-base) {
		e := newEncoder()
		e.header(msgTableEvents)
		e.arr(3)
		e.str(n.self)
		e.str(nid)
		e.rawGroups(run)
		out = append(out, e.bytes())
	}
	return out
}

func (n *NetworkDB) recordPackets(items []outItem, limit int) [][]byte {
	base := headerLen + 1 + strSize(n.self) + 9 + 5
	var out [][]byte
	for start := 0; start < len(items); {
		end, size := start, base
		for end < len(items) && (end == start || size+len(items[end].data) <= limit) {
			size += len(items[end].data)
			end++
		}
		e := newEncoder()
		e.header(msgNetEvents)
		e.arr(3)
		e.str(n.self)
		e.uint(n.clock.Time())
		e.arr(end - start)
		for _, it := range items[start:end] {
			e.raw(it.data)
		}
		out = append(out, e.bytes())
		start = end
	}
	return out
}

// rawBroadcast is a message for memberlist's gossip queue.
type rawBroadcast []byte

func (b rawBroadcast) Invalidates(memberlist.Broadcast) bool { return false }
func (b rawBroadcast) Message() []byte                       { return b }
func (b rawBroadcast) Finished()                             {}

// recordBroadcast is a membership record on memberlist's gossip queue; a
// newer record of the same node and network replaces it.
type recordBroadcast struct {
	node, nid string
	msg       []byte
}

func (b *recordBroadcast) Invalidates(o memberlist.Broadcast) bool {
	ob, ok := o.(*recordBroadcast)
	return ok && ob.node == b.node && ob.nid == b.nid
}
func (b *recordBroadcast) Message() []byte { return b.msg }
func (b *recordBroadcast) Finished()       {}
