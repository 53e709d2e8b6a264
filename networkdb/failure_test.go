package networkdb

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// failBound is how long entries of a failed node may stay visible with
// the test's failure detection (probe 200 ms, suspicion x2, no grace).
const failBound = 15 * time.Second

func ownerEntries(prefix string, n int, value string) map[string]string {
	m := map[string]string{}
	for k := 0; k < n; k++ {
		m[fmt.Sprintf("%s%d", prefix, k)] = value
	}
	return m
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func createAll(t *testing.T, n *NetworkDB, tname, nid string, m map[string]string) {
	t.Helper()
	for k, v := range m {
		if err := n.CreateEntry(tname, nid, k, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
}

func subset(c *cluster, idx ...int) map[int]*NetworkDB {
	out := map[int]*NetworkDB{}
	for _, i := range idx {
		out[i] = c.nodes[i]
	}
	return out
}

// TestNodeFailureAndReturn cuts a node off: once memberlist declares it
// dead its entries vanish from the others; when it comes back, its live
// entries (with the changes it made meanwhile) return.
func TestNodeFailureAndReturn(t *testing.T) {
	c := newCluster(t, 4, nil)
	const nid, tname = "net1", "endpoints"
	c.joinAll(nid)
	mine := ownerEntries("n3-", 10, "v")
	theirs := ownerEntries("n0-", 5, "v")
	createAll(t, c.nodes[3], tname, nid, mine)
	createAll(t, c.nodes[0], tname, nid, theirs)
	c.waitTable(c.running(), tname, nid, merge(mine, theirs), 10*time.Second)

	ch, cancel := c.nodes[1].WatchEvents(tname, nid)
	defer cancel()

	c.partition([]int{3}, []int{0, 1, 2}, true)
	rest := subset(c, 0, 1, 2)
	c.waitTable(rest, tname, nid, theirs, failBound)
	c.waitFor(failBound, func() string {
		for i, n := range rest {
			if got := len(n.Peers(nid)); got != 3 {
				return fmt.Sprintf("node %d sees %d network peers", i, got)
			}
		}
		return ""
	})
	// Node 3 still holds its own entries, and keeps working.
	if got := tableOf(c.nodes[3], tname, nid); len(got) < len(mine) {
		t.Fatalf("isolated node lost its entries: %v", got)
	}
	if err := c.nodes[3].UpdateEntry(tname, nid, "n3-0", []byte("changed")); err != nil {
		t.Fatal(err)
	}
	if err := c.nodes[3].DeleteEntry(tname, nid, "n3-1"); err != nil {
		t.Fatal(err)
	}
	mine["n3-0"] = "changed"
	delete(mine, "n3-1")
	if err := c.nodes[0].CreateEntry(tname, nid, "n0-late", []byte("v")); err != nil {
		t.Fatal(err)
	}
	theirs["n0-late"] = "v"

	c.partition([]int{3}, []int{0, 1, 2}, false)
	c.waitTable(c.running(), tname, nid, merge(mine, theirs), failBound)

	// The watcher saw node 3's entries go and come back, never n3-1's
	// return. Events are delivered after the table changes: read them
	// until all are in (or the bound passes), then what is queued.
	deleted, created := map[string]int{}, map[string]int{}
	complete := func() bool {
		for k := range mine {
			if deleted[k] == 0 || created[k] == 0 {
				return false
			}
		}
		return true
	}
	deadline := time.After(failBound)
	for waiting := true; waiting; {
		var ev Event
		if complete() {
			select {
			case ev = <-ch:
			default:
				waiting = false
				continue
			}
		} else {
			select {
			case ev = <-ch:
			case <-deadline:
				waiting = false
				continue
			}
		}
		switch ev.Type {
		case EventDelete:
			deleted[ev.Key]++
		case EventCreate:
			created[ev.Key]++
		}
	}
	for k := range mine {
		if deleted[k] == 0 || created[k] == 0 {
			t.Errorf("%s: %d deletes, %d creates; want both", k, deleted[k], created[k])
		}
	}
	if created["n3-1"] != 0 {
		t.Errorf("deleted entry n3-1 was recreated")
	}
}

// TestRestartDoesNotResurrect restarts a node under the same name with
// none of its old entries: the old entries never come back, whether or
// not the cluster noticed the node's death first.
func TestRestartDoesNotResurrect(t *testing.T) {
	for _, tc := range []struct {
		name       string
		waitDeath  bool
		rejoin     bool
		restartNew map[string]string
	}{
		{"after-death", true, true, ownerEntries("new-", 3, "v")},
		{"quick", false, true, ownerEntries("new-", 3, "v")},
		// The restarted node does not join the network again: its stale
		// membership record is refuted, which deletes its entries.
		{"quick-no-rejoin", false, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, 3, nil)
			const nid, tname = "net1", "endpoints"
			c.joinAll(nid)
			old := ownerEntries("old-", 10, "v")
			theirs := ownerEntries("n0-", 3, "v")
			createAll(t, c.nodes[2], tname, nid, old)
			createAll(t, c.nodes[0], tname, nid, theirs)
			c.waitTable(c.running(), tname, nid, merge(old, theirs), 10*time.Second)

			c.nodes[2].shutdown(false)
			if tc.waitDeath {
				c.waitTable(subset(c, 0, 1), tname, nid, theirs, failBound)
			}
			ch, cancel := c.nodes[0].WatchEvents(tname, nid)
			defer cancel()

			n := c.start(2)
			if err := n.Join([]string{nodeIP(c.subnet, 0)}); err != nil {
				t.Fatal(err)
			}
			if tc.rejoin {
				if err := n.JoinNetwork(nid); err != nil {
					t.Fatal(err)
				}
				createAll(t, n, tname, nid, tc.restartNew)
				c.waitTable(c.running(), tname, nid, merge(theirs, tc.restartNew), failBound)
			} else {
				c.waitTable(subset(c, 0, 1), tname, nid, theirs, failBound)
				c.waitNetPeers(nid, 2)
			}
			for drained := false; !drained; {
				select {
				case ev := <-ch:
					if ev.Type != EventDelete && strings.HasPrefix(ev.Key, "old-") {
						t.Fatalf("old entry came back: %+v", ev)
					}
				default:
					drained = true
				}
			}
		})
	}
}

// TestGracefulLeave proves that a node that closes has its entries
// deleted everywhere at once (without waiting for failure detection).
func TestGracefulLeave(t *testing.T) {
	c := newCluster(t, 3, func(cfg *Config) { cfg.NodeFailureGrace = time.Hour })
	const nid, tname = "net1", "endpoints"
	c.joinAll(nid)
	gone := ownerEntries("n2-", 10, "v")
	stay := ownerEntries("n0-", 3, "v")
	createAll(t, c.nodes[2], tname, nid, gone)
	createAll(t, c.nodes[0], tname, nid, stay)
	c.waitTable(c.running(), tname, nid, merge(gone, stay), 10*time.Second)
	c.nodes[2].Close()
	// With an hour of failure grace, only the leave can remove them.
	c.waitTable(c.running(), tname, nid, stay, 10*time.Second)
	c.waitMembers(2)
}
