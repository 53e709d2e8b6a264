package networkdb

import (
	"fmt"
	"testing"
	"time"
)

// TestConverge proves that creates, updates and deletes written on every
// node reach every node.
func TestConverge(t *testing.T) {
	for _, size := range []int{3, 10} {
		t.Run(fmt.Sprintf("%dnodes", size), func(t *testing.T) {
			c := newCluster(t, size, nil)
			const nid, tname = "net1", "endpoints"
			c.joinAll(nid)
			want := map[string]string{}
			for i, n := range c.nodes {
				for k := 0; k < 20; k++ {
					key := fmt.Sprintf("n%d-k%d", i, k)
					if err := n.CreateEntry(tname, nid, key, []byte("v1-"+key)); err != nil {
						t.Fatal(err)
					}
					want[key] = "v1-" + key
				}
			}
			c.waitTable(c.running(), tname, nid, want, 10*time.Second)

			// Every node updates some of its own keys and some of another
			// node's, and deletes others.
			for i, n := range c.nodes {
				other := (i + 1) % size
				for k := 0; k < 5; k++ {
					key := fmt.Sprintf("n%d-k%d", i, k)
					if err := n.UpdateEntry(tname, nid, key, []byte("v2-"+key)); err != nil {
						t.Fatal(err)
					}
					want[key] = "v2-" + key
				}
				key := fmt.Sprintf("n%d-k19", other)
				if err := n.UpdateEntry(tname, nid, key, []byte("by-"+n.self)); err != nil {
					t.Fatal(err)
				}
				want[key] = "by-" + n.self
				for k := 10; k < 15; k++ {
					key := fmt.Sprintf("n%d-k%d", i, k)
					if err := n.DeleteEntry(tname, nid, key); err != nil {
						t.Fatal(err)
					}
					delete(want, key)
				}
			}
			c.waitTable(c.running(), tname, nid, want, 10*time.Second)

			// The entry updated by another node is now owned by it.
			e := c.nodes[0].GetTableByNetwork(tname, nid)["n1-k19"]
			if e == nil || e.Owner != c.nodes[0].self {
				t.Fatalf("n1-k19 = %+v, want owner %s", e, c.nodes[0].self)
			}
		})
	}
}
