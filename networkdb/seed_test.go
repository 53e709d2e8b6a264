package networkdb

import (
	"fmt"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/go-events"
)

// seedEv is a seed event reduced to what the tests compare.
type seedEv struct {
	kind, table, nid, key, value string
}

func reduce(t *testing.T, ev events.Event) seedEv {
	t.Helper()
	switch e := ev.(type) {
	case CreateEvent:
		return seedEv{"create", e.Table, e.NetworkID, e.Key, string(e.Value)}
	case UpdateEvent:
		return seedEv{"update", e.Table, e.NetworkID, e.Key, string(e.Value)}
	case DeleteEvent:
		return seedEv{"delete", e.Table, e.NetworkID, e.Key, string(e.Value)}
	}
	t.Fatalf("watch delivered %T", ev)
	return seedEv{}
}

// collect reads n events from ch within 10 s.
func collect(t *testing.T, ch chan events.Event, n int) []seedEv {
	t.Helper()
	var got []seedEv
	deadline := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed after %v", got)
			}
			got = append(got, reduce(t, ev))
		case <-deadline:
			t.Fatalf("got %v, want %d events", got, n)
		}
	}
	return got
}

// TestSeedWatch proves the seed's Watch: the table, network and key
// filters, the event types, their order, and cancel closing the channel.
func TestSeedWatch(t *testing.T) {
	c := newCluster(t, 2, nil)
	c.joinAll("net1")
	c.joinAll("net2")
	c.waitNetPeers("net2", 2)
	w, r := c.nodes[0], c.nodes[1]
	type watch struct {
		name            string
		tname, nid, key string
		want            []seedEv
	}
	watches := []*watch{
		{name: "all", want: []seedEv{
			{"create", "t1", "net1", "a", "1"}, {"create", "t2", "net1", "a", "x"}, {"create", "t1", "net2", "a", "y"},
			{"update", "t1", "net1", "a", "2"}, {"create", "t1", "net1", "b", "3"}, {"delete", "t1", "net1", "a", "2"},
		}},
		{name: "table", tname: "t1", want: []seedEv{
			{"create", "t1", "net1", "a", "1"}, {"create", "t1", "net2", "a", "y"},
			{"update", "t1", "net1", "a", "2"}, {"create", "t1", "net1", "b", "3"}, {"delete", "t1", "net1", "a", "2"},
		}},
		{name: "table+network", tname: "t1", nid: "net1", want: []seedEv{
			{"create", "t1", "net1", "a", "1"}, {"update", "t1", "net1", "a", "2"},
			{"create", "t1", "net1", "b", "3"}, {"delete", "t1", "net1", "a", "2"},
		}},
		{name: "table+network+key", tname: "t1", nid: "net1", key: "a", want: []seedEv{
			{"create", "t1", "net1", "a", "1"}, {"update", "t1", "net1", "a", "2"}, {"delete", "t1", "net1", "a", "2"},
		}},
		{name: "key only", key: "b", want: []seedEv{{"create", "t1", "net1", "b", "3"}}},
	}
	chans := make([]chan events.Event, len(watches))
	cancels := make([]func(), len(watches))
	for k, wt := range watches {
		chans[k], cancels[k] = r.Watch(wt.tname, wt.nid, wt.key)
	}
	steps := []struct {
		do              func() error
		tname, nid, key string
		value           string // "" for gone
	}{
		{func() error { return w.CreateEntry("t1", "net1", "a", []byte("1")) }, "t1", "net1", "a", "1"},
		{func() error { return w.CreateEntry("t2", "net1", "a", []byte("x")) }, "t2", "net1", "a", "x"},
		{func() error { return w.CreateEntry("t1", "net2", "a", []byte("y")) }, "t1", "net2", "a", "y"},
		{func() error { return w.UpdateEntry("t1", "net1", "a", []byte("2")) }, "t1", "net1", "a", "2"},
		{func() error { return w.CreateEntry("t1", "net1", "b", []byte("3")) }, "t1", "net1", "b", "3"},
		{func() error { return w.DeleteEntry("t1", "net1", "a") }, "t1", "net1", "a", ""},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatal(err)
		}
		// One step at a time: changes of different keys travel separately.
		c.waitFor(10*time.Second, func() string {
			if got := tableOf(r, st.tname, st.nid)[st.key]; got != st.value {
				return fmt.Sprintf("node 1 has %s/%s/%s=%q, want %q", st.tname, st.nid, st.key, got, st.value)
			}
			return ""
		})
	}
	for k, wt := range watches {
		t.Run(wt.name, func(t *testing.T) {
			got := collect(t, chans[k], len(wt.want))
			if fmt.Sprint(got) != fmt.Sprint(wt.want) {
				t.Fatalf("got  %v\nwant %v", got, wt.want)
			}
			cancels[k]()
			for ev := range chans[k] { // closed by cancel
				t.Fatalf("event after the last one: %v", reduce(t, ev))
			}
			cancels[k]() // a second cancel does nothing
		})
	}
}

// TestSeedWatchClose proves that Close ends every seed watch, read or not,
// and that a watch of a closed node is closed at once.
func TestSeedWatchClose(t *testing.T) {
	c := newCluster(t, 1, nil)
	n := c.nodes[0]
	if err := n.JoinNetwork("net1"); err != nil {
		t.Fatal(err)
	}
	unread, _ := n.Watch("", "", "")
	read, _ := n.Watch("t", "net1", "")
	for k := 0; k < 100; k++ {
		if err := n.CreateEntry("t", "net1", fmt.Sprint(k), []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if got := collect(t, read, 1); got[0] != (seedEv{"create", "t", "net1", "0", "v"}) {
		t.Fatalf("first event %v", got[0])
	}
	n.Close()
	for _, ch := range []chan events.Event{unread, read} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range ch {
			}
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("watch channel still open after Close")
		}
	}
	after, cancel := n.Watch("", "", "")
	if _, ok := <-after; ok {
		t.Fatal("watch of a closed node delivered an event")
	}
	cancel()
}

// TestWalkTableSeed walks with the seed's callback, stopping early.
func TestWalkTableSeed(t *testing.T) {
	c := newCluster(t, 1, nil)
	n := c.nodes[0]
	for _, nid := range []string{"net1", "net2"} {
		if err := n.JoinNetwork(nid); err != nil {
			t.Fatal(err)
		}
	}
	createAll(t, n, "t", "net1", map[string]string{"b": "2", "a": "1"})
	createAll(t, n, "t", "net2", map[string]string{"c": "3"})
	createAll(t, n, "other", "net1", map[string]string{"z": "9"})
	if err := n.DeleteEntry("t", "net1", "b"); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := n.WalkTable("t", func(nid, key string, value []byte) bool {
		got = append(got, nid+"/"+key+"="+string(value))
		return false
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[net1/a=1 net2/c=3]" {
		t.Fatalf("walk got %v", got)
	}
	got = nil
	if err := n.WalkTable("t", func(nid, key string, value []byte) bool {
		got = append(got, key)
		return true
	}); err != nil || len(got) != 1 {
		t.Fatalf("walk stopping at once: %v %v", got, err)
	}
	if err := n.WalkTable("t", nil); !types.IsBadRequest(err) {
		t.Fatalf("nil callback: %v", err)
	}
	if err := n.WalkTable("", func(string, string, []byte) bool { return false }); !types.IsBadRequest(err) {
		t.Fatalf("empty table: %v", err)
	}
}

// TestSeedConfig starts two nodes from the seed's three-field Config and
// proves they gossip, and that NodeName names the node.
func TestSeedConfig(t *testing.T) {
	testutils.RequireRoot(t)
	s := subnets.Add(1)
	var nodes []*NetworkDB
	for i := 0; i < 2; i++ {
		n, err := New(&Config{NodeName: fmt.Sprintf("seed-%d", i), BindAddr: nodeIP(s, i), BindPort: testPort})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(n.Close)
		nodes = append(nodes, n)
	}
	if err := nodes[1].Join([]string{nodeIP(s, 0)}); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := n.JoinNetwork("net1"); err != nil {
			t.Fatal(err)
		}
	}
	ch, cancel := nodes[1].Watch("t", "net1", "k")
	defer cancel()
	waitFor(t, 10*time.Second, func() string {
		if len(nodes[0].ClusterPeers()) != 2 {
			return "nodes do not see each other"
		}
		return ""
	})
	waitFor(t, 10*time.Second, func() string {
		for i, n := range nodes {
			if len(n.Peers("net1")) != 2 {
				return fmt.Sprintf("node %d does not see both members of net1", i)
			}
		}
		return ""
	})
	if err := nodes[0].CreateEntry("t", "net1", "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() string {
		if v, err := nodes[1].GetEntry("t", "net1", "k"); err != nil || string(v) != "v" {
			return fmt.Sprintf("node 1 has %q, %v", v, err)
		}
		return ""
	})
	if got := collect(t, ch, 1); got[0] != (seedEv{"create", "t", "net1", "k", "v"}) {
		t.Fatalf("watch got %v", got)
	}
	names := map[string]bool{}
	for _, p := range nodes[0].ClusterPeers() {
		names[p.Name] = true
	}
	if !names["seed-0"] || !names["seed-1"] {
		t.Fatalf("cluster peers %v", names)
	}
	if _, err := New(&Config{BindAddr: nodeIP(s, 2)}); !types.IsBadRequest(err) {
		t.Fatalf("New without a name: %v", err)
	}
}

func TestConfigName(t *testing.T) {
	for _, tc := range []struct{ name, id, want string }{
		{"n", "", "n"}, {"", "i", "i"}, {"n", "i", "n"}, {"", "", ""},
	} {
		c := &Config{NodeName: tc.name, NodeID: tc.id}
		if got := c.name(); got != tc.want {
			t.Errorf("NodeName %q NodeID %q: name %q, want %q", tc.name, tc.id, got, tc.want)
		}
	}
	d := (&Config{NodeName: "n"}).withDefaults()
	if d.GossipInterval != DefaultConfig().GossipInterval || d.PacketBufferSize != DefaultConfig().PacketBufferSize {
		t.Fatalf("the seed's Config gets no defaults: %+v", d)
	}
	p := (&Config{NodeName: "n", GossipInterval: time.Second}).withDefaults()
	if p.PacketBufferSize != 0 {
		t.Fatal("a Config with tunables got defaults")
	}
}
