package networkdb

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

type evKey struct {
	typ   EventType
	value string
}

// TestWatch proves that a watcher gets exactly the changes, in order per
// key, and that filters and cancel work.
func TestWatch(t *testing.T) {
	c := newCluster(t, 3, nil)
	const nid, tname = "net1", "endpoints"
	c.joinAll(nid)
	if err := c.nodes[0].JoinNetwork("other"); err != nil {
		t.Fatal(err)
	}
	if err := c.nodes[2].JoinNetwork("other"); err != nil {
		t.Fatal(err)
	}
	c.waitNetPeers("other", 2)

	ch, cancel := c.nodes[2].WatchEvents(tname, nid)
	defer cancel()
	all, cancelAll := c.nodes[2].WatchEvents("", "")

	w := c.nodes[0]
	want := map[string][]evKey{}
	do := func(op string, key, val string) {
		t.Helper()
		var err error
		switch op {
		case "create":
			err = w.CreateEntry(tname, nid, key, []byte(val))
			want[key] = append(want[key], evKey{EventCreate, val})
		case "update":
			err = w.UpdateEntry(tname, nid, key, []byte(val))
			want[key] = append(want[key], evKey{EventUpdate, val})
		case "delete":
			err = w.DeleteEntry(tname, nid, key)
			ev := want[key][len(want[key])-1]
			want[key] = append(want[key], evKey{EventDelete, ev.value})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; k < 10; k++ {
		do("create", fmt.Sprintf("k%d", k), fmt.Sprintf("a%d", k))
	}
	// Changes elsewhere must not show up on the filtered watch.
	if err := w.CreateEntry("other-table", nid, "x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := w.CreateEntry(tname, "other", "y", []byte("y")); err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 10; k += 2 {
		do("update", fmt.Sprintf("k%d", k), fmt.Sprintf("b%d", k))
		do("update", fmt.Sprintf("k%d", k), fmt.Sprintf("c%d", k))
	}
	for k := 0; k < 10; k += 3 {
		do("delete", fmt.Sprintf("k%d", k), "")
	}
	do("create", "k0", "again")
	do("create", "sentinel", "end")

	got := map[string][]evKey{}
	deadline := time.After(10 * time.Second)
	for len(got["sentinel"]) == 0 {
		select {
		case ev := <-ch:
			if ev.Table != tname || ev.NetworkID != nid {
				t.Fatalf("filtered watch got %+v", ev)
			}
			got[ev.Key] = append(got[ev.Key], evKey{ev.Type, string(ev.Value)})
		case <-deadline:
			t.Fatalf("no sentinel; got %v", got)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events:\n got %v\nwant %v", got, want)
	}
	select {
	case ev := <-ch:
		t.Fatalf("unexpected extra event %+v", ev)
	default:
	}

	// The unfiltered watch saw the other table and network as well.
	seen := map[string]bool{}
	deadline = time.After(10 * time.Second)
	for !seen["other-table/x"] || !seen["other/y"] {
		select {
		case ev := <-all:
			if ev.Table == "other-table" {
				seen["other-table/"+ev.Key] = true
			}
			if ev.NetworkID == "other" {
				seen["other/"+ev.Key] = true
			}
		case <-deadline:
			t.Fatalf("unfiltered watch missed events: %v", seen)
		}
	}
	cancelAll()
	for range all { // drained and closed after cancel
	}
	cancel()
	if _, ok := <-ch; ok {
		// A buffered event may still be there; the channel must close next.
		for range ch {
		}
	}
}
