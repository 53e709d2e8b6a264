package libnetwork

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/networkdb"
	"github.com/cnmkit/libnetwork/osl"
	"github.com/cnmkit/libnetwork/types"
	"github.com/hashicorp/memberlist"
)

const (
	gossipType  = "gossipfake"
	gossipTable = "gossip_table"
)

// gossipEvent is one EventNotify call.
type gossipEvent struct {
	Type  driverapi.EventType
	NID   string
	Table string
	Key   string
	Value string
}

func (e gossipEvent) String() string {
	return fmt.Sprintf("%s %s/%s=%q", e.Type, e.Table, shortID(e.Key), e.Value)
}

func shortID(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// gossipDriver is a global-scope driver without kernel work: it registers
// gossipTable, publishes "<nid>|<address>" for each joined endpoint and
// records every EventNotify call.
type gossipDriver struct {
	mu       sync.Mutex
	events   []gossipEvent
	nodes    []discoverapi.NodeDiscoveryData
	addrs    map[string]string // eid -> address
	nInfos   map[string]driverapi.NetworkInfo
	waiters  map[string]chan struct{} // key -> closed at its next event
	block    map[string]chan struct{}
	panicKey string
	// key events (keyEvents) and whether to refuse key removals
	keyEvents   []string
	refusePrune bool
}

func gossipInit(dc driverapi.DriverCallback, _ map[string]interface{}) error {
	d := &gossipDriver{addrs: map[string]string{}, block: map[string]chan struct{}{}, nInfos: map[string]driverapi.NetworkInfo{}}
	return dc.RegisterDriver(gossipType, d, driverapi.Capability{DataScope: datastore.GlobalScope})
}

func (d *gossipDriver) NetworkAllocate(string, map[string]string, []driverapi.IPAMData, []driverapi.IPAMData) (map[string]string, error) {
	return nil, types.NotImplementedErrorf("not supported")
}
func (d *gossipDriver) NetworkFree(string) error { return types.NotImplementedErrorf("not supported") }

func (d *gossipDriver) DiscoverNew(t discoverapi.DiscoveryType, data interface{}) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch t {
	case discoverapi.NodeDiscovery:
		d.nodes = append(d.nodes, data.(discoverapi.NodeDiscoveryData))
	case discoverapi.EncryptionKeysConfig:
		cfg := data.(discoverapi.DriverEncryptionConfig)
		d.keyEvents = append(d.keyEvents, fmt.Sprintf("config %v", keyBytes(cfg.Keys...)))
	case discoverapi.EncryptionKeysUpdate:
		u := data.(discoverapi.DriverEncryptionUpdate)
		if u.Prune != nil && d.refusePrune {
			return types.ForbiddenErrorf("prune %v refused", keyBytes(u.Prune))
		}
		d.keyEvents = append(d.keyEvents, fmt.Sprintf("update key %v primary %v prune %v", keyBytes(u.Key), keyBytes(u.Primary), keyBytes(u.Prune)))
	}
	return nil
}

// keyBytes names test keys by their first byte.
func keyBytes(keys ...[]byte) []int {
	var out []int
	for _, k := range keys {
		if len(k) > 0 {
			out = append(out, int(k[0]))
		}
	}
	return out
}

// takeKeyEvents returns and forgets the key events the driver got.
func (d *gossipDriver) takeKeyEvents() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	ev := d.keyEvents
	d.keyEvents = nil
	return ev
}
func (d *gossipDriver) DiscoverDelete(discoverapi.DiscoveryType, interface{}) error { return nil }
func (d *gossipDriver) Type() string                                                { return gossipType }

func (d *gossipDriver) CreateNetwork(nid string, _ map[string]interface{}, nInfo driverapi.NetworkInfo, _, _ []driverapi.IPAMData) error {
	d.mu.Lock()
	d.nInfos[nid] = nInfo
	d.mu.Unlock()
	return nInfo.TableEventRegister(gossipTable)
}
func (d *gossipDriver) DeleteNetwork(string) error { return nil }

func (d *gossipDriver) CreateEndpoint(nid, eid string, ifInfo driverapi.InterfaceInfo, _ map[string]interface{}) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a := ifInfo.Address(); a != nil {
		d.addrs[eid] = a.IP.String()
	}
	return nil
}
func (d *gossipDriver) DeleteEndpoint(string, string) error { return nil }
func (d *gossipDriver) EndpointOperInfo(string, string) (map[string]interface{}, error) {
	return map[string]interface{}{}, nil
}

func (d *gossipDriver) Join(nid, eid string, _ string, jinfo driverapi.JoinInfo, _ map[string]interface{}) error {
	d.mu.Lock()
	addr := d.addrs[eid]
	d.mu.Unlock()
	return jinfo.AddTableEntry(gossipTable, eid, []byte(nid+"|"+addr))
}
func (d *gossipDriver) Leave(string, string) error { return nil }
func (d *gossipDriver) ProgramExternalConnectivity(string, string, map[string]interface{}) error {
	return nil
}
func (d *gossipDriver) RevokeExternalConnectivity(string, string) error { return nil }

func (d *gossipDriver) EventNotify(typ driverapi.EventType, nid, table, key string, value []byte) {
	d.mu.Lock()
	block, panicKey := d.block[nid], d.panicKey
	d.mu.Unlock()
	if block != nil {
		<-block
	}
	if key == panicKey {
		panic("gossip driver: bad value " + string(value))
	}
	d.mu.Lock()
	d.events = append(d.events, gossipEvent{typ, nid, table, key, string(value)})
	if w := d.waiters[key]; w != nil {
		close(w)
		delete(d.waiters, key)
	}
	d.mu.Unlock()
}

// waiter returns a channel closed at the next event of key.
func (d *gossipDriver) waiter(key string) <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.waiters == nil {
		d.waiters = map[string]chan struct{}{}
	}
	w := make(chan struct{})
	d.waiters[key] = w
	return w
}

// eventsOf returns the events of key, in order.
func (d *gossipDriver) eventsOf(key string) []gossipEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []gossipEvent
	for _, e := range d.events {
		if e.Key == key {
			out = append(out, e)
		}
	}
	return out
}

// state replays the events of network nid: the entries the driver knows.
// It fails t on an impossible sequence (a Create of a known key, an Update
// or Delete of an unknown one, a Delete whose value is not the last one).
func (d *gossipDriver) state(t testing.TB, nid string) map[string]string {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]string{}
	for _, e := range d.events {
		if e.NID != nid {
			continue
		}
		cur, ok := out[e.Key]
		switch {
		case e.Type == driverapi.Create && !ok, e.Type == driverapi.Update && ok:
			out[e.Key] = e.Value
		case e.Type == driverapi.Delete && ok && cur == e.Value:
			delete(out, e.Key)
		default:
			t.Fatalf("impossible event %v (known: %v, %q) in %v", e, ok, cur, d.events)
		}
	}
	return out
}

// gateTransport drops all of a node's traffic, both ways, while cut is set.
type gateTransport struct {
	memberlist.NodeAwareTransport
	cut     *atomic.Bool
	packets chan *memberlist.Packet
	streams chan net.Conn
	stop    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

var errCut = errors.New("cut by test")

func newGate(inner memberlist.NodeAwareTransport, cut *atomic.Bool) *gateTransport {
	g := &gateTransport{NodeAwareTransport: inner, cut: cut, packets: make(chan *memberlist.Packet),
		streams: make(chan net.Conn), stop: make(chan struct{})}
	g.wg.Add(2)
	go func() {
		defer g.wg.Done()
		for {
			select {
			case p := <-inner.PacketCh():
				if g.cut.Load() {
					continue
				}
				select {
				case g.packets <- p:
				case <-g.stop:
					return
				}
			case <-g.stop:
				return
			}
		}
	}()
	go func() {
		defer g.wg.Done()
		for {
			select {
			case c := <-inner.StreamCh():
				if g.cut.Load() {
					c.Close()
					continue
				}
				select {
				case g.streams <- c:
				case <-g.stop:
					c.Close()
					return
				}
			case <-g.stop:
				return
			}
		}
	}()
	return g
}

func (g *gateTransport) PacketCh() <-chan *memberlist.Packet { return g.packets }
func (g *gateTransport) StreamCh() <-chan net.Conn           { return g.streams }

func (g *gateTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	if g.cut.Load() {
		return time.Now(), nil
	}
	return g.NodeAwareTransport.WriteTo(b, addr)
}

func (g *gateTransport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if g.cut.Load() {
		return time.Now(), nil
	}
	return g.NodeAwareTransport.WriteToAddress(b, a)
}

func (g *gateTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	if g.cut.Load() {
		return nil, errCut
	}
	return g.NodeAwareTransport.DialTimeout(addr, timeout)
}

func (g *gateTransport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if g.cut.Load() {
		return nil, errCut
	}
	return g.NodeAwareTransport.DialAddressTimeout(a, timeout)
}

func (g *gateTransport) Shutdown() error {
	err := g.NodeAwareTransport.Shutdown()
	g.once.Do(func() { close(g.stop) })
	g.wg.Wait()
	return err
}

// clusterNode is one host of a test cluster: a controller with its own
// dirs and gossip address, in the test's namespace.
type clusterNode struct {
	name     string
	addr     string
	dataDir  string
	execRoot string
	peers    []string
	keys     [][]byte
	cut      atomic.Bool
	c        *controller
}

func (n *clusterNode) driver() *gossipDriver {
	d, _ := n.c.reg.Driver(gossipType)
	return d.(*gossipDriver)
}

// testCluster runs controllers in one namespace of the test's own,
// gossiping over 127.0.0.x.
type testCluster struct {
	t     testing.TB
	nodes map[string]*clusterNode
	next  int
}

func newTestCluster(t testing.TB) *testCluster {
	t.Helper()
	testutils.SetupTestOSContext(t)
	tc := &testCluster{t: t, nodes: map[string]*clusterNode{}}
	oldTiming := agentRejoin
	agentRejoin = rejoinTiming{min: 100 * time.Millisecond, max: 500 * time.Millisecond, check: 500 * time.Millisecond}
	agentTestHook = func(node string, cfg *networkdb.Config, tr memberlist.NodeAwareTransport) memberlist.NodeAwareTransport {
		cfg.BulkSyncInterval = time.Second
		cfg.ReapInterval = 30 * time.Second
		cfg.NodeFailureGrace = 0
		cfg.ReconnectInterval = 300 * time.Millisecond
		cfg.ProbeInterval = 200 * time.Millisecond
		cfg.ProbeTimeout = 100 * time.Millisecond
		cfg.Memberlist = func(mc *memberlist.Config) {
			mc.SuspicionMult = 2
			mc.GossipToTheDeadTime = 2 * time.Second
			mc.PushPullInterval = 2 * time.Second
		}
		return newGate(tr, &tc.nodes[node].cut)
	}
	t.Cleanup(func() {
		agentTestHook = nil
		agentRejoin = oldTiming
	})
	return tc
}

// add declares node name, gossiping on the next 127.0.0.x, joining peers.
func (tc *testCluster) add(name string, peers ...string) *clusterNode {
	tc.next++
	n := &clusterNode{name: name, addr: fmt.Sprintf("127.0.0.%d", tc.next), dataDir: tc.t.TempDir(), execRoot: tc.t.TempDir()}
	for _, p := range peers {
		n.peers = append(n.peers, tc.nodes[p].addr)
	}
	tc.nodes[name] = n
	// Runs before the temporary dirs are removed.
	tc.t.Cleanup(func() {
		if n.c != nil {
			n.c.Stop()
			n.c = nil
		}
		_ = osl.GCAt(n.execRoot, nil)
	})
	return n
}

// start starts node name's controller.
func (tc *testCluster) start(name string, opts ...config.Option) *clusterNode {
	tc.t.Helper()
	n := tc.nodes[name]
	all := append([]config.Option{
		config.OptionDataDir(n.dataDir), config.OptionExecRoot(n.execRoot),
		config.OptionHostResolvConf(filepath.Join(n.dataDir, "no-host-resolv.conf")),
		config.OptionCluster(config.ClusterCfg{NodeName: n.name, BindAddr: n.addr, Peers: n.peers, Keys: n.keys}),
	}, opts...)
	nc, err := New(all...)
	if err != nil {
		tc.t.Fatalf("start %s: %v", name, err)
	}
	n.c = nc.(*controller)
	return n
}

func (tc *testCluster) stop(name string) {
	n := tc.nodes[name]
	n.c.Stop()
	n.c = nil
}

// waitPeers waits until every running node sees want alive nodes.
func (tc *testCluster) waitPeers(want int) {
	tc.t.Helper()
	eventually(tc.t, fmt.Sprintf("%d cluster peers", want), func() bool {
		for _, n := range tc.nodes {
			if n.c != nil && len(n.c.agent.db.ClusterPeers()) != want {
				return false
			}
		}
		return true
	})
}

// gossipNetwork creates network nid on node n, its addresses from
// 10.<octet>.0.0/16, in a sub-pool of the node's own.
func (tc *testCluster) gossipNetwork(n *clusterNode, name, nid string, octet ...int) Network {
	tc.t.Helper()
	host := strings.TrimPrefix(n.addr, "127.0.0.")
	o := "60"
	if len(octet) > 0 {
		o = fmt.Sprint(octet[0])
	}
	ipam := []*IpamConf{{PreferredPool: "10." + o + ".0.0/16", SubPool: "10." + o + "." + host + ".0/24"}}
	return must(n.c.NewNetwork(gossipType, name, nid, NetworkOptionIpam("", "", ipam, nil, nil)))(tc.t)
}

// joined creates endpoint name on nw and joins it to a new sandbox of
// container cid.
func joined(t testing.TB, c *controller, nw Network, name, cid string, opts ...EndpointOption) (Endpoint, Sandbox) {
	t.Helper()
	ep := must(nw.CreateEndpoint(name, opts...))(t)
	sb := must(c.NewSandbox(cid))(t)
	check(t, ep.Join(sb))
	return ep, sb
}

// gossipValue is the value the gossip driver publishes for ep.
func gossipValue(ep Endpoint, nid string) string {
	return nid + "|" + ep.Info().Iface().Address().IP.String()
}

// agentGoroutines counts the goroutines of the agent, networkdb and
// memberlist.
func agentGoroutines() (int, string) {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	count, example := 0, ""
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "hashicorp/memberlist") || strings.Contains(g, "libnetwork/networkdb") ||
			strings.Contains(g, "(*agent)") || strings.Contains(g, "(*netAgent)") || strings.Contains(g, "(*gateTransport)") {
			count++
			example = g
		}
	}
	return count, example
}
