package networkdb

import (
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/types"
)

// TestNetworkJoinLeave proves per-network membership: only members hold a
// network's entries; a late joiner syncs them; leaving deletes the
// leaver's entries everywhere and drops the network locally.
func TestNetworkJoinLeave(t *testing.T) {
	c := newCluster(t, 4, nil)
	const tname = "endpoints"
	for _, i := range []int{0, 1, 2} {
		if err := c.nodes[i].JoinNetwork("red"); err != nil {
			t.Fatal(err)
		}
	}
	c.waitFor(10*time.Second, func() string {
		for i := range 4 {
			if got := len(c.nodes[i].Peers("red")); got != 3 {
				return "peers of red not yet 3"
			}
		}
		return ""
	})
	n0 := ownerEntries("n0-", 50, "v")
	n1 := ownerEntries("n1-", 5, "v")
	createAll(t, c.nodes[0], tname, "red", n0)
	createAll(t, c.nodes[1], tname, "red", n1)
	c.waitTable(subset(c, 0, 1, 2), tname, "red", merge(n0, n1), 10*time.Second)

	// Node 3 is not a member: it holds nothing and may not write.
	if got := c.nodes[3].GetTableByNetwork(tname, "red"); len(got) != 0 {
		t.Fatalf("non-member holds %d entries", len(got))
	}
	if err := c.nodes[3].CreateEntry(tname, "red", "x", nil); !types.IsNotFound(err) {
		t.Fatalf("create on unjoined network: %v, want NotFound", err)
	}
	if _, err := c.nodes[3].GetEntry(tname, "red", "n0-1"); !types.IsNotFound(err) {
		t.Fatalf("get on unjoined network: %v, want NotFound", err)
	}

	// A late joiner gets everything by sync.
	if err := c.nodes[3].JoinNetwork("red"); err != nil {
		t.Fatal(err)
	}
	c.waitTable(c.running(), tname, "red", merge(n0, n1), 10*time.Second)
	c.waitNetPeers("red", 4)

	// Leaving deletes the leaver's entries everywhere.
	ch, cancel := c.nodes[1].WatchEvents(tname, "red")
	defer cancel()
	if err := c.nodes[1].LeaveNetwork("red"); err != nil {
		t.Fatal(err)
	}
	c.waitTable(subset(c, 0, 2, 3), tname, "red", n0, 10*time.Second)
	c.waitNetPeers("red", 3)
	if got := c.nodes[1].GetTableByNetwork(tname, "red"); len(got) != 0 {
		t.Fatalf("leaver still holds %d entries", len(got))
	}
	if err := c.nodes[1].LeaveNetwork("red"); !types.IsNotFound(err) {
		t.Fatalf("second leave: %v, want NotFound", err)
	}
	// The leaver's watcher saw every entry go.
	deletes := 0
	for deletes < len(n0)+len(n1) {
		select {
		case ev := <-ch:
			if ev.Type == EventDelete {
				deletes++
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("leaver's watcher saw %d deletes, want %d", deletes, len(n0)+len(n1))
		}
	}

	// Entries written after the leave do not reach the leaver.
	if err := c.nodes[0].CreateEntry(tname, "red", "after", []byte("v")); err != nil {
		t.Fatal(err)
	}
	c.waitTable(subset(c, 0, 2, 3), tname, "red", merge(n0, map[string]string{"after": "v"}), 10*time.Second)
	if got := c.nodes[1].GetTableByNetwork(tname, "red"); len(got) != 0 {
		t.Fatalf("leaver got %d entries after leaving", len(got))
	}

	// Rejoining brings the network's entries back.
	if err := c.nodes[1].JoinNetwork("red"); err != nil {
		t.Fatal(err)
	}
	c.waitTable(c.running(), tname, "red", merge(n0, map[string]string{"after": "v"}), 10*time.Second)
}

// TestLargeTableSyncsInChunks has a joiner sync a table much larger than
// one sync chunk, over streams only (the owner's UDP push is dropped).
func TestLargeTableSyncsInChunks(t *testing.T) {
	c := newCluster(t, 2, func(cfg *Config) { cfg.SyncChunkSize = 8 << 10 })
	const nid, tname = "big", "endpoints"
	if err := c.nodes[0].JoinNetwork(nid); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	val := string(make([]byte, 100))
	for k := 0; k < 3000; k++ {
		want[string(rune('a'+k%26))+"-"+itoa(k)] = val
	}
	createAll(t, c.nodes[0], tname, nid, want) // ~400 KB: ~50 chunks
	c.gates[0].setNoUDP(nodeIP(c.subnet, 1), true)
	before := c.nodes[0].Stats().SyncDataMsgs
	if err := c.nodes[1].JoinNetwork(nid); err != nil {
		t.Fatal(err)
	}
	c.waitTable(c.running(), tname, nid, want, 20*time.Second)
	if sent := c.nodes[0].Stats().SyncDataMsgs - before; sent < 20 {
		t.Fatalf("sync used %d chunks, want many", sent)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
