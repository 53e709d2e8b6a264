package networkdb

import "time"

// reap collects expired tombstones, hidden entries of failed nodes,
// membership records of networks left, and nodes gone for long.
func (n *NetworkDB) reap(now time.Time) {
	n.Lock()
	defer n.Unlock()
	if n.closed {
		return
	}
	for nid, t := range n.networks {
		for tname, tb := range t.tables {
			for key, e := range tb {
				if !e.reapAt.IsZero() && now.After(e.reapAt) {
					n.store(nid, t, tname, key, nil)
				}
			}
		}
	}
	for nid, ms := range n.members {
		for node, m := range ms {
			if m.leaving && now.After(m.reapAt) {
				delete(ms, node)
			}
		}
		if len(ms) == 0 {
			delete(n.members, nid)
		}
	}
	// Node records outlive the entries they hid, so that a stale copy of
	// such an entry is still recognised as its failed owner's.
	for name, p := range n.nodes {
		if p.status != nodeAlive && now.Sub(p.since) > 2*n.cfg.ReapInterval {
			delete(n.nodes, name)
			for _, ms := range n.members {
				delete(ms, name)
			}
		}
	}
}
