package networkdb

import (
	"net"
	"time"

	"github.com/hashicorp/memberlist"
)

// delegate receives memberlist's callbacks. memberlist may hold its own
// locks while calling them, so they never call back into memberlist; and
// no code calls memberlist while holding n.
type delegate struct{ n *NetworkDB }

// NodeMeta implements memberlist.Delegate.
func (d *delegate) NodeMeta(limit int) []byte { return nil }

// NotifyMsg implements memberlist.Delegate: it handles one message of a
// peer. Malformed and foreign messages are dropped.
func (d *delegate) NotifyMsg(buf []byte) { d.n.handleMessage(buf) }

// GetBroadcasts implements memberlist.Delegate.
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.n.bcast.GetBroadcasts(overhead, limit)
}

// LocalState implements memberlist.Delegate.
func (d *delegate) LocalState(join bool) []byte { return d.n.localState() }

// MergeRemoteState implements memberlist.Delegate.
func (d *delegate) MergeRemoteState(buf []byte, join bool) { d.n.handleMessage(buf) }

// NotifyJoin implements memberlist.EventDelegate.
func (d *delegate) NotifyJoin(nd *memberlist.Node) { d.n.nodeAlive(nd) }

// NotifyUpdate implements memberlist.EventDelegate.
func (d *delegate) NotifyUpdate(nd *memberlist.Node) { d.n.nodeAlive(nd) }

// NotifyLeave implements memberlist.EventDelegate. memberlist does not
// tell a failure from a graceful leave here; a leaving node says so with
// its own message first.
func (d *delegate) NotifyLeave(nd *memberlist.Node) { d.n.nodeGone(nd.Name) }

func copyNode(nd *memberlist.Node) *memberlist.Node {
	c := *nd
	c.Addr = append(net.IP(nil), nd.Addr...)
	c.Meta = append([]byte(nil), nd.Meta...)
	return &c
}

// nodeAlive records a node as alive. A node that comes back from failure
// is synced in full for every network both share, so that its entries
// become visible again and it gets what it missed.
func (n *NetworkDB) nodeAlive(nd *memberlist.Node) {
	n.Lock()
	if n.closed {
		n.Unlock()
		return
	}
	p := n.nodes[nd.Name]
	back := p != nil && p.status != nodeAlive
	if p == nil {
		p = &peer{}
		n.nodes[nd.Name] = p
	}
	if p.status != nodeAlive || p.node == nil {
		n.alive.Add(1)
	}
	if p.hideTimer != nil {
		p.hideTimer.Stop()
		p.hideTimer = nil
	}
	p.node, p.status, p.since = copyNode(nd), nodeAlive, time.Now()
	var jobs []syncJob
	if back && nd.Name != n.self {
		for nid := range n.networks {
			if m := n.members[nid][nd.Name]; m != nil && !m.leaving {
				jobs = append(jobs, syncJob{kind: jobRequest, nid: nid, node: p.node, full: true})
			}
		}
	}
	n.Unlock()
	if back {
		n.log.WithField("peer", nd.Name).Debug("node is back")
	}
	for _, j := range jobs {
		n.queueSync(j)
	}
}

// nodeGone handles a node memberlist declared dead or left. Unless the
// node announced its leave, its entries disappear after the failure grace
// and come back if it returns.
func (n *NetworkDB) nodeGone(name string) {
	n.Lock()
	defer n.Unlock()
	p := n.nodes[name]
	if n.closed || p == nil || name == n.self || p.status != nodeAlive {
		return
	}
	n.alive.Add(-1)
	n.stats.failures.Add(1)
	p.status, p.since = nodeFailed, time.Now()
	n.log.WithField("peer", name).Debug("node failed")
	if n.cfg.NodeFailureGrace == 0 {
		n.hideNode(name)
		return
	}
	p.hideTimer = time.AfterFunc(n.cfg.NodeFailureGrace, func() {
		n.Lock()
		defer n.Unlock()
		if !n.closed && n.nodes[name] == p && p.status == nodeFailed {
			n.hideNode(name)
		}
	})
}

// hideNode hides the entries of a failed node. Callers hold n.
func (n *NetworkDB) hideNode(name string) {
	now := time.Now()
	for nid, t := range n.networks {
		n.markOwner(nid, t, name, false, now)
	}
}

// nodeLeft handles a node's announcement that it leaves the cluster: its
// entries are deleted and its memberships dropped. Callers hold n.
func (n *NetworkDB) nodeLeft(name string) {
	if name == n.self {
		return
	}
	now := time.Now()
	p := n.nodes[name]
	if p == nil {
		return
	}
	if p.status == nodeAlive {
		n.alive.Add(-1)
	}
	if p.hideTimer != nil {
		p.hideTimer.Stop()
		p.hideTimer = nil
	}
	p.status, p.since = nodeLeft, now
	for nid, t := range n.networks {
		n.markOwner(nid, t, name, true, now)
	}
	for _, ms := range n.members {
		if m := ms[name]; m != nil && !m.leaving {
			m.leaving = true
			m.reapAt = now.Add(n.cfg.ReapInterval)
		}
	}
	n.log.WithField("peer", name).Debug("node left")
}
