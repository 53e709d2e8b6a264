// Package networkdb is a table-scoped gossip database on memberlist: every
// node publishes entries into per-network tables, and each node keeps the
// entries of the networks it joined.
//
// Dissemination. A write is stored locally and sent at once, batched with
// other pending writes into as few UDP packets as fit, to every alive
// member of its network; nothing waits for a gossip round. Membership
// records (node N joined/left network X) go to every node the same way and
// also ride memberlist's gossip and push/pull state.
//
// Ordering. Every entry carries its owner (the node that last wrote it)
// and a Lamport time. States of a key are ordered by (time, owner,
// tombstone-over-live), a total order, so every node resolves concurrent
// writes alike. A node is the authority on its own entries: one that
// claims it as owner with a newer time than it holds comes from an earlier
// life of the node (a restart under the same name), and the node answers
// with its real state at a newer time, deleting what it no longer holds.
//
// Repair. Every BulkSyncInterval each node syncs each network with a
// random member: it sends a digest (entries hashed into buckets), and the
// two exchange only the buckets that differ, streamed in chunks. A network
// that just changed waits for it to settle. Joining a network, and a peer
// coming back from failure, start a full sync.
//
// Failure. A node that closes announces it and its entries are deleted
// everywhere. A node memberlist declares dead has its entries hidden
// after NodeFailureGrace; when it returns they reappear as it confirms
// them. Tombstones and hidden entries are collected after ReapInterval.
package networkdb

import (
	"io"
	"log"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cnmkit/libnetwork/types"
	"github.com/hashicorp/memberlist"
	"github.com/sirupsen/logrus"
)

// NetworkDB is one node of the gossip database.
type NetworkDB struct {
	cfg     Config
	self    string
	ml      *memberlist.Memberlist
	keyring *memberlist.Keyring
	clock   lamportClock
	log     *logrus.Entry

	// RWMutex guards the node's state below (the seed's embedded lock).
	// Code outside the package must not hold it across calls of the node.
	sync.RWMutex
	closed   bool
	networks map[string]*netTables             // joined networks: their tables
	members  map[string]map[string]*membership // nid -> node -> record
	nodes    map[string]*peer                  // cluster nodes by name
	watchers map[*watcher]struct{}

	alive  atomic.Int32 // alive nodes, read by memberlist's broadcast queue
	stats  counters
	out    *outbox
	bcast  *memberlist.TransmitLimitedQueue
	syncq  chan syncJob
	stop   chan struct{}
	wg     sync.WaitGroup
	closer sync.Once
}

// PeerInfo describes a cluster node.
type PeerInfo struct {
	Name string
	IP   string
}

// TableElem is one entry of a table.
type TableElem struct {
	Value []byte
	Owner string
}

type nodeStatus int

const (
	nodeAlive nodeStatus = iota
	nodeFailed
	nodeLeft
)

func (s nodeStatus) String() string {
	return [...]string{"alive", "failed", "left"}[s]
}

// peer is what this node knows about a cluster node.
type peer struct {
	node      *memberlist.Node // immutable copy; replaced on change
	status    nodeStatus
	since     time.Time
	hideTimer *time.Timer
}

// membership is a node's versioned membership of one network.
type membership struct {
	ltime   uint64
	leaving bool
	reapAt  time.Time
}

// New starts a node: it binds the gossip listeners but joins no cluster.
func New(c *Config) (*NetworkDB, error) {
	if c == nil {
		return nil, types.BadRequestErrorf("networkdb: nil config")
	}
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	n := &NetworkDB{
		cfg:      *c,
		self:     c.name(),
		networks: make(map[string]*netTables),
		members:  make(map[string]map[string]*membership),
		nodes:    make(map[string]*peer),
		watchers: make(map[*watcher]struct{}),
		syncq:    make(chan syncJob, 1024),
		stop:     make(chan struct{}),
		log:      logrus.WithFields(logrus.Fields{"module": "networkdb", "node": c.name()}),
	}
	mc := memberlist.DefaultLANConfig()
	mc.Name = c.name()
	mc.BindAddr = c.BindAddr
	mc.BindPort = c.BindPort
	mc.AdvertiseAddr = c.AdvertiseAddr
	mc.AdvertisePort = c.BindPort
	mc.UDPBufferSize = c.PacketBufferSize
	mc.GossipInterval = c.GossipInterval
	mc.ProbeInterval = c.ProbeInterval
	mc.ProbeTimeout = c.ProbeTimeout
	mc.TCPTimeout = 5 * time.Second
	mc.EnableCompression = false
	mc.Logger = log.New(logWriter{n.log}, "", 0)
	if len(c.Keys) > 0 {
		kr, err := memberlist.NewKeyring(c.Keys, c.Keys[0])
		if err != nil {
			return nil, types.BadRequestErrorf("networkdb: keys: %w", err)
		}
		mc.Keyring = kr
		n.keyring = kr
	}
	d := &delegate{n: n}
	mc.Delegate = d
	mc.Events = d
	n.bcast = &memberlist.TransmitLimitedQueue{
		NumNodes:       func() int { return int(n.alive.Load()) },
		RetransmitMult: mc.RetransmitMult,
	}
	if c.Memberlist != nil {
		c.Memberlist(mc)
	}
	n.out = newOutbox(n, c.PacketBufferSize-packetOverhead, c.BatchDelay)
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, types.InternalErrorf("networkdb: start memberlist on %s:%d: %w", c.BindAddr, c.BindPort, err)
	}
	n.ml = ml
	n.start()
	return n, nil
}

// start launches the background loops.
func (n *NetworkDB) start() {
	n.wg.Add(5)
	go func() { defer n.wg.Done(); n.out.run(n.stop) }()
	go func() { defer n.wg.Done(); n.reconnectLoop() }()
	go func() { defer n.wg.Done(); n.syncWorker() }()
	go func() { defer n.wg.Done(); n.syncWorker() }()
	go func() { defer n.wg.Done(); n.ticker() }()
}

// ticker runs the periodic bulk sync and the reaper.
func (n *NetworkDB) ticker() {
	reap := time.NewTicker(n.reapTick())
	defer reap.Stop()
	bulk := time.NewTimer(jitter(n.cfg.BulkSyncInterval))
	defer bulk.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-reap.C:
			n.reap(time.Now())
		case <-bulk.C:
			n.bulkSyncAll()
			bulk.Reset(jitter(n.cfg.BulkSyncInterval))
		}
	}
}

// reconnectLoop periodically joins a random failed node again.
func (n *NetworkDB) reconnectLoop() {
	t := time.NewTimer(jitter(n.cfg.ReconnectInterval))
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
		n.RLock()
		var failed []*memberlist.Node
		for _, p := range n.nodes {
			if p.status == nodeFailed {
				failed = append(failed, p.node)
			}
		}
		n.RUnlock()
		if len(failed) > 0 {
			nd := failed[rand.IntN(len(failed))]
			if _, err := n.ml.Join([]string{nd.Address()}); err != nil {
				n.log.WithError(err).WithField("peer", nd.Name).Debug("reconnect failed")
			}
		}
		t.Reset(jitter(n.cfg.ReconnectInterval))
	}
}

// jitter spreads d by ±10% so that nodes do not sync in lockstep.
func jitter(d time.Duration) time.Duration {
	j := int64(d) / 5
	if j <= 0 {
		return d
	}
	return d - time.Duration(j/2) + time.Duration(rand.Int64N(j))
}

// reapTick is how often tombstones are collected.
func (n *NetworkDB) reapTick() time.Duration {
	t := n.cfg.ReapInterval / 10
	return min(max(t, 50*time.Millisecond), 5*time.Second)
}

// Join contacts the given members ("ip" or "ip:port") and joins their
// cluster.
func (n *NetworkDB) Join(members []string) error {
	if len(members) == 0 {
		return types.BadRequestErrorf("networkdb: join: no members given")
	}
	for _, m := range members {
		if m == "" {
			return types.BadRequestErrorf("networkdb: join: empty member address in %q", members)
		}
	}
	if err := n.checkOpen(); err != nil {
		return err
	}
	if _, err := n.ml.Join(members); err != nil {
		return types.NoServiceErrorf("networkdb: join %v: %w", members, err)
	}
	return nil
}

func (n *NetworkDB) checkOpen() error {
	n.RLock()
	defer n.RUnlock()
	if n.closed {
		return errClosed()
	}
	return nil
}

func errClosed() error { return types.NoServiceErrorf("networkdb: closed") }

// Close leaves the cluster gracefully: peers drop this node's entries at
// once. It stops every goroutine and closes every Watch channel.
func (n *NetworkDB) Close() {
	n.shutdown(true)
}

// shutdown stops the node; with leave false it just vanishes, as a
// crashed node would.
func (n *NetworkDB) shutdown(leave bool) {
	n.closer.Do(func() {
		n.Lock()
		n.closed = true
		if leave {
			msg := encodeNodeLeave(&nodeLeaveMsg{Sender: n.self, LTime: n.clock.Next()})
			for name, p := range n.nodes {
				if name != n.self && p.status == nodeAlive {
					n.out.enqueue(p.node, outItem{kind: itemRaw, data: msg})
				}
			}
			n.bcast.QueueBroadcast(rawBroadcast(msg))
		}
		for _, p := range n.nodes {
			if p.hideTimer != nil {
				p.hideTimer.Stop()
			}
		}
		ws := n.watchers
		n.watchers = map[*watcher]struct{}{}
		n.Unlock()
		for w := range ws {
			w.cancel()
		}
		if leave {
			n.out.flush()
			if err := n.ml.Leave(time.Second); err != nil {
				n.log.WithError(err).Debug("memberlist leave")
			}
		}
		close(n.stop)
		if err := n.ml.Shutdown(); err != nil {
			n.log.WithError(err).Debug("memberlist shutdown")
		}
		n.wg.Wait()
	})
}

// ClusterPeers returns the alive nodes of the cluster, this one included.
func (n *NetworkDB) ClusterPeers() []PeerInfo {
	n.RLock()
	defer n.RUnlock()
	var out []PeerInfo
	for _, p := range n.nodes {
		if p.status == nodeAlive {
			out = append(out, peerInfo(p.node))
		}
	}
	sortPeers(out)
	return out
}

// Peers returns the alive nodes that joined network nid, this one
// included if it did.
func (n *NetworkDB) Peers(nid string) []PeerInfo {
	n.RLock()
	defer n.RUnlock()
	var out []PeerInfo
	for name, m := range n.members[nid] {
		if m.leaving {
			continue
		}
		if p := n.nodes[name]; p != nil && p.status == nodeAlive {
			out = append(out, peerInfo(p.node))
		}
	}
	sortPeers(out)
	return out
}

func peerInfo(nd *memberlist.Node) PeerInfo {
	return PeerInfo{Name: nd.Name, IP: nd.Addr.String()}
}

func sortPeers(p []PeerInfo) {
	sort.Slice(p, func(i, j int) bool { return p[i].Name < p[j].Name })
}

// networkPeers returns the alive members of nid other than this node.
// Callers hold n.
func (n *NetworkDB) networkPeers(nid string) []*memberlist.Node {
	var out []*memberlist.Node
	for name, m := range n.members[nid] {
		if m.leaving || name == n.self {
			continue
		}
		if p := n.nodes[name]; p != nil && p.status == nodeAlive {
			out = append(out, p.node)
		}
	}
	return out
}

// randomPeer returns a random alive member of nid other than this node,
// or nil. Callers hold n.
func (n *NetworkDB) randomPeer(nid string) *memberlist.Node {
	ps := n.networkPeers(nid)
	if len(ps) == 0 {
		return nil
	}
	return ps[rand.IntN(len(ps))]
}

// SetKey adds an encryption key to the keyring.
func (n *NetworkDB) SetKey(key []byte) error {
	kr, err := n.ring(key)
	if err != nil {
		return err
	}
	if err := kr.AddKey(key); err != nil {
		return types.InternalErrorf("networkdb: add key: %w", err)
	}
	return nil
}

// SetPrimaryKey makes a key of the keyring the one that encrypts.
func (n *NetworkDB) SetPrimaryKey(key []byte) error {
	kr, err := n.ring(key)
	if err != nil {
		return err
	}
	if err := kr.UseKey(key); err != nil {
		return types.NotFoundErrorf("networkdb: set primary key: %w", err)
	}
	return nil
}

// RemoveKey removes a key that is not the primary one from the keyring.
func (n *NetworkDB) RemoveKey(key []byte) error {
	kr, err := n.ring(key)
	if err != nil {
		return err
	}
	if kr.GetPrimaryKey() != nil && string(kr.GetPrimaryKey()) == string(key) {
		return types.ForbiddenErrorf("networkdb: cannot remove the primary key")
	}
	if err := kr.RemoveKey(key); err != nil {
		return types.InternalErrorf("networkdb: remove key: %w", err)
	}
	return nil
}

func (n *NetworkDB) ring(key []byte) (*memberlist.Keyring, error) {
	if err := memberlist.ValidateKey(key); err != nil {
		return nil, types.BadRequestErrorf("networkdb: bad key: %w", err)
	}
	if err := n.checkOpen(); err != nil {
		return nil, err
	}
	if n.keyring == nil {
		return nil, types.ForbiddenErrorf("networkdb: encryption was not enabled at start (no Keys)")
	}
	return n.keyring, nil
}

// logWriter sends memberlist's log lines to logrus at debug level.
type logWriter struct{ l *logrus.Entry }

func (w logWriter) Write(b []byte) (int, error) {
	line := string(trimNL(b))
	if strings.Contains(line, "[ERR]") {
		w.l.Warn(line)
	} else {
		w.l.Debug(line)
	}
	return len(b), nil
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

var _ io.Writer = logWriter{}
