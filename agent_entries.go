package libnetwork

import (
	"bytes"

	"github.com/cnmkit/libnetwork/networkdb"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// entryID names a table entry.
type entryID struct{ nid, table, key string }

// ownEntry is an entry this node wrote through the agent: whether it holds
// it (live, with value) and the writes whose networkdb events have not been
// seen yet, oldest first. The dispatchers use it to recognise the events
// of this node's own writes.
type ownEntry struct {
	live    bool
	value   []byte
	pending []ownWrite
}

type ownWrite struct {
	del   bool
	value []byte
}

func (o *ownEntry) idle() bool { return !o.live && len(o.pending) == 0 }

// CreateEntry publishes an entry in a network of the cluster; it replaces
// an existing entry of the same key. Entries of other networks stay local.
func (a *agent) CreateEntry(tname, nid, key string, value []byte) error {
	if !a.clusterNetwork(nid) {
		return nil
	}
	id := entryID{nid, tname, key}
	value = append([]byte{}, value...)
	a.ownMu.Lock()
	defer a.ownMu.Unlock()
	o := a.own[id]
	if o == nil {
		o = &ownEntry{}
		a.own[id] = o
	}
	o.pending = append(o.pending, ownWrite{value: value})
	var err error
	for try := 0; try < 3; try++ {
		if err = a.db.CreateEntry(tname, nid, key, value); !types.IsConflict(err) {
			break
		}
		// Someone holds the key: take it over (it may go meanwhile).
		if err = a.db.UpdateEntry(tname, nid, key, value); !types.IsNotFound(err) {
			break
		}
	}
	if err != nil {
		o.pending = o.pending[:len(o.pending)-1]
		if o.idle() {
			delete(a.own, id)
		}
		return err
	}
	o.live, o.value = true, value
	return nil
}

// DeleteEntry withdraws an entry this node published; an entry it does not
// hold (never published, taken over by another host, or written by an
// earlier life of this node) is left alone.
func (a *agent) DeleteEntry(tname, nid, key string) error {
	if !a.joinedNetwork(nid) {
		return nil
	}
	id := entryID{nid, tname, key}
	a.ownMu.Lock()
	defer a.ownMu.Unlock()
	o := a.own[id]
	if o == nil || !o.live {
		return nil
	}
	o.pending = append(o.pending, ownWrite{del: true})
	err := a.db.DeleteEntry(tname, nid, key)
	if err != nil {
		o.pending = o.pending[:len(o.pending)-1]
		if !types.IsNotFound(err) {
			return err
		}
	}
	o.live, o.value = false, nil
	if o.idle() {
		delete(a.own, id)
	}
	return nil
}

// ownEvent reports whether ev, an event of network nid, is the effect of
// this node's own write. A remote write over an entry this node holds
// (with no write of its own pending) takes the entry over.
func (a *agent) ownEvent(nid string, ev networkdb.Event) bool {
	id := entryID{nid, ev.Table, ev.Key}
	a.ownMu.Lock()
	defer a.ownMu.Unlock()
	o := a.own[id]
	if o == nil {
		return false
	}
	del := ev.Type == networkdb.EventDelete
	if len(o.pending) > 0 && o.pending[0].del == del && (del || bytes.Equal(o.pending[0].value, ev.Value)) {
		o.pending = o.pending[1:]
		if o.idle() {
			delete(a.own, id)
		}
		return true
	}
	if o.live && !del && bytes.Equal(o.value, ev.Value) {
		// networkdb restating this node's entry (refuting a stale claim).
		return true
	}
	if o.live && len(o.pending) == 0 {
		a.log.WithFields(logrus.Fields{"nid": nid, "table": ev.Table, "key": ev.Key}).Debug("entry taken over by another host")
		o.live, o.value = false, nil
		delete(a.own, id)
	}
	return false
}

// forgetOwn drops the bookkeeping of network nid's entries.
func (a *agent) forgetOwn(nid string) {
	a.ownMu.Lock()
	defer a.ownMu.Unlock()
	for id := range a.own {
		if id.nid == nid {
			delete(a.own, id)
		}
	}
}

// agentJoinEntries adds, for an endpoint joining a network of the
// cluster, the endpoint-table entry that publishes its names to the other
// hosts. It is kept, withdrawn and restored with the driver's entries.
func (c *controller) agentJoinEntries(ep *endpoint, entries []TableEntry) []TableEntry {
	if c.agent == nil || !c.agent.eligible(ep.network) {
		return entries
	}
	e, ok := c.agent.endpointEntry(ep)
	if !ok {
		return entries
	}
	out := make([]TableEntry, 0, len(entries)+1)
	for _, x := range entries {
		if x.TableName != endpointTable || x.Key != ep.id {
			out = append(out, x)
		}
	}
	return append(out, e)
}

// agentEndpointRenamed publishes the new names of a renamed joined
// endpoint. The caller holds ep.opMu.
func (c *controller) agentEndpointRenamed(ep *endpoint) {
	if c.agent == nil || !c.agent.eligible(ep.network) {
		return
	}
	if ep.getSandboxID() == "" {
		return
	}
	e, ok := c.agent.endpointEntry(ep)
	ep.mu.Lock()
	if ep.joinInfo == nil {
		ep.mu.Unlock()
		return
	}
	had := false
	entries := make([]TableEntry, 0, len(ep.joinInfo.tableEntries)+1)
	for _, x := range ep.joinInfo.tableEntries {
		if x.TableName == endpointTable && x.Key == ep.id {
			had = true
			continue
		}
		entries = append(entries, x)
	}
	if ok {
		entries = append(entries, e)
	}
	ep.joinInfo.tableEntries = entries
	ep.mu.Unlock()
	nid := ep.network.id
	var err error
	switch {
	case ok:
		err = c.agent.CreateEntry(endpointTable, nid, ep.id, e.Value)
	case had:
		err = c.agent.DeleteEntry(endpointTable, nid, ep.id)
	}
	if err != nil {
		logrus.WithFields(logrus.Fields{"nid": nid, "eid": ep.id}).WithError(err).Warn("publish the names of a renamed endpoint")
	}
}
