package networkdb

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/types"
)

// TestPartitionHeal splits a 5-node cluster in two: both sides keep
// working on their own; after the heal every node converges to the same
// table, and nothing deleted before or during the partition comes back.
func TestPartitionHeal(t *testing.T) {
	c := newCluster(t, 5, nil)
	const nid, tname = "net1", "endpoints"
	c.joinAll(nid)
	a, b := []int{0, 1}, []int{2, 3, 4}

	want := map[string]string{}
	for i, n := range c.nodes {
		m := ownerEntries(fmt.Sprintf("n%d-", i), 6, "v")
		createAll(t, n, tname, nid, m)
		for k, v := range m {
			want[k] = v
		}
	}
	if err := c.nodes[0].CreateEntry(tname, nid, "shared", []byte("orig")); err != nil {
		t.Fatal(err)
	}
	c.waitTable(c.running(), tname, nid, merge(want, map[string]string{"shared": "orig"}), 10*time.Second)
	// Deleted before the partition: must stay deleted.
	for i, n := range c.nodes {
		key := fmt.Sprintf("n%d-0", i)
		if err := n.DeleteEntry(tname, nid, key); err != nil {
			t.Fatal(err)
		}
		delete(want, key)
	}
	c.waitTable(c.running(), tname, nid, merge(want, map[string]string{"shared": "orig"}), 10*time.Second)

	c.partition(a, b, true)
	// Concurrent writes of one key on both sides.
	write := func(n *NetworkDB, v string) {
		err := n.UpdateEntry(tname, nid, "shared", []byte(v))
		var nf types.NotFoundError
		if errors.As(err, &nf) { // the owner was already declared dead here
			err = n.CreateEntry(tname, nid, "shared", []byte(v))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	write(c.nodes[1], "from-a")
	write(c.nodes[3], "from-b")

	// Each side sees the other side's entries go, and works on its own.
	sideA, sideB := subset(c, a...), subset(c, b...)
	c.waitFor(failBound, func() string {
		for i, n := range sideA {
			if got := len(n.Peers(nid)); got != len(a) {
				return fmt.Sprintf("node %d sees %d network peers", i, got)
			}
		}
		for i, n := range sideB {
			if got := len(n.Peers(nid)); got != len(b) {
				return fmt.Sprintf("node %d sees %d network peers", i, got)
			}
		}
		return ""
	})
	onSide := func(side []int) map[string]string {
		m := map[string]string{}
		for _, i := range side {
			for k := 1; k < 6; k++ {
				key := fmt.Sprintf("n%d-%d", i, k)
				if v, ok := want[key]; ok {
					m[key] = v
				}
			}
		}
		return m
	}
	for _, side := range [][]int{a, b} {
		i := side[0]
		key := fmt.Sprintf("during-%d", i)
		if err := c.nodes[i].CreateEntry(tname, nid, key, []byte("v")); err != nil {
			t.Fatal(err)
		}
		want[key] = "v"
		gone := fmt.Sprintf("n%d-1", i)
		if err := c.nodes[i].DeleteEntry(tname, nid, gone); err != nil {
			t.Fatal(err)
		}
		delete(want, gone)
	}
	wantA := merge(onSide(a), map[string]string{"during-0": "v", "shared": "from-a"})
	wantB := merge(onSide(b), map[string]string{"during-2": "v", "shared": "from-b"})
	c.waitTable(sideA, tname, nid, wantA, failBound)
	c.waitTable(sideB, tname, nid, wantB, failBound)

	c.partition(a, b, false)
	c.waitMembers(5)
	// Everyone agrees on the concurrent key; which side wins is decided
	// by Lamport time and owner name, the same way everywhere.
	c.waitFor(failBound, func() string {
		ref := tableOf(c.nodes[0], tname, nid)
		v := ref["shared"]
		if v != "from-a" && v != "from-b" {
			return fmt.Sprintf("shared = %q", v)
		}
		if err := mapsEqual(ref, merge(want, map[string]string{"shared": v})); err != "" {
			return "node 0: " + err
		}
		for i, n := range c.nodes {
			if got := tableOf(n, tname, nid); !equalMaps(got, ref) {
				return fmt.Sprintf("node %d differs from node 0: %s", i, diffMaps(got, ref))
			}
		}
		return ""
	})
}

func mapsEqual(got, want map[string]string) string {
	if equalMaps(got, want) {
		return ""
	}
	return diffMaps(got, want)
}
