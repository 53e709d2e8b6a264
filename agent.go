package libnetwork

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/networkdb"
	"github.com/cnmkit/libnetwork/types"
	"github.com/hashicorp/memberlist"
	"github.com/sirupsen/logrus"
)

// The gossip agent.
//
// A controller configured with config.OptionCluster runs one networkdb
// node (named Cluster.NodeName, default the host name; bound to
// Cluster.BindAddr:BindPort, default all addresses and port 7947; gossip
// encrypted with Cluster.Keys) and joins Cluster.Peers in the background,
// retrying while it is alone in the cluster: a controller may start
// before its peers, and one that lost all of them joins again. Drivers are
// told this node's addresses (discoverapi.NodeDiscovery, Self) when the
// agent starts. Without a cluster configuration there is no agent and
// table entries stay local; a network whose driver has the global data
// scope (overlay) is then refused with a types.NoServiceError naming the
// network and the driver.
//
// Networks. The controller joins the networkdb network of a global-scope
// network when the network is created (or restored) on this node, not on
// its first endpoint: the driver then learns the entries of the other
// hosts before its first Join, which needs no wait for a sync, at the
// price of gossip for networks with no local endpoint (memory only; no
// kernel object). It leaves the networkdb network when the network is
// deleted. A clustered controller without a global store keeps its
// global-scope objects in a store file of its own (global-kv.db in the
// data dir): an orchestrator creates such a network, with the same ID, on
// every host.
//
// Tables. Entries a driver adds with AddTableEntry during Join are
// written to networkdb and deleted on Leave, on endpoint delete and, at
// restart, for endpoints that are gone (entries of an earlier life of the
// node that it no longer holds are deleted by networkdb itself). Per
// network, one goroutine turns the networkdb events of the tables the
// driver registered (TableEventRegister) into Driver.EventNotify calls, in
// order; it first walks the entries already there, so entries written
// before the driver registered are delivered too. The agent keeps what it
// delivered: a change is never delivered twice, a Delete only follows a
// delivered Create, and this node's own entries are never delivered
// (drivers know their local endpoints); a remote entry that this node
// overwrites is withdrawn from the driver with a Delete.
//
// Names. Every joined endpoint with a name or aliases and an address is
// published in the network's "endpoint_table" (key: endpoint ID; value: a
// compact versioned record of its name, aliases, addresses, network and
// host), and the records of the other hosts feed the network's service
// records, so that the embedded DNS server of a sandbox answers for
// containers on every host. Malformed values are dropped with a log line.
//
// Stop leaves the cluster gracefully: the other hosts delete this node's
// entries at once. A node that vanishes has its entries deleted by the
// others after networkdb's failure grace; they return when it comes back
// and its sandboxes are restored.

// agent is the controller's gossip agent.
type agent struct {
	c         *controller
	db        *networkdb.NetworkDB
	node      string
	advertise string
	bind      string
	timing    rejoinTiming
	log       *logrus.Entry

	peersMu sync.Mutex
	peers   []string
	wake    chan struct{}

	ownMu sync.Mutex
	own   map[entryID]*ownEntry

	mu      sync.Mutex
	nets    map[string]*netAgent
	running bool // the controller's state is restored: feed the drivers
	closed  bool

	stop chan struct{}
	wg   sync.WaitGroup
}

// startAgent starts the gossip agent when the configuration has a
// cluster; it becomes the controller's table backend. The caller is New,
// after the drivers are registered and before the state is restored.
func (c *controller) startAgent() error {
	cfg := c.config()
	cl := cfg.Cluster
	if !clusterEnabled(&cl) {
		return nil
	}
	lg := logrus.WithFields(logrus.Fields{"module": "agent", "node": cl.NodeName})
	tr, err := newNSTransport(c.hostNS, cl.BindAddr, cl.BindPort, lg)
	if err != nil {
		return bindError(cl.BindAddr, cl.BindPort, err)
	}
	ncfg := networkDBConfig(&cl)
	var transport memberlist.NodeAwareTransport = tr
	if agentTestHook != nil {
		transport = agentTestHook(cl.NodeName, ncfg, transport)
	}
	tune := ncfg.Memberlist
	ncfg.Memberlist = func(mc *memberlist.Config) {
		mc.Transport = transport
		if tune != nil {
			tune(mc)
		}
	}
	db, err := networkdb.New(ncfg)
	if err != nil {
		_ = transport.Shutdown()
		return types.InternalErrorf("cluster agent: start networkdb node %s: %w", cl.NodeName, err)
	}
	a := &agent{
		c: c, db: db, node: cl.NodeName, timing: agentRejoin, log: lg,
		peers: append([]string(nil), cl.Peers...), wake: make(chan struct{}, 1),
		own: map[entryID]*ownEntry{}, nets: map[string]*netAgent{}, stop: make(chan struct{}),
	}
	if cl.Heartbeat > 0 {
		a.timing.check = time.Duration(cl.Heartbeat) * time.Second
	}
	a.advertise, a.bind = a.addresses(&cl)
	c.agent = a
	c.tables = a
	a.discoverSelf()
	a.configureDriverKeys(cl.Keys)
	a.wg.Add(1)
	go a.joinLoop()
	lg.WithFields(logrus.Fields{"advertise": a.advertise, "port": cl.BindPort}).Debug("cluster agent started")
	return nil
}

// addresses returns this node's advertise and bind addresses.
func (a *agent) addresses(cl *config.ClusterCfg) (string, string) {
	adv, bind := cl.AdvertiseAddr, cl.BindAddr
	if adv == "" {
		if ip := net.ParseIP(bind); ip != nil && !ip.IsUnspecified() {
			adv = bind
		} else {
			for _, p := range a.db.ClusterPeers() {
				if p.Name == a.node {
					adv = p.IP
				}
			}
		}
	}
	if ip := net.ParseIP(bind); ip == nil || ip.IsUnspecified() {
		bind = adv
	}
	return adv, bind
}

// discoverSelf tells every driver this node's addresses.
func (a *agent) discoverSelf() {
	data := discoverapi.NodeDiscoveryData{Address: a.advertise, BindAddress: a.bind, Self: true}
	a.c.reg.WalkDrivers(func(name string, d driverapi.Driver, _ driverapi.Capability) bool {
		if err := d.DiscoverNew(discoverapi.NodeDiscovery, data); err != nil {
			a.log.WithField("driver", name).WithError(err).Warn("node discovery")
		}
		return false
	})
}

// setPeers replaces the peers the agent joins when it is alone.
func (a *agent) setPeers(peers []string) {
	a.peersMu.Lock()
	a.peers = append([]string(nil), peers...)
	a.peersMu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *agent) getPeers() []string {
	a.peersMu.Lock()
	defer a.peersMu.Unlock()
	return append([]string(nil), a.peers...)
}

// joinLoop joins the peers whenever this node is alone in the cluster:
// at start (the peers may not be up yet) and after it lost them all.
func (a *agent) joinLoop() {
	defer a.wg.Done()
	backoff, warned := a.timing.min, false
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-a.wake:
			backoff = a.timing.min
		case <-t.C:
		}
		wait := a.timing.check
		if peers := a.getPeers(); len(peers) > 0 && len(a.db.ClusterPeers()) <= 1 {
			if err := a.db.Join(peers); err != nil {
				lg := a.log.WithField("peers", peers).WithError(err)
				if !warned {
					lg.Warn("cluster join failed: retrying")
					warned = true
				} else {
					lg.Debug("cluster join failed: retrying")
				}
				wait, backoff = backoff, min(2*backoff, a.timing.max)
			} else {
				backoff, warned = a.timing.min, false
				if len(a.db.ClusterPeers()) > 1 {
					a.log.WithField("peers", peers).Info("joined the cluster")
				} else {
					a.log.WithField("peers", peers).Debug("joined nobody but this node")
				}
			}
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(wait)
	}
}

// close leaves the cluster: the dispatchers stop, then networkdb leaves
// gracefully (the other hosts delete this node's entries at once).
func (a *agent) close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	nets := a.nets
	a.nets = map[string]*netAgent{}
	started := map[*netAgent]bool{}
	for _, na := range nets {
		started[na] = na.started
	}
	a.mu.Unlock()
	close(a.stop)
	for _, na := range nets {
		na.stopNet(started[na])
	}
	a.db.Close()
	a.wg.Wait()
	a.log.Debug("cluster agent stopped")
}

// stopAgent stops the controller's gossip agent, if any.
func (c *controller) stopAgent() {
	if c.agent != nil {
		c.agent.close()
	}
}

// DiagnosticsHandler returns an http.Handler that serves the state of the
// controller's gossip database as JSON (peers, networks, entries; query
// parameters nid, table and all=1). Without a cluster it answers 503.
func (c *controller) DiagnosticsHandler() http.Handler {
	if c.agent == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "no cluster agent: the controller runs without a cluster configuration", http.StatusServiceUnavailable)
		})
	}
	return c.agent.db.DiagnosticsHandler()
}
