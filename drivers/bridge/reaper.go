package bridge

import (
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// reapDelay is how long a left host end waits before the reaper deletes it.
// It is longer than the controller's own delay before it deletes a left
// container end (1 s), so that the pair is usually gone by then.
var reapDelay = 2 * time.Second

// reapEntry is a left host end, known by its name: a name is only ever
// re-created by a join of the same endpoint, which takes the entry back
// first (forget), so the reaper never deletes a newer link of that name.
type reapEntry struct {
	name string
	nid  string
	due  time.Time
}

// reaper deletes left veth host ends that nothing else deleted.
type reaper struct {
	nlh *netlink.Handle

	mu       sync.Mutex
	pending  map[string]reapEntry
	inflight map[string]chan struct{} // being deleted; closed when done
	timer    *time.Timer
	stopped  bool
}

func newReaper(nlh *netlink.Handle) *reaper {
	return &reaper{nlh: nlh, pending: map[string]reapEntry{}, inflight: map[string]chan struct{}{}}
}

// add queues the host end name of network nid for deletion after reapDelay.
func (r *reaper) add(name, nid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	r.pending[name] = reapEntry{name: name, nid: nid, due: time.Now().Add(reapDelay)}
	if r.timer == nil {
		r.timer = time.AfterFunc(reapDelay, r.run)
	}
}

// forget takes name back before a join re-creates it: a pending entry is
// dropped, a deletion under way is waited for. It reports whether the old
// link may still exist (it was pending).
func (r *reaper) forget(name string) bool {
	r.mu.Lock()
	_, pending := r.pending[name]
	delete(r.pending, name)
	done := r.inflight[name]
	r.mu.Unlock()
	if done != nil {
		<-done
	}
	return pending
}

// take removes the entries that match from the queue and marks them in flight.
func (r *reaper) take(match func(reapEntry) bool) []reapEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []reapEntry
	for name, e := range r.pending {
		if match(e) {
			out = append(out, e)
			delete(r.pending, name)
			r.inflight[name] = make(chan struct{})
		}
	}
	return out
}

func (r *reaper) deleteAll(list []reapEntry) {
	for _, e := range list {
		r.delete(e)
		r.mu.Lock()
		close(r.inflight[e.name])
		delete(r.inflight, e.name)
		r.mu.Unlock()
	}
}

// run deletes the entries that are due and re-arms for the others.
func (r *reaper) run() {
	now := time.Now()
	due := r.take(func(e reapEntry) bool { return !e.due.After(now) })
	r.mu.Lock()
	r.timer = nil
	if !r.stopped {
		var next time.Time
		for _, e := range r.pending {
			if next.IsZero() || e.due.Before(next) {
				next = e.due
			}
		}
		if !next.IsZero() {
			r.timer = time.AfterFunc(time.Until(next), r.run)
		}
	}
	r.mu.Unlock()
	r.deleteAll(due)
}

// flush deletes now the pending entries that match (all when match is nil)
// and waits for deletions under way.
func (r *reaper) flush(match func(reapEntry) bool) {
	if match == nil {
		match = func(reapEntry) bool { return true }
	}
	r.deleteAll(r.take(match))
	r.mu.Lock()
	var wait []chan struct{}
	for _, c := range r.inflight {
		wait = append(wait, c)
	}
	r.mu.Unlock()
	for _, c := range wait {
		<-c
	}
}

// stop ends the timer; later adds are ignored.
func (r *reaper) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
}

func (r *reaper) delete(e reapEntry) {
	l, err := r.nlh.LinkByName(e.name)
	if err != nil {
		return // gone with its sandbox
	}
	if err := r.nlh.LinkDel(l); err != nil && !isGone(err) {
		logrus.WithFields(logrus.Fields{"driver": networkType, "veth": e.name}).WithError(err).Warn("reap left veth")
	}
}
