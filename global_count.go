package libnetwork

import (
	"encoding/json"
	"maps"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// endpointCountPrefix is the first key component of the endpoint counts.
const endpointCountPrefix = "endpoint_count"

// maxCountWrites bounds the compare-and-swap attempts of one count change.
const maxCountWrites = 100

// epCountRecord counts the endpoints of a network on every host of the
// cluster (libnetwork's endpoint_cnt), as the set of their IDs with the
// node name of their host: adding or removing an endpoint is idempotent,
// so a change whose outcome is unknown (the store did not answer) can be
// made again, and a host that restarts takes out the endpoints it lost.
// A network is created with an empty count; deleting the network deletes
// it, only while it is empty, so an endpoint created at the same time on
// another host either counts and stops the delete or fails.
type epCountRecord struct {
	kvMeta
	nid       string
	Count     int               // len(Endpoints), for readers
	Endpoints map[string]string `json:",omitempty"` // endpoint ID -> host
}

func (r *epCountRecord) Key() []string           { return []string{endpointCountPrefix, r.nid} }
func (r *epCountRecord) KeyPrefix() []string     { return []string{endpointCountPrefix} }
func (r *epCountRecord) Value() []byte           { b, _ := json.Marshal(r); return b }
func (r *epCountRecord) SetValue(b []byte) error { return json.Unmarshal(b, r) }
func (r *epCountRecord) DataScope() string       { return datastore.GlobalScope }
func (r *epCountRecord) Skip() bool              { return false }
func (r *epCountRecord) New() datastore.KVObject { return &epCountRecord{nid: r.nid} }
func (r *epCountRecord) CopyTo(o datastore.KVObject) error {
	return copyRecord(r, o)
}

// clone returns a copy of r that shares nothing with it.
func (r *epCountRecord) clone() *epCountRecord {
	cp := *r
	cp.Endpoints = maps.Clone(r.Endpoints)
	return &cp
}

// createEndpointCount writes n's endpoint count, empty.
func (c *controller) createEndpointCount(n *network) error {
	s, err := c.clusterStore()
	if err != nil {
		return err
	}
	r := &epCountRecord{nid: n.id}
	n.countMu.Lock()
	defer n.countMu.Unlock()
	n.count = nil
	if err := s.PutObjectAtomic(r); err != nil {
		if types.IsConflict(err) {
			return types.ConflictErrorf("network %s (%s): an endpoint count of that network ID is already in the cluster store: %w", n.name, n.id, err)
		}
		return storeErr(s, "create the endpoint count of network "+n.id, err)
	}
	n.count = r
	return nil
}

// changeEndpointCount applies change to n's endpoint count with
// compare-and-swap until it sticks; change reports whether it changed
// anything. A missing count is missing(): the network is being deleted.
func (c *controller) changeEndpointCount(n *network, change func(*epCountRecord) bool, missing func() error) error {
	s, err := c.clusterStore()
	if err != nil {
		return err
	}
	n.countMu.Lock()
	defer n.countMu.Unlock()
	for range maxCountWrites {
		// The last known state first: a conflict means another host
		// changed it, and it is read again.
		var r *epCountRecord
		if n.count != nil {
			r = n.count.clone()
		} else {
			r = &epCountRecord{nid: n.id}
			if err := s.GetObject(datastore.Key(r.Key()...), r); err != nil {
				if types.IsNotFound(err) {
					return missing()
				}
				return storeErr(s, "read the endpoint count of network "+n.id, err)
			}
		}
		if !change(r) {
			n.count = r
			return nil
		}
		r.Count = len(r.Endpoints)
		err := s.PutObjectAtomic(r)
		if err == nil {
			n.count = r
			return nil
		}
		n.count = nil
		if !types.IsConflict(err) && !types.IsNotFound(err) {
			return storeErr(s, "update the endpoint count of network "+n.id, err)
		}
	}
	return types.RetryErrorf("network %s (%s): endpoint count kept changing under %d attempts", n.name, n.id, maxCountWrites)
}

// countEndpoint adds endpoint eid of this host to n's count. A network
// whose count is gone (being deleted) is a ForbiddenError.
func (c *controller) countEndpoint(n *network, eid string) error {
	me := c.nodeName()
	err := c.changeEndpointCount(n, func(r *epCountRecord) bool {
		if r.Endpoints[eid] == me {
			return false
		}
		if r.Endpoints == nil {
			r.Endpoints = map[string]string{}
		}
		r.Endpoints[eid] = me
		return true
	}, func() error {
		return types.ForbiddenErrorf("network %s (%s) is being deleted (no endpoint count in the cluster store)", n.name, n.id)
	})
	if err != nil && (types.IsNoService(err) || types.IsTimeout(err)) {
		// The write may still land: the endpoint, which will not exist,
		// is taken out again once the store answers.
		c.unlistLater(n.id, []string{eid}, time.Now().Add(c.writeLifetime()))
	}
	return err
}

// uncountEndpoints takes endpoints eids out of n's count. When the store
// does not answer, they are remembered and taken out once it is back.
func (c *controller) uncountEndpoints(n *network, eids ...string) error {
	err := c.changeEndpointCount(n, func(r *epCountRecord) bool {
		changed := false
		for _, eid := range eids {
			if _, ok := r.Endpoints[eid]; ok {
				delete(r.Endpoints, eid)
				changed = true
			}
		}
		return changed
	}, func() error { return nil })
	if err != nil && (types.IsNoService(err) || types.IsTimeout(err)) {
		c.unlistLater(n.id, eids, time.Now().Add(c.writeLifetime()))
	}
	return err
}

// unlistLater remembers endpoints eids of network nid to take out of its
// count until the time given.
func (c *controller) unlistLater(nid string, eids []string, until time.Time) {
	c.global.mu.Lock()
	defer c.global.mu.Unlock()
	if c.global.unlisted == nil {
		c.global.unlisted = map[string]map[string]time.Time{}
	}
	if c.global.unlisted[nid] == nil {
		c.global.unlisted[nid] = map[string]time.Time{}
	}
	for _, eid := range eids {
		if until.After(c.global.unlisted[nid][eid]) {
			c.global.unlisted[nid][eid] = until
		}
	}
}

// flushUncounted takes out of their counts the endpoints whose removal
// failed while the store was away.
func (c *controller) flushUncounted() {
	c.global.mu.Lock()
	pending := c.global.unlisted
	c.global.unlisted = nil
	c.global.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	now := time.Now()
	for nid, set := range pending {
		c.mu.RLock()
		n := c.networks[nid]
		c.mu.RUnlock()
		if n == nil {
			continue
		}
		eids := make([]string, 0, len(set))
		var keep []string
		for eid, until := range set {
			eids = append(eids, eid)
			if until.After(now) {
				keep = append(keep, eid)
			}
		}
		// Read afresh: a late write may have changed the count behind
		// the cached state.
		n.countMu.Lock()
		n.count = nil
		n.countMu.Unlock()
		if err := c.uncountEndpoints(n, eids...); err != nil {
			logrus.WithField("nid", nid).WithError(err).Warn("cluster store: endpoint count")
			continue
		}
		for _, eid := range keep {
			c.unlistLater(nid, []string{eid}, set[eid])
		}
	}
}

// reconcileCounts takes out of the counts of the cluster networks the
// endpoints of this host that it does not have (lost in a crash between
// the count and the endpoint's record); it runs once the state is
// restored, before any endpoint is created.
func (c *controller) reconcileCounts() {
	me := c.nodeName()
	for _, n := range c.userNetworks() {
		if !n.shared() {
			continue
		}
		r := &epCountRecord{nid: n.id}
		s := c.sharedStore()
		if err := s.GetObject(datastore.Key(r.Key()...), r); err != nil {
			if !types.IsNotFound(err) {
				logrus.WithField("nid", n.id).WithError(err).Warn("restore: read the endpoint count")
			}
			continue
		}
		n.mu.Lock()
		var lost []string
		for eid, host := range r.Endpoints {
			if _, ok := n.endpoints[eid]; host == me && !ok {
				lost = append(lost, eid)
			}
		}
		n.mu.Unlock()
		if len(lost) == 0 {
			continue
		}
		logrus.WithFields(logrus.Fields{"nid": n.id, "endpoints": len(lost)}).Info("restore: endpoints lost by this host taken out of the network's count")
		if err := c.uncountEndpoints(n, lost...); err != nil {
			logrus.WithField("nid", n.id).WithError(err).Warn("restore: endpoint count")
		}
	}
}

// deleteEndpointCount deletes n's endpoint count if it is empty: after
// it, no host can create an endpoint on n. A count with endpoints is a
// ForbiddenError naming the network and the count.
func (c *controller) deleteEndpointCount(n *network) error {
	s, err := c.clusterStore()
	if err != nil {
		return err
	}
	// Endpoints whose removal is pending do not stop the delete.
	c.flushUncounted()
	n.countMu.Lock()
	defer n.countMu.Unlock()
	n.count = nil
	for range maxCountWrites {
		r := &epCountRecord{nid: n.id}
		if err := s.GetObject(datastore.Key(r.Key()...), r); err != nil {
			if types.IsNotFound(err) {
				return nil
			}
			return storeErr(s, "read the endpoint count of network "+n.id, err)
		}
		if k := len(r.Endpoints); k > 0 {
			return types.ForbiddenErrorf("network %s (%s) has %d endpoints in the cluster: delete them first", n.name, n.id, k)
		}
		err := s.DeleteObjectAtomic(r)
		if err == nil || types.IsNotFound(err) {
			return nil
		}
		if !types.IsConflict(err) {
			return storeErr(s, "delete the endpoint count of network "+n.id, err)
		}
	}
	return types.RetryErrorf("network %s (%s): endpoint count kept changing under %d attempts", n.name, n.id, maxCountWrites)
}
