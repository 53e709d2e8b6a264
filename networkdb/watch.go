package networkdb

import "sync"

// EventType is the kind of change of a table entry.
type EventType int

const (
	// EventCreate is an entry becoming visible.
	EventCreate EventType = iota + 1
	// EventUpdate is a visible entry changing.
	EventUpdate
	// EventDelete is an entry going away (deleted, or its owner gone);
	// Value is its last value.
	EventDelete
)

func (t EventType) String() string {
	switch t {
	case EventCreate:
		return "create"
	case EventUpdate:
		return "update"
	case EventDelete:
		return "delete"
	}
	return "unknown"
}

// Event is a change of a table entry seen by this node.
type Event struct {
	Type      EventType
	Table     string
	NetworkID string
	Key       string
	Value     []byte
}

// watcher queues events without bound and feeds them to its channel in
// order, so that a slow reader never blocks the database nor loses events.
type watcher struct {
	table, nid, key string
	ch              chan Event
	sink            *seedSink // set for the seed's Watch: events go there, not to ch
	done            chan struct{}
	once            sync.Once

	mu     sync.Mutex
	queue  []Event
	signal chan struct{}
}

// WatchEvents returns a channel of the changes of table tname in network nid
// (an empty name matches every table or network) from now on, and a
// function that stops the watch and closes the channel. Events of one key
// arrive in the order they happened here. After Close the channel is
// closed.
func (n *NetworkDB) WatchEvents(tname, nid string) (<-chan Event, func()) {
	w := &watcher{
		table:  tname,
		nid:    nid,
		ch:     make(chan Event, 64),
		done:   make(chan struct{}),
		signal: make(chan struct{}, 1),
	}
	if !n.addWatcher(w) {
		close(w.ch)
		return w.ch, func() {}
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		w.pump()
	}()
	return w.ch, n.cancelFunc(w)
}

// addWatcher registers w; false when the node is closed.
func (n *NetworkDB) addWatcher(w *watcher) bool {
	n.Lock()
	defer n.Unlock()
	if n.closed {
		return false
	}
	n.watchers[w] = struct{}{}
	return true
}

// cancelFunc returns the function that stops the watch w.
func (n *NetworkDB) cancelFunc(w *watcher) func() {
	return func() {
		n.Lock()
		delete(n.watchers, w)
		n.Unlock()
		w.cancel()
	}
}

func (w *watcher) cancel() {
	w.once.Do(func() {
		if w.sink != nil {
			w.sink.close()
			return
		}
		close(w.done)
	})
}

func (w *watcher) push(ev Event) {
	if w.sink != nil {
		w.sink.write(ev)
		return
	}
	w.mu.Lock()
	w.queue = append(w.queue, ev)
	w.mu.Unlock()
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

func (w *watcher) pump() {
	defer close(w.ch)
	for {
		select {
		case <-w.done:
			return
		case <-w.signal:
		}
		w.mu.Lock()
		q := w.queue
		w.queue = nil
		w.mu.Unlock()
		for _, ev := range q {
			select {
			case w.ch <- ev:
			case <-w.done:
				return
			}
		}
	}
}

// notify hands an event to the matching watchers. Callers hold n.
func (n *NetworkDB) notify(ev Event) {
	for w := range n.watchers {
		if (w.table == "" || w.table == ev.Table) && (w.nid == "" || w.nid == ev.NetworkID) && (w.key == "" || w.key == ev.Key) {
			ev.Value = clone(ev.Value)
			w.push(ev)
		}
	}
}
