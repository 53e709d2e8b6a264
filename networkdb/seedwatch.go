package networkdb

import (
	"github.com/docker/go-events"
)

// event is a change of a table entry, as the seed's Watch delivers it.
type event struct {
	// Table is the table of the entry.
	Table string
	// NetworkID is the network of the entry.
	NetworkID string
	// Key is the entry's key.
	Key string
	// Value is the entry's value (for a delete, its last value).
	Value []byte
}

// CreateEvent is an entry becoming visible, delivered by Watch.
type CreateEvent event

// UpdateEvent is a visible entry changing, delivered by Watch.
type UpdateEvent event

// DeleteEvent is an entry going away (deleted, or its owner gone), delivered
// by Watch; Value is its last value.
type DeleteEvent event

// seedEvent converts ev to the seed's event types.
func seedEvent(ev Event) events.Event {
	e := event{Table: ev.Table, NetworkID: ev.NetworkID, Key: ev.Key, Value: ev.Value}
	switch ev.Type {
	case EventCreate:
		return CreateEvent(e)
	case EventUpdate:
		return UpdateEvent(e)
	default:
		return DeleteEvent(e)
	}
}

// seedSink is where the seed's Watch delivers: an unbounded, ordered queue
// (events.Queue) feeding the watch's channel (events.Channel).
type seedSink struct {
	ch    *events.Channel
	queue *events.Queue
}

// write queues ev; it never blocks the node.
func (s *seedSink) write(ev Event) { _ = s.queue.Write(seedEvent(ev)) }

// close drops what is still queued and closes the channel once nothing can
// write to it any more.
func (s *seedSink) close() {
	_ = s.ch.Close()    // pending writes give up
	_ = s.queue.Close() // returns when the queue's writer has stopped
	close(s.ch.C)
}

// Watch returns a channel of the changes (CreateEvent, UpdateEvent,
// DeleteEvent) of the entries of table tname in network nid with key key
// from now on — an empty argument matches every table, network or key —
// and the function that stops the watch. Events of one key arrive in the
// order they happened here; a slow reader loses none and never blocks the
// node. The channel is closed when the watch is stopped or the node closed.
func (n *NetworkDB) Watch(tname, nid, key string) (chan events.Event, func()) {
	ch := events.NewChannel(0)
	w := &watcher{table: tname, nid: nid, key: key,
		sink: &seedSink{ch: ch, queue: events.NewQueue(ch)}}
	if !n.addWatcher(w) {
		w.cancel()
		return ch.C, func() {}
	}
	return ch.C, n.cancelFunc(w)
}
