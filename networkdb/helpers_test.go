package networkdb

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/hashicorp/memberlist"
	"github.com/sirupsen/logrus"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

const testPort = 7947

// subnets hands every cluster its own 127.0.S.0/24, so that no packet of
// an earlier test reaches a later one.
var subnets atomic.Int32

// gate drops a node's outbound traffic to blocked addresses; blocking both
// directions between two groups partitions them.
type gate struct {
	*memberlist.NetTransport
	mu      sync.RWMutex
	blocked map[string]bool // IPs cut off entirely
	noUDP   map[string]bool // IPs whose packets (not streams) are dropped
}

var errPartitioned = errors.New("partitioned by test")

func hostOf(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

func (g *gate) isBlocked(addr string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.blocked[hostOf(addr)]
}

func (g *gate) dropsPacket(addr string) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.blocked[hostOf(addr)] || g.noUDP[hostOf(addr)]
}

func (g *gate) setNoUDP(ip string, on bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if on {
		g.noUDP[ip] = true
	} else {
		delete(g.noUDP, ip)
	}
}

func (g *gate) set(ip string, blocked bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if blocked {
		g.blocked[ip] = true
	} else {
		delete(g.blocked, ip)
	}
}

func (g *gate) WriteTo(b []byte, addr string) (time.Time, error) {
	if g.dropsPacket(addr) {
		return time.Now(), nil
	}
	return g.NetTransport.WriteTo(b, addr)
}

func (g *gate) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	if g.dropsPacket(a.Addr) {
		return time.Now(), nil
	}
	return g.NetTransport.WriteToAddress(b, a)
}

func (g *gate) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	if g.isBlocked(addr) {
		return nil, errPartitioned
	}
	return g.NetTransport.DialTimeout(addr, timeout)
}

func (g *gate) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	if g.isBlocked(a.Addr) {
		return nil, errPartitioned
	}
	return g.NetTransport.DialAddressTimeout(a, timeout)
}

// cluster is a set of nodes on one 127.0.S.0/24.
type cluster struct {
	t      testing.TB
	subnet int32
	tune   func(*Config)
	nodes  []*NetworkDB
	gates  []*gate
}

func nodeIP(subnet int32, i int) string { return fmt.Sprintf("127.0.%d.%d", subnet, i+1) }

// testConfig is tuned for fast failure detection on loopback.
func testConfig(subnet int32, i int) *Config {
	c := DefaultConfig()
	c.NodeID = fmt.Sprintf("node-%02d", i)
	c.Hostname = c.NodeID
	c.BindAddr = nodeIP(subnet, i)
	c.BindPort = testPort
	c.BulkSyncInterval = time.Second
	c.ReapInterval = 30 * time.Second
	c.NodeFailureGrace = 0
	c.ReconnectInterval = 500 * time.Millisecond
	c.ProbeInterval = 200 * time.Millisecond
	c.ProbeTimeout = 100 * time.Millisecond
	return c
}

// newCluster starts n nodes, joins them into one cluster and waits until
// every node sees all the others.
func newCluster(t testing.TB, n int, tune func(*Config)) *cluster {
	t.Helper()
	testutils.RequireRoot(t)
	s := subnets.Add(1)
	if s > 250 {
		t.Fatal("out of test subnets")
	}
	c := &cluster{t: t, subnet: s, tune: tune}
	t.Cleanup(c.closeAll)
	for i := 0; i < n; i++ {
		c.start(i)
	}
	for i := 1; i < n; i++ {
		if err := c.nodes[i].Join([]string{nodeIP(s, 0)}); err != nil {
			t.Fatalf("node %d join: %v", i, err)
		}
	}
	c.waitMembers(n)
	return c
}

// start (re)starts node i.
func (c *cluster) start(i int) *NetworkDB {
	c.t.Helper()
	cfg := testConfig(c.subnet, i)
	if c.tune != nil {
		c.tune(cfg)
	}
	nt, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{cfg.BindAddr},
		BindPort:  cfg.BindPort,
		Logger:    log.New(io.Discard, "", 0),
	})
	if err != nil {
		c.t.Fatalf("transport of node %d: %v", i, err)
	}
	g := &gate{NetTransport: nt, blocked: map[string]bool{}, noUDP: map[string]bool{}}
	cfg.Memberlist = func(mc *memberlist.Config) {
		mc.SuspicionMult = 2
		mc.GossipToTheDeadTime = 2 * time.Second
		mc.Transport = g
	}
	n, err := New(cfg)
	if err != nil {
		_ = nt.Shutdown()
		c.t.Fatalf("start node %d: %v", i, err)
	}
	for len(c.nodes) <= i {
		c.nodes = append(c.nodes, nil)
		c.gates = append(c.gates, nil)
	}
	c.nodes[i], c.gates[i] = n, g
	return n
}

func (c *cluster) closeAll() {
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		if n != nil {
			wg.Add(1)
			go func() { defer wg.Done(); n.Close() }()
		}
	}
	wg.Wait()
}

// waitMembers waits until every running node sees want alive nodes.
func (c *cluster) waitMembers(want int) {
	c.t.Helper()
	c.waitFor(20*time.Second, func() string {
		for i, n := range c.running() {
			if got := len(n.ClusterPeers()); got != want {
				return fmt.Sprintf("node %d sees %d peers, want %d", i, got, want)
			}
		}
		return ""
	})
}

func (c *cluster) running() map[int]*NetworkDB {
	out := map[int]*NetworkDB{}
	for i, n := range c.nodes {
		if n != nil && n.checkOpen() == nil {
			out[i] = n
		}
	}
	return out
}

// joinAll makes every node join nid and waits until all see each other.
func (c *cluster) joinAll(nid string) {
	c.t.Helper()
	for i, n := range c.nodes {
		if err := n.JoinNetwork(nid); err != nil {
			c.t.Fatalf("node %d join network: %v", i, err)
		}
	}
	c.waitNetPeers(nid, len(c.nodes))
}

func (c *cluster) waitNetPeers(nid string, want int) {
	c.t.Helper()
	c.waitFor(20*time.Second, func() string {
		for i, n := range c.running() {
			if got := len(n.Peers(nid)); got != want {
				return fmt.Sprintf("node %d sees %d peers of %s, want %d", i, got, nid, want)
			}
		}
		return ""
	})
}

// waitFor polls cond until it returns "" or the deadline passes.
func (c *cluster) waitFor(d time.Duration, cond func() string) {
	c.t.Helper()
	waitFor(c.t, d, cond)
}

func waitFor(t testing.TB, d time.Duration, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v: %s", d, msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tableOf returns a node's table as key -> value.
func tableOf(n *NetworkDB, tname, nid string) map[string]string {
	out := map[string]string{}
	for k, e := range n.GetTableByNetwork(tname, nid) {
		out[k] = string(e.Value)
	}
	return out
}

// waitTable waits until every given node holds exactly want.
func (c *cluster) waitTable(nodes map[int]*NetworkDB, tname, nid string, want map[string]string, d time.Duration) {
	c.t.Helper()
	c.waitFor(d, func() string {
		for i, n := range nodes {
			if got := tableOf(n, tname, nid); !equalMaps(got, want) {
				return fmt.Sprintf("node %d: %s", i, diffMaps(got, want))
			}
		}
		return ""
	})
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func diffMaps(got, want map[string]string) string {
	var d []string
	for k, v := range want {
		if g, ok := got[k]; !ok {
			d = append(d, "missing "+k)
		} else if g != v {
			d = append(d, fmt.Sprintf("%s=%q want %q", k, g, v))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			d = append(d, "extra "+k)
		}
	}
	sort.Strings(d)
	if len(d) > 6 {
		d = append(d[:6], fmt.Sprintf("... (%d differences)", len(d)))
	}
	return strings.Join(d, ", ")
}

// partition cuts all traffic between the groups a and b.
func (c *cluster) partition(a, b []int, cut bool) {
	for _, i := range a {
		for _, j := range b {
			c.gates[i].set(nodeIP(c.subnet, j), cut)
			c.gates[j].set(nodeIP(c.subnet, i), cut)
		}
	}
}

func init() {
	// memberlist's own logger is routed to logrus; keep test output quiet.
	logrus.SetLevel(logrus.ErrorLevel)
}
