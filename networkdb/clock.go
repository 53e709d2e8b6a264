package networkdb

import "sync/atomic"

// lamportClock is a thread-safe Lamport clock.
type lamportClock struct{ t atomic.Uint64 }

// Time returns the current time.
func (c *lamportClock) Time() uint64 { return c.t.Load() }

// Next advances the clock and returns the new time.
func (c *lamportClock) Next() uint64 { return c.t.Add(1) }

// maxLTime bounds the Lamport times accepted from peers, so that a
// hostile or corrupt time cannot wrap the clock.
const maxLTime = 1 << 62

// Witness moves the clock to at least t, so that the next local event is
// ordered after everything seen. Times beyond maxLTime are ignored.
func (c *lamportClock) Witness(t uint64) {
	if t >= maxLTime {
		return
	}
	for {
		cur := c.t.Load()
		if t <= cur || c.t.CompareAndSwap(cur, t) {
			return
		}
	}
}

// version orders the states of one table key across the cluster: higher
// Lamport time wins, then the greater owner name, then a tombstone over a
// live entry. It is a total order, so every node resolves concurrent
// writes the same way.
type version struct {
	ltime   uint64
	owner   string
	deleted bool
}

// compare returns -1, 0 or 1 as a is older than, equal to, or newer than b.
func (a version) compare(b version) int {
	switch {
	case a.ltime != b.ltime:
		if a.ltime < b.ltime {
			return -1
		}
		return 1
	case a.owner != b.owner:
		if a.owner < b.owner {
			return -1
		}
		return 1
	case a.deleted != b.deleted:
		if b.deleted {
			return -1
		}
		return 1
	}
	return 0
}
