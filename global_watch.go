package libnetwork

import (
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
	"github.com/sirupsen/logrus"
)

// Bounds of the re-watch of the cluster store's networks after the
// backend ended the watch (it was unreachable).
const (
	globalWatchRetryMin = 100 * time.Millisecond
	globalWatchRetryMax = 5 * time.Second
)

// startGlobalWatch watches the networks of the cluster store, if any: a
// network created on another host is created here (driver CreateNetwork),
// one deleted there is removed here (driver DeleteNetwork).
func (c *controller) startGlobalWatch() {
	s := c.sharedStore()
	if s == nil {
		return
	}
	g := &c.global
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stop != nil {
		return
	}
	g.stop = make(chan struct{})
	g.wg.Add(2)
	go c.watchNetworks(s, g.stop)
	go c.probeStore(s, g.stop)
}

// stopGlobalWatch ends the watch and waits for it.
func (c *controller) stopGlobalWatch() {
	g := &c.global
	g.mu.Lock()
	stop := g.stop
	g.stop = nil
	g.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	g.wg.Wait()
}

// storeProbeInterval is how often an unreachable cluster store is tried.
const storeProbeInterval = 250 * time.Millisecond

// probeStore tries an unreachable cluster store every storeProbeInterval
// until stop closes; once it answers, the store is marked active again
// (RestartWatch) and the calls that clusterStore refused go through. With
// the store active it takes out of the endpoint counts the endpoints whose
// removal failed while it was away.
func (c *controller) probeStore(s datastore.DataStore, stop chan struct{}) {
	defer c.global.wg.Done()
	t := time.NewTicker(storeProbeInterval)
	defer t.Stop()
	probe := &epCountRecord{nid: "probe"}
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if !s.Active() {
			err := s.GetObject(datastore.Key(probe.Key()...), probe.New())
			if err != nil && !types.IsNotFound(err) {
				if r, ok := s.KVStore().(interface{ ResetBackoff() }); ok {
					r.ResetBackoff()
				}
				continue
			}
			logrus.Info("cluster store: reachable again")
			s.RestartWatch()
		}
		c.flushUncounted()
	}
}

// watchNetworks follows the network prefix of s until stop closes. Each
// state the backend sends is the whole list of networks, so a watch
// started again after an outage catches up on what changed meanwhile.
func (c *controller) watchNetworks(s datastore.DataStore, stop chan struct{}) {
	defer c.global.wg.Done()
	prefix := datastore.Key(networkKeyPrefix)
	log := logrus.WithField("prefix", prefix)
	wait := globalWatchRetryMin
	for {
		ch, err := s.KVStore().WatchTree(prefix, stop)
		if err != nil {
			log.WithError(err).Warn("cluster store: watch networks")
		} else {
			wait = globalWatchRetryMin
			for pairs := range ch {
				c.syncGlobalNetworks(s, pairs)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-stop:
			t.Stop()
			return
		case <-t.C:
		}
		if wait *= 2; wait > globalWatchRetryMax {
			wait = globalWatchRetryMax
		}
	}
}

// syncGlobalNetworks makes the controller's cluster networks those of
// pairs: it adopts the new ones and removes those gone from the store.
func (c *controller) syncGlobalNetworks(s datastore.DataStore, pairs []*store.KVPair) {
	c.global.sync.Lock()
	defer c.global.sync.Unlock()
	if c.checkRunning() != nil {
		return
	}
	inStore := map[string]bool{}
	skipped := map[string]uint64{}
	for _, p := range pairs {
		if i, seen := c.global.skipped[p.Key]; seen && i == p.LastIndex {
			skipped[p.Key] = i // logged already
			continue
		}
		r := decodeNetworkPair(p)
		if r == nil {
			skipped[p.Key] = p.LastIndex
			continue
		}
		inStore[r.ID] = true
		c.adoptGlobalNetwork(r)
	}
	c.global.skipped = skipped
	c.mu.RLock()
	var gone []*network
	for id, n := range c.networks {
		if !inStore[id] && n.shared() {
			gone = append(gone, n)
		}
	}
	c.mu.RUnlock()
	for _, n := range gone {
		// The state may be older than a network just created here.
		r := &netRecord{meta: &kvMeta{}, ID: n.id}
		if err := s.GetObject(datastore.Key(r.Key()...), r); err == nil || !types.IsNotFound(err) {
			continue
		}
		c.dropGlobalNetwork(n)
	}
}

// adoptGlobalNetwork creates a network of the cluster store that this
// controller does not know: in the driver, then in the controller. Its
// pools were requested by the host that created it.
func (c *controller) adoptGlobalNetwork(r *netRecord) {
	c.mu.RLock()
	known := c.netIDs[r.ID]
	c.mu.RUnlock()
	if known {
		return
	}
	log := logrus.WithFields(logrus.Fields{"nid": r.ID, "name": r.Name, "driver": r.Type})
	if r.DataScope() != datastore.GlobalScope || !r.Persist {
		log.Warn("cluster store: network record of a local network skipped")
		return
	}
	n, err := c.networkFromRecord(r)
	if err != nil {
		log.WithError(err).Warn("cluster store: unreadable network record skipped")
		return
	}
	d, _, err := c.driver(n.networkType)
	if err != nil {
		log.WithError(err).Warn("cluster store: network of an unknown driver skipped")
		return
	}
	if err := c.reserveNetwork(n.name, n.id); err != nil {
		log.WithError(err).Warn("cluster store: network skipped: its name is taken here")
		return
	}
	if err := d.CreateNetwork(n.id, n.generic, n, ipamData(n.ipamV4Info), ipamData(n.ipamV6Info)); err != nil {
		c.releaseNetwork(n.name, n.id)
		log.WithError(err).Warn("cluster store: driver create network")
		return
	}
	// This host's endpoints on it: those stored while the store was away
	// when the controller started (n is not visible yet).
	c.restoreEndpoints(n)
	c.mu.Lock()
	c.networks[n.id] = n
	c.mu.Unlock()
	c.agentNetworkCreated(n)
	c.attachLate(n)
	log.Debug("cluster store: network adopted")
}

// attachLate gives the sandboxes of this host back the endpoints of n, a
// network adopted after the start, that are joined to them; those joined
// to a sandbox that is gone are removed.
func (c *controller) attachLate(n *network) {
	n.mu.Lock()
	var joined []*endpoint
	for _, ep := range n.endpoints {
		if ep.sandboxID != "" {
			joined = append(joined, ep)
		}
	}
	n.mu.Unlock()
	for _, ep := range joined {
		c.mu.RLock()
		sb := c.sandboxes[ep.sandboxID]
		c.mu.RUnlock()
		if sb == nil {
			c.removeStaleEndpoint(ep)
			continue
		}
		sb.opMu.Lock()
		sb.addEndpoint(ep)
		ep.publishSvcRecord(sb.id)
		if ep.joinInfo != nil {
			if err := c.publishEntries(n.id, ep.joinInfo.tableEntries); err != nil {
				logrus.WithField("eid", ep.id).WithError(err).Warn("cluster store: publish table entries")
			}
		}
		sb.refreshDNSView()
		sb.syncHosts()
		sb.opMu.Unlock()
		logrus.WithFields(logrus.Fields{"nid": n.id, "eid": ep.id, "sid": sb.id}).Info("cluster store: endpoint re-attached to its sandbox")
	}
}

// dropGlobalNetwork removes a network deleted from the cluster store by
// another host: from the driver and the controller (its pools, VXLAN IDs
// and records were released by that host).
func (c *controller) dropGlobalNetwork(n *network) {
	log := logrus.WithFields(logrus.Fields{"nid": n.id, "name": n.name})
	n.mu.Lock()
	if n.deleting || n.deleted || len(n.endpoints) > 0 || n.pending > 0 {
		busy := !n.deleting && !n.deleted
		n.mu.Unlock()
		if busy {
			log.Warn("cluster store: network deleted elsewhere still has endpoints here: kept")
		}
		return
	}
	n.deleting = true
	n.mu.Unlock()
	if d, err := n.driver(); err == nil {
		if err := d.DeleteNetwork(n.id); err != nil {
			log.WithError(err).Warn("cluster store: driver delete network")
		}
	}
	c.agentNetworkDeleted(n)
	c.releaseNetwork(n.name, n.id)
	n.mu.Lock()
	n.deleting, n.deleted = false, true
	n.mu.Unlock()
	log.Debug("cluster store: network removed")
}
