package networkdb

import (
	"bytes"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/types"
)

var (
	key1 = bytes.Repeat([]byte{1}, 16)
	key2 = bytes.Repeat([]byte{2}, 32)
)

// TestEncryption proves that a node without the cluster's key cannot join,
// and that keys rotate (add, make primary, remove old) with no loss of
// membership or data.
func TestEncryption(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) { cfg.Keys = [][]byte{key1} })
	const nid, tname = "net1", "endpoints"
	c.joinAll(nid)
	before := ownerEntries("before-", 5, "v")
	createAll(t, c.nodes[0], tname, nid, before)
	c.waitTable(c.running(), tname, nid, before, 10*time.Second)

	intruder := func(keys [][]byte) {
		t.Helper()
		c.tune = func(cfg *Config) { cfg.Keys = keys }
		n := c.start(3)
		defer func() { n.Close(); c.nodes[3] = nil }()
		if err := n.Join([]string{nodeIP(c.subnet, 0)}); err == nil {
			t.Fatalf("node with keys %v joined", keys)
		} else if !types.IsNoService(err) {
			t.Fatalf("join error %v is not NoService", err)
		}
		for i := range 3 {
			if got := len(c.nodes[i].ClusterPeers()); got != 3 {
				t.Fatalf("node %d sees %d peers after a failed join", i, got)
			}
		}
	}
	intruder([][]byte{key2})
	intruder(nil)

	// Rotate to key2 step by step on every node.
	for _, step := range []func(n *NetworkDB) error{
		func(n *NetworkDB) error { return n.SetKey(key2) },
		func(n *NetworkDB) error { return n.SetPrimaryKey(key2) },
		func(n *NetworkDB) error { return n.RemoveKey(key1) },
	} {
		for i := range 3 {
			if err := step(c.nodes[i]); err != nil {
				t.Fatal(err)
			}
		}
		c.waitMembers(3)
	}
	after := ownerEntries("after-", 5, "v")
	createAll(t, c.nodes[2], tname, nid, after)
	c.waitTable(c.running(), tname, nid, merge(before, after), 10*time.Second)
	c.waitMembers(3)

	intruder([][]byte{key1}) // the old key no longer works

	// A node with the new key joins and reads.
	c.tune = func(cfg *Config) { cfg.Keys = [][]byte{key2} }
	n := c.start(3)
	if err := n.Join([]string{nodeIP(c.subnet, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := n.JoinNetwork(nid); err != nil {
		t.Fatal(err)
	}
	c.waitTable(c.running(), tname, nid, merge(before, after), 10*time.Second)

	// Keyring misuse.
	if err := n.RemoveKey(key2); !types.IsForbidden(err) {
		t.Errorf("remove primary key: %v, want Forbidden", err)
	}
	if err := n.SetKey([]byte("short")); !types.IsBadRequest(err) {
		t.Errorf("bad key: %v, want BadRequest", err)
	}
	if err := n.SetPrimaryKey(key1); !types.IsNotFound(err) {
		t.Errorf("primary key not in ring: %v, want NotFound", err)
	}
}

// TestKeysNeedEncryption proves that key operations on a node started
// without keys are refused rather than cutting it off its cluster.
func TestKeysNeedEncryption(t *testing.T) {
	c := newCluster(t, 1, nil)
	if err := c.nodes[0].SetKey(key1); !types.IsForbidden(err) {
		t.Fatalf("SetKey without encryption: %v, want Forbidden", err)
	}
}
