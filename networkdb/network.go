package networkdb

import (
	"time"

	"github.com/cnmkit/libnetwork/types"
)

// JoinNetwork makes this node a member of network nid: it starts keeping
// and receiving the network's entries, and syncs them from a member.
// Joining a network already joined does nothing.
func (n *NetworkDB) JoinNetwork(nid string) error {
	if nid == "" {
		return types.BadRequestErrorf("networkdb: empty network id")
	}
	n.Lock()
	if n.closed {
		n.Unlock()
		return errClosed()
	}
	if n.networks[nid] != nil {
		n.Unlock()
		return nil
	}
	n.networks[nid] = newNetTables()
	n.setMembership(nid, false)
	p := n.randomPeer(nid)
	n.Unlock()
	n.log.WithField("nid", nid).Debug("joined network")
	if p != nil {
		n.queueSync(syncJob{kind: jobRequest, nid: nid, node: p, full: true})
	}
	return nil
}

// LeaveNetwork deletes this node's entries of network nid everywhere,
// forgets the network's other entries (watchers see them deleted) and
// stops receiving them.
func (n *NetworkDB) LeaveNetwork(nid string) error {
	if nid == "" {
		return types.BadRequestErrorf("networkdb: empty network id")
	}
	n.Lock()
	defer n.Unlock()
	t, err := n.joined(nid)
	if err != nil {
		return err
	}
	for tname, tb := range t.tables {
		for key, e := range tb {
			if e.owner == n.self && e.visible() {
				n.localWrite(nid, t, tname, key, nil, true)
			}
		}
	}
	for tname, tb := range t.tables {
		for key := range tb {
			n.store(nid, t, tname, key, nil)
		}
	}
	delete(n.networks, nid)
	n.setMembership(nid, true)
	n.log.WithField("nid", nid).Debug("left network")
	return nil
}

// setMembership records this node's membership of nid at a new Lamport
// time and announces it to the cluster. Callers hold n.
func (n *NetworkDB) setMembership(nid string, leaving bool) {
	r := netRecord{Node: n.self, Network: nid, LTime: n.clock.Next(), Leaving: leaving}
	n.putRecord(&r, time.Now())
	n.announce(&r)
}

func (n *NetworkDB) putRecord(r *netRecord, now time.Time) {
	ms := n.members[r.Network]
	if ms == nil {
		ms = map[string]*membership{}
		n.members[r.Network] = ms
	}
	m := &membership{ltime: r.LTime, leaving: r.Leaving}
	if r.Leaving {
		m.reapAt = now.Add(n.cfg.ReapInterval)
	}
	ms[r.Node] = m
}

// announce sends a membership record to every alive node right away and
// queues it on memberlist's gossip as a backup. Callers hold n.
func (n *NetworkDB) announce(r *netRecord) {
	data := encodeRecord(r)
	for name, p := range n.nodes {
		if name != n.self && p.status == nodeAlive {
			n.out.enqueue(p.node, outItem{kind: itemRecord, data: data})
		}
	}
	n.bcast.QueueBroadcast(&recordBroadcast{node: r.Node, nid: r.Network,
		msg: encodeNetEvents(&netEventsMsg{Sender: n.self, Clock: n.clock.Time(), Records: []netRecord{*r}})})
}

// applyRecord merges a membership record. Callers hold n.
func (n *NetworkDB) applyRecord(r *netRecord, now time.Time) {
	if r.Node == "" || r.Network == "" || r.LTime == 0 || r.LTime >= maxLTime {
		return
	}
	n.clock.Witness(r.LTime)
	cur := n.members[r.Network][r.Node]
	if cur != nil && cur.ltime >= r.LTime {
		return
	}
	if r.Node == n.self {
		// A record of an earlier life of this node: restate the truth.
		_, joined := n.networks[r.Network]
		if joined == r.Leaving {
			n.setMembership(r.Network, !joined)
		} else {
			n.putRecord(r, now)
		}
		return
	}
	wasIn := cur != nil && !cur.leaving
	n.putRecord(r, now)
	t := n.networks[r.Network]
	if t == nil {
		return
	}
	switch {
	case r.Leaving:
		n.markOwner(r.Network, t, r.Node, true, now)
	case !wasIn && n.status(r.Node) == nodeAlive:
		n.pushOwn(r.Network, t, r.Node)
	}
}

// pushOwn sends this node's recent live entries of a network to a node
// that just joined it, closing the window between its join and its full
// sync (which brings everything older). Callers hold n.
func (n *NetworkDB) pushOwn(nid string, t *netTables, node string) {
	p := n.nodes[node]
	if p == nil || p.status != nodeAlive {
		return
	}
	now := time.Now()
	since := now.Add(-n.cfg.BulkSyncInterval).UnixNano()
	for tname, tb := range t.tables {
		for key, e := range tb {
			if e.owner == n.self && !e.deleted && e.at >= since {
				w := n.wireOf(key, e, now)
				n.out.enqueue(p.node, outItem{kind: itemEntry, nid: nid, table: tname, data: encodeEntry(&w)})
			}
		}
	}
}

// localState is this node's push/pull state: every membership record it
// knows and its clock.
func (n *NetworkDB) localState() []byte {
	n.RLock()
	defer n.RUnlock()
	m := &netEventsMsg{Sender: n.self, Clock: n.clock.Time()}
	for nid, ms := range n.members {
		for node, r := range ms {
			m.Records = append(m.Records, netRecord{Node: node, Network: nid, LTime: r.ltime, Leaving: r.leaving})
		}
	}
	return encodeNetEvents(m)
}
