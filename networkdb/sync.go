package networkdb

import (
	"encoding/binary"
	"hash/fnv"
	"time"

	"github.com/hashicorp/memberlist"
)

// Anti-entropy. The initiator sends a digest of a network's tables: the
// entries hashed into nbuckets buckets by (table, key), each bucket the sum
// of its entries' version hashes. The responder compares with its own,
// sends its entries of the buckets that differ, and asks for the
// initiator's entries of those buckets. A full sync skips the digest and
// exchanges everything. Entry data streams in chunks of at most
// SyncChunkSize bytes, each merged on arrival, so table size has no cliff.

// maxBuckets bounds the digest so that it fits one packet.
const maxBuckets = 128

type jobKind int

const (
	jobRequest     jobKind = iota // send a sync request for nid to node
	jobRespond                    // answer req from node
	jobSendBuckets                // send our entries of want buckets
)

type syncJob struct {
	kind     jobKind
	nid      string
	node     *memberlist.Node
	full     bool
	forced   bool
	req      *syncReqMsg
	nbuckets uint32
	want     []uint32
}

func (n *NetworkDB) queueSync(j syncJob) {
	select {
	case n.syncq <- j:
	default:
		n.log.WithField("nid", j.nid).Debug("sync queue full, dropping job")
	}
}

func (n *NetworkDB) syncWorker() {
	for {
		select {
		case <-n.stop:
			return
		case j := <-n.syncq:
			n.runJob(j)
		}
	}
}

// settle is how long a network must be quiet before a periodic sync:
// while events are in flight, digests differ for no lasting reason.
func (n *NetworkDB) settle() time.Duration {
	return min(max(n.cfg.BulkSyncInterval/10, 100*time.Millisecond), time.Second)
}

// busy reports whether t changed within the settle time.
func (n *NetworkDB) busy(t *netTables, now time.Time) bool {
	return now.Sub(t.lastChange) < n.settle()
}

// bulkSyncAll starts a digest sync of every joined network with a random
// member. A busy network waits, for at most three intervals.
func (n *NetworkDB) bulkSyncAll() {
	now := time.Now()
	n.Lock()
	var jobs []syncJob
	for nid, t := range n.networks {
		forced := now.Sub(t.lastSync) > 3*n.cfg.BulkSyncInterval
		if n.busy(t, now) && !forced {
			continue
		}
		if p := n.randomPeer(nid); p != nil {
			t.lastSync = now
			jobs = append(jobs, syncJob{kind: jobRequest, nid: nid, node: p, forced: forced})
		}
	}
	n.Unlock()
	for _, j := range jobs {
		n.queueSync(j)
	}
}

func (n *NetworkDB) runJob(j syncJob) {
	now := time.Now()
	n.RLock()
	t := n.networks[j.nid]
	if n.closed || t == nil {
		n.RUnlock()
		return
	}
	switch j.kind {
	case jobRequest:
		req := &syncReqMsg{Sender: n.self, Network: j.nid, Clock: n.clock.Time(), Full: j.full, Forced: j.forced}
		if !j.full {
			req.NBuckets = bucketsFor(t.count)
			req.Digests = n.digest(t, req.NBuckets, now)
		}
		n.RUnlock()
		n.send(j.node, encodeSyncReq(req), j.full)
	case jobRespond:
		nb, want := uint32(1), []uint32{0}
		if !j.req.Full && !j.req.Forced && n.busy(t, now) {
			n.RUnlock()
			return
		}
		if !j.req.Full {
			nb, want = j.req.NBuckets, nil
			for i, d := range n.digest(t, nb, now) {
				if d != j.req.Digests[i] {
					want = append(want, uint32(i))
				}
			}
		}
		if len(want) == 0 {
			n.RUnlock()
			return
		}
		items := n.collect(t, nb, want, now)
		n.RUnlock()
		n.sendData(j.node, j.nid, nb, want, items, j.req.Full)
	case jobSendBuckets:
		items := n.collect(t, j.nbuckets, j.want, now)
		n.RUnlock()
		if len(items) > 0 {
			n.sendData(j.node, j.nid, j.nbuckets, nil, items, j.nbuckets == 1)
		}
	default:
		n.RUnlock()
	}
}

// sendData streams entry items in syncData messages; the first one carries
// want, the buckets the peer should send back.
func (n *NetworkDB) sendData(node *memberlist.Node, nid string, nb uint32, want []uint32, items []outItem, reliable bool) {
	base := headerLen + 1 + strSize(n.self) + strSize(nid) + 9 + 5 + 5 + 5*len(want) + 5
	limit := n.cfg.PacketBufferSize - packetOverhead
	total := base
	for _, it := range items {
		total += len(it.data) + groupOverhead(it.table)
	}
	if reliable || total > limit {
		reliable, limit = true, n.cfg.SyncChunkSize
	}
	runs := splitEntries(items, limit-base)
	if len(runs) == 0 {
		runs = [][]outItem{nil}
	}
	for i, run := range runs {
		e := newEncoder()
		e.header(msgSyncData)
		e.arr(6)
		e.str(n.self)
		e.str(nid)
		e.uint(n.clock.Time())
		e.uint(uint64(nb))
		if i == 0 {
			e.arr(len(want))
			for _, w := range want {
				e.uint(uint64(w))
			}
		} else {
			e.arr(0)
		}
		e.rawGroups(run)
		n.send(node, e.bytes(), reliable)
	}
}

func (n *NetworkDB) handleSyncReq(m *syncReqMsg) {
	if m.Sender == "" || m.Sender == n.self {
		return
	}
	if !m.Full && (!validBuckets(m.NBuckets) || len(m.Digests) != int(m.NBuckets)) {
		return
	}
	n.clock.Witness(m.Clock)
	n.RLock()
	p := n.nodes[m.Sender]
	ok := !n.closed && p != nil && p.status != nodeLeft && n.networks[m.Network] != nil
	var node *memberlist.Node
	if ok {
		node = p.node
	}
	n.RUnlock()
	if ok {
		n.queueSync(syncJob{kind: jobRespond, nid: m.Network, node: node, req: m})
	}
}

func (n *NetworkDB) handleSyncData(m *syncDataMsg) {
	if m.Sender == "" || m.Sender == n.self || !validBuckets(m.NBuckets) {
		return
	}
	for _, w := range m.Want {
		if w >= m.NBuckets {
			return
		}
	}
	now := time.Now()
	n.Lock()
	t := n.networks[m.Network]
	if n.closed || t == nil {
		n.Unlock()
		return
	}
	n.clock.Witness(m.Clock)
	for gi := range m.Groups {
		g := &m.Groups[gi]
		for ei := range g.Entries {
			n.applyRemote(m.Network, t, g.Table, m.Sender, &g.Entries[ei], now)
		}
	}
	var job *syncJob
	if p := n.nodes[m.Sender]; len(m.Want) > 0 && p != nil && p.status != nodeLeft {
		job = &syncJob{kind: jobSendBuckets, nid: m.Network, node: p.node, nbuckets: m.NBuckets, want: m.Want}
	}
	n.Unlock()
	if job != nil {
		n.queueSync(*job)
	}
}

func validBuckets(nb uint32) bool { return nb >= 1 && nb <= maxBuckets && nb&(nb-1) == 0 }

// bucketsFor picks a digest size of about 16 entries per bucket.
func bucketsFor(count int) uint32 {
	nb := uint32(1)
	for int(nb)*16 < count && nb < maxBuckets {
		nb *= 2
	}
	return nb
}

// syncable reports whether an entry takes part in syncs: tombstones and
// hidden entries about to be collected do not, so that collection cannot
// ping-pong between nodes.
func (n *NetworkDB) syncable(e *entry, now time.Time) bool {
	return e.reapAt.IsZero() || e.reapAt.Sub(now) > n.reapTick()
}

// digest hashes a network's entries into nb buckets. Callers hold n.
func (n *NetworkDB) digest(t *netTables, nb uint32, now time.Time) []uint64 {
	d := make([]uint64, nb)
	for tname, tb := range t.tables {
		for key, e := range tb {
			if n.syncable(e, now) {
				d[bucketOf(tname, key, nb)] += entryHash(tname, key, e)
			}
		}
	}
	return d
}

// collect returns the syncable entries of the want buckets as items.
// Callers hold n.
func (n *NetworkDB) collect(t *netTables, nb uint32, want []uint32, now time.Time) []outItem {
	ws := make(map[uint32]bool, len(want))
	for _, w := range want {
		ws[w] = true
	}
	var items []outItem
	for tname, tb := range t.tables {
		for key, e := range tb {
			if n.syncable(e, now) && ws[bucketOf(tname, key, nb)] {
				w := n.wireOf(key, e, now)
				items = append(items, outItem{kind: itemEntry, table: tname, data: encodeEntry(&w)})
			}
		}
	}
	return items
}

func bucketOf(tname, key string, nb uint32) uint32 {
	h := fnv.New64a()
	h.Write([]byte(tname))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return uint32(mix64(h.Sum64()) & uint64(nb-1))
}

// entryHash hashes an entry's identity and version; hidden entries hash
// differently so that a node still hiding a returned owner's entries
// keeps syncing until it sees them from the owner.
func entryHash(tname, key string, e *entry) uint64 {
	h := fnv.New64a()
	var b [10]byte
	h.Write([]byte(tname))
	h.Write([]byte{0})
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(e.owner))
	binary.LittleEndian.PutUint64(b[:8], e.ltime)
	if e.deleted {
		b[8] = 1
	}
	if e.hidden {
		b[9] = 1
	}
	h.Write(b[:])
	return mix64(h.Sum64())
}

// mix64 is the splitmix64 finalizer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
