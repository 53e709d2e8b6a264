package networkdb

import (
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/sirupsen/logrus"
)

// newBare returns a NetworkDB without memberlist, for the merge logic.
func newBare(name string) *NetworkDB {
	cfg := DefaultConfig()
	cfg.NodeID = name
	n := &NetworkDB{
		cfg:      *cfg,
		self:     name,
		networks: map[string]*netTables{},
		members:  map[string]map[string]*membership{},
		nodes:    map[string]*peer{},
		watchers: map[*watcher]struct{}{},
		log:      logrus.WithField("node", name),
	}
	n.out = newOutbox(n, 1300, 0)
	n.bcast = &memberlist.TransmitLimitedQueue{NumNodes: func() int { return 1 }, RetransmitMult: 1}
	return n
}

type delivery struct {
	sender string
	w      wireEntry
}

// TestConcurrentWritesResolveAlike delivers the same concurrent writes of
// one key in every order to different nodes: all end in the same state.
func TestConcurrentWritesResolveAlike(t *testing.T) {
	ds := []delivery{
		{"node-a", wireEntry{Key: "k", LTime: 5, Value: []byte("a5")}},
		{"node-b", wireEntry{Key: "k", LTime: 5, Value: []byte("b5")}},
		{"node-c", wireEntry{Key: "k", LTime: 4, Value: []byte("c4")}},
		{"node-a", wireEntry{Key: "k", LTime: 5, Deleted: true, TTL: time.Minute}},
	}
	perms := permutations(len(ds))
	var ref string
	for _, p := range perms {
		n := newBare("observer")
		n.networks["net"] = newNetTables()
		for _, i := range p {
			d := ds[i]
			n.applyRemote("net", n.networks["net"], "t", d.sender, &d.w, time.Now())
		}
		e := n.networks["net"].get("t", "k")
		got := fmt.Sprintf("%s/%d/%v/%s", e.owner, e.ltime, e.deleted, e.value)
		if ref == "" {
			ref = got
		} else if got != ref {
			t.Fatalf("order %v gave %s, another gave %s", p, got, ref)
		}
	}
	if ref != "node-b/5/false/b5" {
		t.Fatalf("winner %s, want node-b's write (same time, greater owner)", ref)
	}
}

func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// TestRefuteEarlierLife: a node that receives an entry claiming it as
// owner, newer than anything it holds, deletes it at a newer time; an
// entry it does hold is restated at a newer time.
func TestRefuteEarlierLife(t *testing.T) {
	n := newBare("me")
	tb := newNetTables()
	n.networks["net"] = tb
	n.localWrite("net", tb, "t", "kept", []byte("now"), false)

	now := time.Now()
	n.applyRemote("net", tb, "t", "peer", &wireEntry{Key: "gone", Owner: "me", LTime: 100, Value: []byte("old")}, now)
	e := tb.get("t", "gone")
	if e == nil || !e.deleted || e.owner != "me" || e.ltime <= 100 {
		t.Fatalf("stale own entry not refuted: %+v", e)
	}
	n.applyRemote("net", tb, "t", "peer", &wireEntry{Key: "kept", Owner: "me", LTime: 200, Value: []byte("older life")}, now)
	e = tb.get("t", "kept")
	if e == nil || e.deleted || string(e.value) != "now" || e.ltime <= 200 {
		t.Fatalf("own entry not restated: %+v", e)
	}
	// An own tombstone for a key not held is simply kept.
	n.applyRemote("net", tb, "t", "peer", &wireEntry{Key: "dead", Owner: "me", LTime: 300, Deleted: true, TTL: time.Second}, now)
	if e := tb.get("t", "dead"); e == nil || !e.deleted || e.ltime != 300 {
		t.Fatalf("own tombstone: %+v", e)
	}
	if tb.visible["t"] != 1 {
		t.Fatalf("visible count %d, want 1", tb.visible["t"])
	}
}

// TestFailedOwnerHidesAndReturns: entries of a failed owner are hidden,
// and only the owner itself brings them back.
func TestFailedOwnerHidesAndReturns(t *testing.T) {
	n := newBare("me")
	tb := newNetTables()
	n.networks["net"] = tb
	now := time.Now()
	n.applyRemote("net", tb, "t", "x", &wireEntry{Key: "k", LTime: 3, Value: []byte("v")}, now)
	n.nodes["x"] = &peer{status: nodeFailed}
	n.hideNode("x")
	if tb.get("t", "k").visible() {
		t.Fatal("entry of failed owner still visible")
	}
	n.nodes["x"].status = nodeAlive
	n.applyRemote("net", tb, "t", "third", &wireEntry{Key: "k", Owner: "x", LTime: 3, Value: []byte("v")}, now)
	if tb.get("t", "k").visible() {
		t.Fatal("a third party revived the entry")
	}
	n.applyRemote("net", tb, "t", "x", &wireEntry{Key: "k", LTime: 3, Value: []byte("v")}, now)
	if !tb.get("t", "k").visible() {
		t.Fatal("owner did not revive its entry")
	}
	// A node that left: its entries are deleted, and stay so.
	n.nodes["x"] = &peer{status: nodeAlive}
	n.nodeLeft("x")
	n.applyRemote("net", tb, "t", "third", &wireEntry{Key: "k", Owner: "x", LTime: 3, Value: []byte("v")}, now)
	if e := tb.get("t", "k"); e.visible() || !e.deleted {
		t.Fatalf("entry of a left node: %+v", e)
	}
}

// TestReapCollects: tombstones and hidden entries go after their time.
func TestReapCollects(t *testing.T) {
	n := newBare("me")
	tb := newNetTables()
	n.networks["net"] = tb
	now := time.Now()
	n.applyRemote("net", tb, "t", "x", &wireEntry{Key: "a", LTime: 3, Deleted: true, TTL: time.Second}, now)
	n.applyRemote("net", tb, "t", "x", &wireEntry{Key: "b", LTime: 3, Value: []byte("v")}, now)
	n.reap(now.Add(2 * time.Second))
	if tb.get("t", "a") != nil || tb.get("t", "b") == nil || tb.count != 1 {
		t.Fatalf("reap: a=%v b=%v count=%d", tb.get("t", "a"), tb.get("t", "b"), tb.count)
	}
}
