package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/testutils"
)

// TestMultiHost builds cmd/dnet once and runs the multi-host tests: each
// subtest makes its own hosts (namespaces joined by an underlay bridge),
// each host running its own dnet daemon process, and one overlay network
// created with the same ID and options on every host.
func TestMultiHost(t *testing.T) {
	testutils.RequireRoot(t)
	bins := dnetBuild(t, t.TempDir())
	t.Run("Mesh", func(t *testing.T) { testMultiHostMesh(t, bins) })
	t.Run("KillRestart", func(t *testing.T) { testMultiHostKillRestart(t, bins) })
	t.Run("AddressReuse", func(t *testing.T) { testMultiHostAddressReuse(t, bins) })
	t.Run("Partition", func(t *testing.T) { testMultiHostPartition(t, bins) })
	t.Run("BadInput", func(t *testing.T) { testMultiHostBadInput(t, bins) })
}

// runMesh starts one container per host (cN at 10.77.0.1N on host N),
// each serving TCP on port 7000.
func runMesh(c *mhCluster) ([]*mhCtr, []string) {
	var ctrs []*mhCtr
	var addrs []string
	for _, h := range c.hosts {
		ct := h.run(mhOverlay, "c"+itoa(h.idx), fmt.Sprintf("10.77.0.%d", 10+h.idx))
		ctrs = append(ctrs, ct)
		addrs = append(addrs, ct.serve(7000))
	}
	return ctrs, addrs
}

// meshTalks polls until every container reaches every other by ICMP and
// TCP and resolves its name through the embedded DNS server.
func meshTalks(t *testing.T, ctrs []*mhCtr, addrs []string, bound time.Duration) {
	t.Helper()
	for i, a := range ctrs {
		for j, b := range ctrs {
			if i == j {
				continue
			}
			mhPoll(t, a.name+" reaches "+b.name, bound, func() error { return a.talk(b, addrs[j]) })
			mhPoll(t, a.name+" resolves "+b.name, bound, func() error {
				if err := resolvesTo(a.ns, b.name, b.ip); err != nil {
					return err
				}
				return resolvesTo(a.ns, b.name+"."+mhOverlay.name, b.ip)
			})
		}
	}
}

// testMultiHostMesh: three hosts form a cluster; a container on each
// reaches the others (TCP, ICMP), resolves their names, and the path MTU
// is the container MTU. Then a container leaves: the other hosts drop its
// FDB and neighbour entries and its DNS record within a bound.
func testMultiHostMesh(t *testing.T, bins dnetBinaries) {
	c := newMHCluster(t, bins, 3)
	c.createNetwork(mhOverlay)
	ctrs, addrs := runMesh(c)
	meshTalks(t, ctrs, addrs, mhBound)

	// Every host sends each remote container's MAC to its host's VTEP.
	for _, h := range c.hosts {
		tb, err := h.overlayTables(mhOverlay.id)
		must(t, err)
		for _, ct := range ctrs {
			if ct.h == h {
				continue
			}
			if err := tb.pointsTo(ct, ct.h.ip); err != nil {
				t.Errorf("%s: %v", h.name, err)
			}
		}
	}
	// The cluster view: every host sees the three alive and the network's
	// gossip has the three as members.
	for _, h := range c.hosts {
		cl, err := h.cluster()
		must(t, err)
		if cl.NodeName != h.name || cl.AdvertiseAddr != h.ip.String() || !cl.Encrypted || cl.GossipPort != 7947 {
			t.Errorf("%s: cluster %+v", h.name, cl)
		}
		var members []string
		for _, n := range cl.Networks {
			if n.ID == mhOverlay.id {
				members = n.Members
			}
		}
		if strings.Join(members, ",") != "host1,host2,host3" {
			t.Errorf("%s: members of the network's gossip: %v", h.name, members)
		}
	}

	// Path MTU: the container MTU leaves room for the encapsulation.
	c1, c2, c3 := ctrs[0], ctrs[1], ctrs[2]
	mtu, err := c1.ifaceMTU()
	must(t, err)
	if mtu != 1500-50 {
		t.Errorf("container MTU %d, want %d (underlay 1500 - VXLAN 50)", mtu, 1500-50)
	}
	for _, dst := range []*mhCtr{c2, c3} {
		if err := pingDF(c1.ns, dst.ip, mtu, 2*time.Second); err != nil {
			t.Errorf("%d-byte packet with DF %s → %s: %v", mtu, c1.name, dst.name, err)
		}
		if err := pingDF(c1.ns, dst.ip, mtu+1, 700*time.Millisecond); err == nil {
			t.Errorf("%d-byte packet with DF %s → %s passed", mtu+1, c1.name, dst.name)
		}
	}

	// c2 leaves on host 2.
	c2.detach(mhOverlay)
	for _, h := range []*mhHost{c.host(1), c.host(3)} {
		mhPoll(t, h.name+" forgets c2", mhBound, func() error {
			tb, err := h.overlayTables(mhOverlay.id)
			if err != nil {
				return err
			}
			if e, ok := tb.holds(c2); ok {
				return fmt.Errorf("%s still holds %s", h.name, e)
			}
			return nil
		})
	}
	for _, ct := range []*mhCtr{c1, c3} {
		mhPoll(t, ct.name+" no longer resolves c2", mhBound, func() error { return unresolved(ct.ns, "c2") })
	}
	// The others still talk.
	must(t, c1.talk(c3, addrs[2]))
	must(t, c3.talk(c1, addrs[0]))
	c.removeAll(mhOverlay)
}

// testMultiHostKillRestart: host 3's daemon is killed; its containers'
// entries leave hosts 1 and 2 within a bound, and come back when it
// restarts and restores its containers.
func testMultiHostKillRestart(t *testing.T, bins dnetBinaries) {
	c := newMHCluster(t, bins, 3)
	c.createNetwork(mhOverlay)
	ctrs, addrs := runMesh(c)
	meshTalks(t, ctrs, addrs, mhBound)
	h3, c3 := c.host(3), ctrs[2]

	h3.kill()
	for _, h := range []*mhHost{c.host(1), c.host(2)} {
		mhPoll(t, h.name+" drops the entries of dead host3", mhFailBound, func() error {
			tb, err := h.overlayTables(mhOverlay.id)
			if err != nil {
				return err
			}
			if e, ok := tb.holds(c3); ok {
				return fmt.Errorf("%s still holds %s", h.name, e)
			}
			return nil
		})
	}
	for _, ct := range ctrs[:2] {
		mhPoll(t, ct.name+" no longer resolves c3", mhBound, func() error { return unresolved(ct.ns, "c3") })
	}

	// Restart: the daemon restores its sandbox (the container is alive:
	// the state file names it), which rejoins the network.
	c3.close()
	h3.start()
	c.waitFormed()
	ctx, cancel := mhCtx()
	sb, err := h3.cl.Sandbox(ctx, "c3")
	cancel()
	must(t, err)
	if len(sb.Endpoints) == 0 {
		// Not restored attached: the container joins again.
		c3 = h3.attach(mhOverlay, "c3")
	} else {
		c3 = h3.open(sb)
	}
	ctrs[2] = c3
	addrs[2] = c3.serve(7001)
	meshTalks(t, ctrs, addrs, mhFailBound)
	// The restarted host takes part again: a container that starts
	// elsewhere now is programmed on host 3 and reached from c3.
	c5 := c.host(1).run(mhOverlay, "c5", "10.77.0.15")
	addr5 := c5.serve(7000)
	mhPoll(t, "host3 learns c5", mhBound, func() error {
		tb, err := h3.overlayTables(mhOverlay.id)
		if err != nil {
			return err
		}
		return tb.pointsTo(c5, c.host(1).ip)
	})
	mhPoll(t, "c3 reaches c5", mhBound, func() error { return c3.talk(c5, addr5) })
	for _, h := range []*mhHost{c.host(1), c.host(2)} {
		tb, err := h.overlayTables(mhOverlay.id)
		must(t, err)
		if err := tb.pointsTo(c3, h3.ip); err != nil {
			t.Errorf("%s after host3's restart: %v", h.name, err)
		}
	}
	c.removeAll(mhOverlay)
}

// testMultiHostAddressReuse: an address freed on host 1 and taken on host
// 2 (the same MAC: it derives from the IP) is reached at its new home from
// host 3, whose FDB points at host 2.
func testMultiHostAddressReuse(t *testing.T, bins dnetBinaries) {
	c := newMHCluster(t, bins, 3)
	c.createNetwork(mhOverlay)
	h1, h2, h3 := c.host(1), c.host(2), c.host(3)
	prober := h3.run(mhOverlay, "prober", "10.77.0.30")
	old := h1.run(mhOverlay, "old", "10.77.0.50")
	oldAddr := old.serve(7000)
	mhPoll(t, "prober reaches old on host1", mhBound, func() error { return prober.talk(old, oldAddr) })

	old.remove()
	neu := h2.run(mhOverlay, "new", "10.77.0.50")
	if neu.mac.String() != old.mac.String() {
		t.Logf("MACs differ (%s, %s): the reuse is of the IP only", old.mac, neu.mac)
	}
	newAddr := neu.serve(7000)
	mhPoll(t, "prober reaches 10.77.0.50 on host2", mhBound, func() error { return prober.talk(neu, newAddr) })
	mhPoll(t, "host3's tables point at host2", mhBound, func() error {
		tb, err := h3.overlayTables(mhOverlay.id)
		if err != nil {
			return err
		}
		return tb.pointsTo(neu, h2.ip)
	})
	// No host keeps an entry that points at the old owner.
	for _, h := range []*mhHost{h1, h3} {
		tb, err := h.overlayTables(mhOverlay.id)
		must(t, err)
		if v := tb.fdb[neu.mac.String()]; v == h1.ip.String() {
			t.Errorf("%s still sends %s to host1", h.name, neu.mac)
		}
	}
	must(t, resolvesTo(prober.ns, "new", neu.ip))
	must(t, unresolved(prober.ns, "old"))
	c.removeAll(mhOverlay)
}

// testMultiHostPartition: host 3 is cut off the underlay (its bridge port
// goes down); each side drops the other's entries; a container starts on
// host 1 meanwhile. When the link comes back the cluster heals by itself
// and the tables converge: every host has every remote container, and the
// three gossip databases hold the same entries.
func testMultiHostPartition(t *testing.T, bins dnetBinaries) {
	c := newMHCluster(t, bins, 3)
	c.createNetwork(mhOverlay)
	ctrs, addrs := runMesh(c)
	meshTalks(t, ctrs, addrs, mhBound)
	h1, h3 := c.host(1), c.host(3)

	port, err := c.ulNL.LinkByName("ul3")
	must(t, err)
	must(t, c.ulNL.LinkSetDown(port))
	c.waitAlive(c.hosts[:2], 2, mhFailBound)
	c.waitAlive(c.hosts[2:], 1, mhFailBound)
	c4 := h1.run(mhOverlay, "c4", "10.77.0.14")
	addr4 := c4.serve(7000)

	must(t, c.ulNL.LinkSetUp(port))
	c.waitFormed()
	ctrs, addrs = append(ctrs, c4), append(addrs, addr4)
	meshTalks(t, ctrs, addrs, mhFailBound)
	mhPoll(t, "host3 learns c4", mhBound, func() error {
		tb, err := h3.overlayTables(mhOverlay.id)
		if err != nil {
			return err
		}
		return tb.pointsTo(c4, h1.ip)
	})
	mhPoll(t, "the gossip databases converge", mhFailBound, func() error { return c.converged(mhOverlay.id) })
	c.removeAll(mhOverlay)
}

// converged checks that every host's gossip database holds the same live
// entries (table, key, owner, version) for network nid.
func (c *mhCluster) converged(nid string) error {
	var first string
	for i, h := range c.hosts {
		ctx, cancel := mhCtx()
		d, err := h.cl.ClusterDiagnostics(ctx, nid, "", false)
		cancel()
		if err != nil {
			return err
		}
		var rows []string
		for _, n := range d.Networks {
			for _, e := range n.Entries {
				rows = append(rows, fmt.Sprintf("%s/%s@%s:%d", e.Table, e.Key, e.Owner, e.LTime))
			}
		}
		sort.Strings(rows)
		got := strings.Join(rows, "\n")
		if got == "" {
			return fmt.Errorf("%s has no entry", h.name)
		}
		if i == 0 {
			first = got
		} else if got != first {
			return fmt.Errorf("%s holds\n%s\nhost1 holds\n%s", h.name, got, first)
		}
	}
	return nil
}

// testMultiHostBadInput: an overlay network without a cluster, bad and
// taken VXLAN IDs, overlapping subnets and bad IDs are refused with typed
// answers naming the value, and change nothing; bad cluster flags stop
// the daemon with a message naming them.
func testMultiHostBadInput(t *testing.T, bins dnetBinaries) {
	t.Run("NoCluster", func(t *testing.T) {
		e := newDnetEnv(t, bins)
		e.start()
		before := e.state()
		body := `{"name":"ov","driver":"overlay","ipam":[{"subnet":"10.88.0.0/24"}],"options":{"com.docker.network.driver.overlay.vxlanid_list":"4300"}}`
		e.expectError("POST", "/v1/networks", body, 503, "", "cluster")
		e.expectError("GET", "/v1/cluster", "", 503, "", "without a cluster")
		e.expectError("GET", "/v1/cluster/diagnostics", "", 503, "", "without a cluster")
		if _, errOut, code := e.cli("cluster", "info"); code != 1 || !strings.Contains(errOut, "without a cluster") {
			t.Errorf("dnet cluster info without a cluster: exit %d: %s", code, errOut)
		}
		if after := e.state(); !after.equal(before) {
			t.Errorf("refused requests changed the state")
		}
	})
	t.Run("DaemonFlags", func(t *testing.T) {
		e := newDnetEnv(t, bins)
		for _, c := range []struct {
			args []string
			code int
			msg  string
		}{
			// Not an address of the daemon's namespace: the gossip cannot bind.
			{[]string{"--node-name", "h", "--bind-addr", "192.168.99.9"}, 1, "192.168.99.9"},
			{[]string{"--node-name", "h", "--gossip-key", "c2hvcnQ="}, 2, "--gossip-key #1: 5 bytes"},
			{[]string{"--join", "10.0.0.1:99999"}, 2, `"10.0.0.1:99999"`},
		} {
			args := append([]string{"--data-dir", e.dataDir, "--exec-root", e.execRoot}, c.args...)
			p := e.spawn(args...)
			if code := p.wait(t, 30*time.Second); code != c.code || !strings.Contains(p.stderr.String(), c.msg) {
				t.Errorf("dnet daemon %q: exit %d, want %d with %q:\n%s", c.args, code, c.code, c.msg, p.stderr.String())
			}
		}
	})
	t.Run("Cluster", func(t *testing.T) {
		c := newMHCluster(t, bins, 1)
		h := c.host(1)
		// The CLI creates the network with its ID.
		out, errOut, code := dnetRun(t, bins.cli, "-H", "unix://"+h.sock, "network", "create", "-d", "overlay", "--id", mhOverlay.id,
			"--subnet", mhOverlay.subnet, "-o", "com.docker.network.driver.overlay.vxlanid_list="+mhOverlay.vni, mhOverlay.name)
		if code != 0 || strings.TrimSpace(out) != mhOverlay.id {
			t.Fatalf("dnet network create --id: exit %d, %q %s", code, out, errOut)
		}
		before := apiState(t, h)
		const vxl = "com.docker.network.driver.overlay.vxlanid_list"
		spec := func(id, name, subnet, vni string) string {
			s := `{"name":"` + name + `","driver":"overlay","ipam":[{"subnet":"` + subnet + `"}]`
			if id != "" {
				s += `,"id":"` + id + `"`
			}
			if vni != "" {
				s += `,"options":{"` + vxl + `":"` + vni + `"}`
			}
			return s + "}"
		}
		cases := []struct {
			body   string
			status int
			field  string
			msg    []string
		}{
			{spec("", "a", "10.90.0.0/24", "abc"), 400, "", []string{`"abc"`}},
			{spec("", "a", "10.90.0.0/24", "0"), 400, "", []string{"VXLAN ID 0"}},
			{spec("", "a", "10.90.0.0/24", "16777216"), 400, "", []string{"16777216"}},
			{spec("", "a", "10.90.0.0/24", "4300,4301"), 400, "", []string{"4300,4301"}},
			{spec("", "a", "10.90.0.0/24", ""), 400, "", []string{vxl}},
			{spec("", "a", "10.90.0.0/24", mhOverlay.vni), 409, "", []string{"VXLAN ID " + mhOverlay.vni}},
			{spec("", "a", "10.77.0.128/25", "4301"), 409, "ipam[0].subnet", []string{"10.77.0.128/25", mhOverlay.subnet, mhOverlay.name}},
			{spec(mhOverlay.id, "a", "10.90.0.0/24", "4301"), 409, "id", []string{mhOverlay.id}},
			{spec("bad/id", "a", "10.90.0.0/24", "4301"), 400, "id", []string{"bad/id"}},
			{spec("", mhOverlay.name, "10.90.0.0/24", "4301"), 409, "name", []string{mhOverlay.name}},
		}
		for _, cs := range cases {
			status, msg, field := createError(t, h, cs.body)
			if status != cs.status || field != cs.field {
				t.Errorf("%s: %d field %q (%s), want %d field %q", cs.body, status, field, msg, cs.status, cs.field)
				continue
			}
			for _, m := range cs.msg {
				if !strings.Contains(msg, m) {
					t.Errorf("%s: message %q lacks %q", cs.body, msg, m)
				}
			}
		}
		if after := apiState(t, h); after != before {
			t.Errorf("refused networks changed the state:\n%s\nwas\n%s", after, before)
		}
		if tb, err := h.overlayTables(mhOverlay.id); err != nil || tb.built {
			t.Errorf("a network with no endpoint has an overlay namespace (%v)", err)
		}
		// The cluster view through the CLI.
		out, errOut, code = dnetRun(t, bins.cli, "-H", "unix://"+h.sock, "cluster", "info")
		if code != 0 || !strings.Contains(out, "host1") || !strings.Contains(out, "alive") {
			t.Errorf("dnet cluster info: exit %d\n%s%s", code, out, errOut)
		}
		c.deleteNetwork(mhOverlay)
	})
}

// apiState is what the daemon of h lists.
func apiState(t *testing.T, h *mhHost) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nws, err := h.cl.Networks(ctx)
	must(t, err)
	var l []string
	for _, n := range nws {
		l = append(l, fmt.Sprintf("%s %s %s %v %v", n.ID, n.Name, n.Driver, n.IPAM, n.Options))
	}
	return strings.Join(l, "\n")
}

// createError asks h to create the network of body and returns the
// error answer: status, message and field.
func createError(t *testing.T, h *mhHost, body string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var req api.NetworkCreate
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("test body %s: %v", body, err)
	}
	_, err := h.cl.CreateNetwork(ctx, req)
	if err == nil {
		t.Fatalf("network %s: accepted", body)
	}
	ae, ok := err.(*api.Error)
	if !ok {
		t.Fatalf("network %s: %v", body, err)
	}
	return ae.Status, ae.Message, ae.Field
}
