package libnetwork

import (
	"bytes"
	"sync"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/networkdb"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// netAgent feeds one network's driver and service records from networkdb.
// Its goroutine (run) handles the network's events one at a time, in
// order; the agent holds no lock while it calls the driver, so a slow
// driver delays only its own network.
type netAgent struct {
	a      *agent
	n      *network
	d      driverapi.Driver
	events <-chan networkdb.Event
	cancel func()
	done   chan struct{}
	kick   chan struct{}
	log    *logrus.Entry
	// started says run was started (under the agent's mu): not before
	// the controller's state is restored.
	started bool

	walksMu sync.Mutex
	walks   []string // tables registered late, to walk

	// seen holds the remote entries delivered (to the driver or the
	// service records), by table and key; run's alone.
	seen map[tableKey][]byte
}

type tableKey struct{ table, key string }

// clusterScope reports whether networks of driver ntype need the cluster
// (the driver's data scope is global).
func (c *controller) clusterScope(ntype string) bool {
	if c.reg == nil {
		return false
	}
	_, cap := c.reg.Driver(ntype)
	return cap != nil && cap.DataScope == datastore.GlobalScope
}

// checkClusterNetwork refuses a network that needs the cluster when the
// controller has none.
func (c *controller) checkClusterNetwork(name, ntype string) error {
	if c.agent == nil && c.clusterScope(ntype) {
		return types.NoServiceErrorf("cannot create network %s: driver %s has global scope and needs the cluster agent (config.OptionCluster)", name, ntype)
	}
	return nil
}

// eligible reports whether n is a network of the cluster.
func (a *agent) eligible(n *network) bool {
	return n != nil && a.c.clusterScope(n.networkType)
}

// clusterNetwork reports whether nid is a network of the cluster, joining
// it if needed (an entry may be published while the state is restored).
func (a *agent) clusterNetwork(nid string) bool {
	if a.joinedNetwork(nid) {
		return true
	}
	a.c.mu.RLock()
	n := a.c.networks[nid]
	a.c.mu.RUnlock()
	if !a.eligible(n) {
		return false
	}
	a.ensureNetwork(n)
	return a.joinedNetwork(nid)
}

func (a *agent) joinedNetwork(nid string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.nets[nid] != nil
}

// ensureNetwork joins n's networkdb network and starts feeding its driver,
// unless done already.
func (a *agent) ensureNetwork(n *network) {
	d, err := n.driver()
	if err != nil {
		a.log.WithField("nid", n.id).WithError(err).Warn("cluster network without a driver: not joined")
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed || a.nets[n.id] != nil {
		return
	}
	na := &netAgent{a: a, n: n, d: d, done: make(chan struct{}), kick: make(chan struct{}, 1),
		seen: map[tableKey][]byte{}, log: a.log.WithField("nid", n.id)}
	// Watch first: every change after the join is seen.
	na.events, na.cancel = a.db.WatchEvents("", n.id)
	if err := a.db.JoinNetwork(n.id); err != nil {
		na.cancel()
		na.log.WithError(err).Warn("join the network's gossip")
		return
	}
	a.nets[n.id] = na
	if a.running {
		na.started = true
		go na.run()
	}
	na.log.Debug("joined the network's gossip")
}

// stopNet stops feeding a network: its watch ends and its goroutine, if
// started, returns.
func (na *netAgent) stopNet(started bool) {
	na.cancel()
	if started {
		<-na.done
	}
}

// leaveNetwork stops feeding network nid and leaves its networkdb network.
func (a *agent) leaveNetwork(nid string) {
	a.mu.Lock()
	na := a.nets[nid]
	delete(a.nets, nid)
	started := na != nil && na.started
	a.mu.Unlock()
	if na == nil {
		return
	}
	na.stopNet(started)
	a.forgetOwn(nid)
	if err := a.db.LeaveNetwork(nid); err != nil && !types.IsNotFound(err) {
		na.log.WithError(err).Warn("leave the network's gossip")
	}
	na.log.Debug("left the network's gossip")
}

// agentNetworkCreated joins the gossip of a new network of the cluster.
func (c *controller) agentNetworkCreated(n *network) {
	if c.agent != nil && c.agent.eligible(n) {
		c.agent.ensureNetwork(n)
	}
}

// agentNetworkDeleted leaves the gossip of a deleted network.
func (c *controller) agentNetworkDeleted(n *network) {
	if c.agent != nil {
		c.agent.leaveNetwork(n.id)
	}
}

// agentRestored starts feeding the networks of the cluster once the
// controller's state is restored (events wait in the meantime), and joins
// the gossip of the restored networks not joined yet.
func (c *controller) agentRestored() {
	a := c.agent
	if a == nil {
		return
	}
	a.mu.Lock()
	a.running = true
	for _, na := range a.nets {
		if !a.closed && !na.started {
			na.started = true
			go na.run()
		}
	}
	a.mu.Unlock()
	for _, nw := range c.Networks() {
		if n := nw.(*network); c.agent.eligible(n) {
			c.agent.ensureNetwork(n)
		}
	}
}

// agentTableRegistered delivers the existing entries of a table a driver
// registered after its network joined the gossip. It takes no lock of n.
func (c *controller) agentTableRegistered(nid, table string) {
	if c == nil || c.agent == nil {
		return
	}
	a := c.agent
	a.mu.Lock()
	na := a.nets[nid]
	a.mu.Unlock()
	if na == nil {
		return
	}
	na.walksMu.Lock()
	na.walks = append(na.walks, table)
	na.walksMu.Unlock()
	select {
	case na.kick <- struct{}{}:
	default:
	}
}

// run delivers the entries already there, then every change, until the
// watch ends.
func (na *netAgent) run() {
	defer close(na.done)
	na.walk(append(na.n.driverTables(), endpointTable))
	for {
		select {
		case ev, ok := <-na.events:
			if !ok {
				return
			}
			na.handle(ev)
		case <-na.kick:
			na.walksMu.Lock()
			tables := na.walks
			na.walks = nil
			na.walksMu.Unlock()
			na.walk(tables)
		}
	}
}

// walk delivers the remote entries of tables not delivered yet.
func (na *netAgent) walk(tables []string) {
	for _, t := range tables {
		for key, e := range na.a.db.GetTableByNetwork(t, na.n.id) {
			if e.Owner != na.a.node {
				na.apply(t, key, e.Value)
			}
		}
	}
}

// handle delivers one networkdb event.
func (na *netAgent) handle(ev networkdb.Event) {
	own := na.a.ownEvent(na.n.id, ev)
	if ev.Table != endpointTable && !na.driverWants(ev.Table) {
		return
	}
	k := tableKey{ev.Table, ev.Key}
	if own {
		// This node's entry: a remote one it replaced is withdrawn.
		if old, ok := na.seen[k]; ok {
			delete(na.seen, k)
			na.deliver(driverapi.Delete, ev.Table, ev.Key, old)
		}
		return
	}
	switch ev.Type {
	case networkdb.EventCreate, networkdb.EventUpdate:
		na.apply(ev.Table, ev.Key, ev.Value)
	case networkdb.EventDelete:
		if old, ok := na.seen[k]; ok {
			delete(na.seen, k)
			na.deliver(driverapi.Delete, ev.Table, ev.Key, old)
		}
	}
}

// apply delivers a remote entry's value unless it was delivered already.
func (na *netAgent) apply(table, key string, value []byte) {
	k := tableKey{table, key}
	old, ok := na.seen[k]
	if ok && bytes.Equal(old, value) {
		return
	}
	typ := driverapi.Create
	if ok {
		typ = driverapi.Update
	}
	v := append([]byte{}, value...)
	na.seen[k] = v
	na.deliver(typ, table, key, v)
}

func (na *netAgent) driverWants(table string) bool {
	for _, t := range na.n.driverTables() {
		if t == table {
			return true
		}
	}
	return false
}

// deliver hands a change to the service records and to the driver, when
// it registered the table.
func (na *netAgent) deliver(typ driverapi.EventType, table, key string, value []byte) {
	if table == endpointTable {
		na.feedRecords(typ, key, value)
	}
	if na.driverWants(table) {
		na.notifyDriver(typ, table, key, value)
	}
}

// notifyDriver calls the driver's EventNotify; a driver that panics on a
// value loses that event, not the controller.
func (na *netAgent) notifyDriver(typ driverapi.EventType, table, key string, value []byte) {
	defer func() {
		if r := recover(); r != nil {
			na.log.WithFields(logrus.Fields{"table": table, "key": key, "event": typ.String(), "panic": r}).Error("driver panicked on a table event: event dropped")
		}
	}()
	na.d.EventNotify(typ, na.n.id, table, key, append([]byte{}, value...))
}
