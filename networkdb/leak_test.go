package networkdb

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// TestNoGoroutineLeak proves that Close stops every goroutine, watchers
// and memberlist included.
func TestNoGoroutineLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	c := newCluster(t, 3, nil)
	const nid, tname = "net1", "endpoints"
	c.joinAll(nid)
	for i, n := range c.nodes {
		ch, _ := n.WatchEvents(tname, "") // never read, never cancelled
		_ = ch
		_, _ = n.Watch(tname, "", "") // the seed's, never read, never cancelled
		createAll(t, n, tname, nid, ownerEntries(fmt.Sprintf("n%d-", i), 10, "v"))
	}
	c.waitFor(10*time.Second, func() string {
		for i, n := range c.nodes {
			if got := n.visibleCount(tname, nid); got != 30 {
				return fmt.Sprintf("node %d has %d entries", i, got)
			}
		}
		return ""
	})
	c.nodes[2].shutdown(false) // a crash must not leak either
	c.closeAll()
	waitFor(t, 10*time.Second, func() string {
		if n := runtime.NumGoroutine(); n > base {
			return fmt.Sprintf("%d goroutines, baseline %d", n, base)
		}
		return ""
	})
}
