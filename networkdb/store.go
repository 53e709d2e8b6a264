package networkdb

import "time"

// entry is one key of a table as this node knows it.
type entry struct {
	value   []byte
	owner   string
	ltime   uint64
	deleted bool      // tombstone
	hidden  bool      // owner failed: kept, but not visible
	reapAt  time.Time // set on tombstones and hidden entries
	at      int64     // local time of the last change, UnixNano
}

func (e *entry) version() version { return version{e.ltime, e.owner, e.deleted} }

func (e *entry) visible() bool { return e != nil && !e.deleted && !e.hidden }

// netTables holds the tables of one joined network.
type netTables struct {
	tables  map[string]map[string]*entry
	visible map[string]int // visible entries per table
	count   int            // all entries, tombstones included

	lastChange time.Time // last change of any entry
	lastSync   time.Time // last periodic sync started
}

func newNetTables() *netTables {
	now := time.Now()
	return &netTables{tables: map[string]map[string]*entry{}, visible: map[string]int{}, lastSync: now}
}

func (t *netTables) get(tname, key string) *entry {
	return t.tables[tname][key]
}

// store replaces the entry of (tname, key) with e (nil removes it),
// keeping the counters and telling the watchers. Callers hold n.
func (n *NetworkDB) store(nid string, t *netTables, tname, key string, e *entry) {
	tb := t.tables[tname]
	old := tb[key]
	if e == nil {
		if old == nil {
			return
		}
		delete(tb, key)
		if len(tb) == 0 {
			delete(t.tables, tname)
		}
		t.count--
	} else {
		if tb == nil {
			tb = map[string]*entry{}
			t.tables[tname] = tb
		}
		if old == nil {
			t.count++
		}
		tb[key] = e
	}
	t.lastChange = time.Now()
	if e != nil {
		e.at = t.lastChange.UnixNano()
	}
	was, is := old.visible(), e.visible()
	switch {
	case was && is:
		n.notify(Event{Type: EventUpdate, Table: tname, NetworkID: nid, Key: key, Value: e.value})
	case was:
		t.visible[tname]--
		n.notify(Event{Type: EventDelete, Table: tname, NetworkID: nid, Key: key, Value: old.value})
	case is:
		t.visible[tname]++
		n.notify(Event{Type: EventCreate, Table: tname, NetworkID: nid, Key: key, Value: e.value})
	}
	if t.visible[tname] == 0 {
		delete(t.visible, tname)
	}
}

// localWrite records a write by this node at a new Lamport time and sends
// it to the network's members. Callers hold n.
func (n *NetworkDB) localWrite(nid string, t *netTables, tname, key string, value []byte, deleted bool) {
	e := &entry{value: value, owner: n.self, ltime: n.clock.Next(), deleted: deleted}
	if deleted {
		e.value = nil
		e.reapAt = time.Now().Add(n.cfg.ReapInterval)
	}
	n.store(nid, t, tname, key, e)
	w := wireEntry{Key: key, LTime: e.ltime, Deleted: deleted, Value: e.value}
	if deleted {
		w.TTL = n.cfg.ReapInterval
	}
	data := encodeEntry(&w)
	for _, p := range n.networkPeers(nid) {
		n.out.enqueue(p, outItem{kind: itemEntry, nid: nid, table: tname, data: data})
	}
}

// wireOf is the wire form of e as this node sends it. Callers hold n.
func (n *NetworkDB) wireOf(key string, e *entry, now time.Time) wireEntry {
	w := wireEntry{Key: key, Owner: e.owner, LTime: e.ltime, Deleted: e.deleted, Value: e.value}
	if e.owner == n.self {
		w.Owner = ""
	}
	if e.deleted {
		w.TTL = e.reapAt.Sub(now)
		w.Value = nil
	}
	return w
}

// applyRemote merges an entry received from sender. Callers hold n.
func (n *NetworkDB) applyRemote(nid string, t *netTables, tname, sender string, w *wireEntry, now time.Time) {
	if tname == "" || w.Key == "" || w.LTime == 0 || w.LTime >= maxLTime {
		return
	}
	owner := w.Owner
	if owner == "" {
		owner = sender
	}
	n.clock.Witness(w.LTime)
	in := version{w.LTime, owner, w.Deleted}
	cur := t.get(tname, w.Key)
	if owner == n.self {
		n.refute(nid, t, tname, w, cur, in, now)
		return
	}
	if cur != nil {
		switch in.compare(cur.version()) {
		case -1:
			return
		case 0:
			// The owner itself vouches for an entry hidden while it was
			// failed: it is back with it.
			if cur.hidden && sender == owner && n.status(owner) == nodeAlive {
				e := *cur
				e.hidden, e.reapAt = false, time.Time{}
				n.store(nid, t, tname, w.Key, &e)
			}
			return
		}
	}
	e := &entry{value: w.Value, owner: owner, ltime: w.LTime, deleted: w.Deleted}
	switch {
	case e.deleted:
		ttl := w.TTL
		if ttl <= 0 || ttl > n.cfg.ReapInterval {
			ttl = n.cfg.ReapInterval
		}
		e.value = nil
		e.reapAt = now.Add(ttl)
	case n.status(owner) == nodeFailed:
		e.hidden = true
		e.reapAt = now.Add(n.cfg.ReapInterval)
	case n.status(owner) == nodeLeft:
		e.deleted = true
		e.value = nil
		e.reapAt = now.Add(n.cfg.ReapInterval)
	}
	n.store(nid, t, tname, w.Key, e)
}

// refute handles an entry that claims this node as owner. A claim newer
// than what this node holds comes from an earlier life of the node (it
// restarted under the same name) or from a tombstone already collected
// here: this node answers with its actual state at a newer time, so an
// entry it no longer holds is deleted everywhere instead of resurrected.
// Callers hold n.
func (n *NetworkDB) refute(nid string, t *netTables, tname string, w *wireEntry, cur *entry, in version, now time.Time) {
	if cur != nil && cur.version().compare(in) >= 0 {
		return
	}
	switch {
	case cur != nil && cur.owner == n.self && !cur.deleted:
		n.localWrite(nid, t, tname, w.Key, cur.value, false)
	case w.Deleted:
		ttl := w.TTL
		if ttl <= 0 || ttl > n.cfg.ReapInterval {
			ttl = n.cfg.ReapInterval
		}
		n.store(nid, t, tname, w.Key, &entry{owner: n.self, ltime: w.LTime, deleted: true, reapAt: now.Add(ttl)})
	default:
		n.log.WithFields(map[string]any{"nid": nid, "table": tname, "key": w.Key}).Debug("deleting an entry of an earlier life")
		n.localWrite(nid, t, tname, w.Key, nil, true)
	}
}

// status returns what this node thinks of node name; unknown nodes count
// as alive. Callers hold n.
func (n *NetworkDB) status(name string) nodeStatus {
	if p := n.nodes[name]; p != nil {
		return p.status
	}
	return nodeAlive
}

// markOwner turns the entries of owner in t invisible: hidden when the
// owner failed, deleted when it left. Callers hold n.
func (n *NetworkDB) markOwner(nid string, t *netTables, owner string, deleted bool, now time.Time) {
	for tname, tb := range t.tables {
		for key, cur := range tb {
			if cur.owner != owner || cur.deleted || (cur.hidden && !deleted) {
				continue
			}
			e := *cur
			e.reapAt = now.Add(n.cfg.ReapInterval)
			if deleted {
				e.deleted, e.hidden, e.value = true, false, nil
			} else {
				e.hidden = true
			}
			n.store(nid, t, tname, key, &e)
		}
	}
}
