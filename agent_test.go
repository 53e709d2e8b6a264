package libnetwork

import (
	"net"
	"reflect"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
)

const gnetID = "gnet0000000000000000000000000001"

// TestAgentTables: a Join on one host makes the driver on every other host
// hear exactly one Create with the value, a Leave exactly one Delete; a host
// that joins the cluster and creates the network late gets everything once;
// endpoint delete withdraws; nobody hears of its own entries; names resolve
// across hosts; Stop leaves no goroutine behind.
func TestAgentTables(t *testing.T) {
	base, _ := agentGoroutines()
	tc := newTestCluster(t)
	tc.add("a")
	tc.add("b", "a")
	tc.add("c", "a")
	a, b := tc.start("a"), tc.start("b")
	tc.waitPeers(2)

	// Drivers learn this node's addresses when the agent starts.
	if got := a.driver().nodes; len(got) != 1 || got[0] != (discoverapi.NodeDiscoveryData{Address: a.addr, BindAddress: a.addr, Self: true}) {
		t.Fatalf("node discovery of a: %+v", got)
	}

	na, nb := tc.gossipNetwork(a, "gnet", gnetID), tc.gossipNetwork(b, "gnet", gnetID)
	ep1, sa1 := joined(t, a.c, na, "ep1", "ca1", CreateOptionMyAlias("web1"))
	bep1, sb1 := joined(t, b.c, nb, "bep1", "cb1")
	v1 := gossipValue(ep1, gnetID)

	eventually(t, "b hears of ep1", func() bool { return b.driver().state(t, gnetID)[ep1.ID()] == v1 })
	eventually(t, "a hears of bep1", func() bool { return a.driver().state(t, gnetID)[bep1.ID()] == gossipValue(bep1, gnetID) })

	// Names from a resolve on b (name and alias, forward and reverse), and
	// the other way round.
	ip1 := ep1.Info().Iface().Address().IP
	eventually(t, "ep1 resolvable on b", func() bool {
		ips, _ := sb1.ResolveName("ep1", net.IPv4len)
		return len(ips) == 1 && ips[0].Equal(ip1)
	})
	if ips, _ := sb1.ResolveName("web1.gnet", net.IPv4len); len(ips) != 1 || !ips[0].Equal(ip1) {
		t.Fatalf("alias web1 on b: %v", ips)
	}
	if name := sb1.ResolveIP(ip1.String()); name != "ep1.gnet" {
		t.Fatalf("reverse lookup of %s on b: %q", ip1, name)
	}
	eventually(t, "bep1 resolvable on a", func() bool {
		ips, _ := sa1.ResolveName("bep1", net.IPv4len)
		return len(ips) == 1 && ips[0].Equal(bep1.Info().Iface().Address().IP)
	})

	// c joins the cluster late and creates the network after the entries
	// were written: it gets them once.
	c := tc.start("c")
	tc.waitPeers(3)
	nc := tc.gossipNetwork(c, "gnet", gnetID)
	eventually(t, "c hears of ep1 and bep1", func() bool {
		s := c.driver().state(t, gnetID)
		return len(s) == 2 && s[ep1.ID()] == v1 && s[bep1.ID()] == gossipValue(bep1, gnetID)
	})
	_, sc1 := joined(t, c.c, nc, "cep1", "cc1")
	eventually(t, "ep1 resolvable on c", func() bool {
		ips, _ := sc1.ResolveName("ep1", net.IPv4len)
		return len(ips) == 1
	})

	// Leave: one Delete everywhere, and the names go.
	check(t, ep1.Leave(sa1))
	for _, n := range []*clusterNode{b, c} {
		eventually(t, n.name+" hears ep1 leave", func() bool { _, ok := n.driver().state(t, gnetID)[ep1.ID()]; return !ok })
	}
	eventually(t, "ep1 unresolvable on b", func() bool {
		ips, _ := sb1.ResolveName("ep1", net.IPv4len)
		return len(ips) == 0
	})

	// Join again, then a forced endpoint delete withdraws it.
	check(t, ep1.Join(sa1))
	for _, n := range []*clusterNode{b, c} {
		eventually(t, n.name+" hears ep1 again", func() bool { return n.driver().state(t, gnetID)[ep1.ID()] == v1 })
	}
	check(t, ep1.Delete(true))
	for _, n := range []*clusterNode{b, c} {
		eventually(t, n.name+" hears ep1 deleted", func() bool { _, ok := n.driver().state(t, gnetID)[ep1.ID()]; return !ok })
	}

	// Every change exactly once, in order.
	want := []gossipEvent{
		{driverapi.Create, gnetID, gossipTable, ep1.ID(), v1}, {driverapi.Delete, gnetID, gossipTable, ep1.ID(), v1},
		{driverapi.Create, gnetID, gossipTable, ep1.ID(), v1}, {driverapi.Delete, gnetID, gossipTable, ep1.ID(), v1},
	}
	for _, n := range []*clusterNode{b, c} {
		if got := n.driver().eventsOf(ep1.ID()); !reflect.DeepEqual(got, want) {
			t.Errorf("events of ep1 on %s:\n got %v\nwant %v", n.name, got, want)
		}
	}
	// Nobody hears of its own entries, nor of the endpoint table.
	for _, n := range []*clusterNode{a, b, c} {
		for _, ep := range n.c.Networks()[0].Endpoints() {
			if ev := n.driver().eventsOf(ep.ID()); len(ev) != 0 {
				t.Errorf("%s heard of its own endpoint %s: %v", n.name, ep.Name(), ev)
			}
		}
		n.driver().mu.Lock()
		for _, e := range n.driver().events {
			if e.Table != gossipTable {
				t.Errorf("%s heard of table %s", n.name, e.Table)
			}
		}
		n.driver().mu.Unlock()
	}

	// The network's gossip is left on delete.
	check(t, must(c.c.NetworkByID(gnetID))(t).Endpoints()[0].Delete(true))
	check(t, nc.Delete())
	eventually(t, "c left the network's gossip", func() bool {
		for _, p := range a.c.agent.db.Peers(gnetID) {
			if p.Name == "c" {
				return false
			}
		}
		return true
	})
	if c.c.agent.joinedNetwork(gnetID) {
		t.Fatal("c still feeds the deleted network")
	}

	for _, name := range []string{"a", "b", "c"} {
		tc.stop(name)
	}
	eventually(t, "agent goroutines gone", func() bool {
		n, _ := agentGoroutines()
		return n <= base
	})
}

// TestAgentRestart: a host restarted with some sandboxes alive publishes
// them again and the others' entries are gone for good; a host that
// vanishes without leaving has its entries deleted by the others within
// networkdb's failure detection, and back when it restarts.
func TestAgentRestart(t *testing.T) {
	tc := newTestCluster(t)
	tc.add("a")
	tc.add("b", "a")
	a, b := tc.start("a"), tc.start("b")
	tc.waitPeers(2)
	na, nb := tc.gossipNetwork(a, "gnet", gnetID), tc.gossipNetwork(b, "gnet", gnetID)
	ep2, _ := joined(t, a.c, na, "ep2", "live")
	ep3, _ := joined(t, a.c, na, "ep3", "stale")
	_, sb := joined(t, b.c, nb, "bep", "cb")
	v2, v3 := gossipValue(ep2, gnetID), gossipValue(ep3, gnetID)
	bState := func() map[string]string { return b.driver().state(t, gnetID) }
	resolves := func(name string) bool {
		ips, _ := sb.ResolveName(name, net.IPv4len)
		return len(ips) > 0
	}
	eventually(t, "b hears of ep2 and ep3", func() bool {
		return reflect.DeepEqual(bState(), map[string]string{ep2.ID(): v2, ep3.ID(): v3}) && resolves("ep2") && resolves("ep3")
	})

	// A graceful stop withdraws everything at once; the restart publishes
	// the live sandbox's entries again, not the stale one's.
	tc.stop("a")
	eventually(t, "b drops a's entries", func() bool { return len(bState()) == 0 && !resolves("ep2") })
	a = tc.start("a", configActive("live"))
	eventually(t, "b hears of ep2 again", func() bool {
		return reflect.DeepEqual(bState(), map[string]string{ep2.ID(): v2}) && resolves("ep2")
	})
	if resolves("ep3") {
		t.Fatal("ep3 of a stale sandbox resolves on b")
	}
	if _, err := must(a.c.NetworkByID(gnetID))(t).EndpointByID(ep3.ID()); err == nil {
		t.Fatal("stale endpoint ep3 restored")
	}

	// A stale sandbox of a host that crashes.
	ep4, _ := joined(t, a.c, must(a.c.NetworkByID(gnetID))(t), "ep4", "stale2")
	eventually(t, "b hears of ep4", func() bool { _, ok := bState()[ep4.ID()]; return ok && resolves("ep4") })

	// a vanishes: no packet in or out, then it stops (its goodbye is lost).
	a.cut.Store(true)
	eventually(t, "b drops the entries of a failed host", func() bool {
		return len(bState()) == 0 && !resolves("ep2") && !resolves("ep4")
	})
	tc.stop("a")
	a.cut.Store(false)
	tc.start("a", configActive("live"))
	tc.waitPeers(2)
	eventually(t, "ep2 back on b", func() bool {
		return reflect.DeepEqual(bState(), map[string]string{ep2.ID(): v2}) && resolves("ep2")
	})
	// The crashed life's ep4 is deleted for good once a answers for it.
	eventually(t, "ep4 deleted everywhere", func() bool {
		for _, e := range b.c.agent.db.Diagnostics(gnetID, gossipTable, true).Networks[0].Entries {
			if e.Key == ep4.ID() {
				return e.Deleted
			}
		}
		return true
	})
	if _, ok := bState()[ep4.ID()]; ok || resolves("ep4") {
		t.Fatal("ep4 of a stale sandbox came back")
	}
}

// TestAgentLateJoin: a host started before its peer joins it when it comes
// up; after a partition the hosts find each other again by themselves and
// the entries written meanwhile arrive.
func TestAgentLateJoin(t *testing.T) {
	tc := newTestCluster(t)
	tc.add("a")
	tc.add("b", "a")
	b := tc.start("b") // its peer is not up yet
	nb := tc.gossipNetwork(b, "gnet", gnetID)
	bep, _ := joined(t, b.c, nb, "bep", "cb")
	a := tc.start("a")
	tc.waitPeers(2)
	na := tc.gossipNetwork(a, "gnet", gnetID)
	eventually(t, "a hears of bep", func() bool { return a.driver().state(t, gnetID)[bep.ID()] == gossipValue(bep, gnetID) })

	// Partition: each side declares the other dead.
	b.cut.Store(true)
	tc.waitPeers(1)
	ep, _ := joined(t, a.c, na, "ep", "ca")
	b.cut.Store(false)
	tc.waitPeers(2)
	eventually(t, "b hears of ep after the partition", func() bool {
		return b.driver().state(t, gnetID)[ep.ID()] == gossipValue(ep, gnetID)
	})
	eventually(t, "a hears of bep again", func() bool { return a.driver().state(t, gnetID)[bep.ID()] == gossipValue(bep, gnetID) })
}

// TestAgentSlowDriver: a driver stuck on an event of one network does not
// hold up the events of another.
func TestAgentSlowDriver(t *testing.T) {
	tc := newTestCluster(t)
	tc.add("a")
	tc.add("b", "a")
	a, b := tc.start("a"), tc.start("b")
	tc.waitPeers(2)
	const n2ID = "gnet0000000000000000000000000002"
	na1, na2 := tc.gossipNetwork(a, "gnet", gnetID), tc.gossipNetwork(a, "gnet2", n2ID, 61)
	tc.gossipNetwork(b, "gnet", gnetID)
	tc.gossipNetwork(b, "gnet2", n2ID, 61)
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	d := b.driver()
	d.mu.Lock()
	d.block[gnetID] = release
	d.mu.Unlock()
	ep1, _ := joined(t, a.c, na1, "ep1", "c1")
	ep2, _ := joined(t, a.c, na2, "ep2", "c2")
	eventually(t, "b hears of ep2 while gnet is stuck", func() bool { return d.state(t, n2ID)[ep2.ID()] == gossipValue(ep2, n2ID) })
	if _, ok := d.state(t, gnetID)[ep1.ID()]; ok {
		t.Fatal("event delivered through a blocked driver call")
	}
	unblock()
	eventually(t, "b hears of ep1 once released", func() bool { return d.state(t, gnetID)[ep1.ID()] == gossipValue(ep1, gnetID) })
}

// TestAgentLateRegister: a table a driver registers after its network
// joined the gossip delivers the entries already there once, then every
// change.
func TestAgentLateRegister(t *testing.T) {
	tc := newTestCluster(t)
	tc.add("a")
	tc.add("b", "a")
	a, b := tc.start("a"), tc.start("b")
	tc.waitPeers(2)
	tc.gossipNetwork(a, "gnet", gnetID)
	tc.gossipNetwork(b, "gnet", gnetID)
	const late = "late_table"
	b.driver().mu.Lock()
	bInfo := b.driver().nInfos[gnetID]
	b.driver().mu.Unlock()
	check(t, bInfo.TableEventRegister(late)) // the writer registered it too
	check(t, b.c.agent.CreateEntry(late, gnetID, "k1", []byte("v1")))
	eventually(t, "a holds k1", func() bool { _, err := a.c.agent.db.GetEntry(late, gnetID, "k1"); return err == nil })
	d := a.driver()
	if ev := d.eventsOf("k1"); len(ev) != 0 {
		t.Fatalf("events of a table not registered: %v", ev)
	}
	d.mu.Lock()
	nInfo := d.nInfos[gnetID]
	d.mu.Unlock()
	check(t, nInfo.TableEventRegister(late))
	eventually(t, "a's driver gets k1", func() bool { return d.state(t, gnetID)["k1"] == "v1" })
	check(t, b.c.agent.CreateEntry(late, gnetID, "k1", []byte("v2")))
	eventually(t, "a's driver gets k1 updated", func() bool { return d.state(t, gnetID)["k1"] == "v2" })
	check(t, b.c.agent.DeleteEntry(late, gnetID, "k1"))
	eventually(t, "a's driver gets k1 deleted", func() bool { _, ok := d.state(t, gnetID)["k1"]; return !ok })
	want := []gossipEvent{
		{driverapi.Create, gnetID, late, "k1", "v1"}, {driverapi.Update, gnetID, late, "k1", "v2"}, {driverapi.Delete, gnetID, late, "k1", "v2"},
	}
	if got := d.eventsOf("k1"); !reflect.DeepEqual(got, want) {
		t.Fatalf("events of k1:\n got %v\nwant %v", got, want)
	}
	// The writer's driver heard nothing of its own entry.
	if ev := b.driver().eventsOf("k1"); len(ev) != 0 {
		t.Fatalf("b heard of its own entry: %v", ev)
	}
}

// TestAgentTakeOver: a host that writes a key another host holds takes it
// over: its driver forgets the remote value (Delete), the other host's
// driver learns the new one, and the former owner's withdrawal no longer
// deletes it.
func TestAgentTakeOver(t *testing.T) {
	tc := newTestCluster(t)
	tc.add("a")
	tc.add("b", "a")
	a, b := tc.start("a"), tc.start("b")
	tc.waitPeers(2)
	tc.gossipNetwork(a, "gnet", gnetID)
	tc.gossipNetwork(b, "gnet", gnetID)
	da, db := a.driver(), b.driver()
	check(t, b.c.agent.CreateEntry(gossipTable, gnetID, "k", []byte("from-b")))
	eventually(t, "a gets b's k", func() bool { return da.state(t, gnetID)["k"] == "from-b" })
	check(t, a.c.agent.CreateEntry(gossipTable, gnetID, "k", []byte("from-a")))
	eventually(t, "a forgets b's k", func() bool { _, ok := da.state(t, gnetID)["k"]; return !ok })
	eventually(t, "b gets a's k", func() bool { return db.state(t, gnetID)["k"] == "from-a" })
	check(t, b.c.agent.DeleteEntry(gossipTable, gnetID, "k")) // no longer b's
	if v, err := b.c.agent.db.GetEntry(gossipTable, gnetID, "k"); err != nil || string(v) != "from-a" {
		t.Fatalf("a's entry after b's withdrawal: %q %v", v, err)
	}
	check(t, a.c.agent.DeleteEntry(gossipTable, gnetID, "k"))
	eventually(t, "b forgets a's k", func() bool { _, ok := db.state(t, gnetID)["k"]; return !ok })
	if got := db.eventsOf("k"); len(got) != 2 {
		t.Fatalf("events on b: %v", got)
	}
	if got := da.eventsOf("k"); len(got) != 2 {
		t.Fatalf("events on a: %v", got)
	}
}

// TestAgentRename: the new name of a renamed endpoint resolves on the
// other hosts, the old one no longer; it survives a restart.
func TestAgentRename(t *testing.T) {
	tc := newTestCluster(t)
	tc.add("a")
	tc.add("b", "a")
	a, b := tc.start("a"), tc.start("b")
	tc.waitPeers(2)
	na, nb := tc.gossipNetwork(a, "gnet", gnetID), tc.gossipNetwork(b, "gnet", gnetID)
	_, sa := joined(t, a.c, na, "old", "ca")
	_, sb := joined(t, b.c, nb, "bep", "cb")
	resolves := func(name string) bool {
		ips, _ := sb.ResolveName(name, net.IPv4len)
		return len(ips) == 1
	}
	eventually(t, "old resolves on b", func() bool { return resolves("old") })
	check(t, sa.Rename("new"))
	eventually(t, "new resolves on b, old no more", func() bool { return resolves("new") && !resolves("old") })
	tc.stop("a")
	eventually(t, "names of a gone", func() bool { return !resolves("new") })
	tc.start("a", configActive("ca"))
	eventually(t, "new resolves after a's restart", func() bool { return resolves("new") && !resolves("old") })
}
