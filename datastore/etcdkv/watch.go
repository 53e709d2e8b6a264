package etcdkv

import (
	"context"
	"sort"
	"time"

	"github.com/docker/libkv/store"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Back-off of the state re-read after a watch broke.
const (
	retryMin = 50 * time.Millisecond
	retryMax = 2 * time.Second
)

// Watch sends key's current value, if any, then each new value, until
// stopCh closes or the Store closes. See the package doc for resumption.
func (s *Store) Watch(key string, stopCh <-chan struct{}) (<-chan *store.KVPair, error) {
	k, err := keyOf("watch", key)
	if err != nil {
		return nil, err
	}
	cur, rev, err := s.readKey(key, k)
	if err != nil {
		return nil, err
	}
	out := make(chan *store.KVPair)
	go s.watchKey(key, k, cur, rev, stopCh, out)
	return out, nil
}

// readKey reads k and the revision of the read; cur is nil when absent.
func (s *Store) readKey(key, k string) (*store.KVPair, int64, error) {
	ctx, cancel := s.call()
	defer cancel()
	resp, err := s.cli.Get(ctx, k)
	if err != nil {
		return nil, 0, s.fail("watch", key, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, resp.Header.Revision, nil
	}
	return pair(key, resp.Kvs[0]), resp.Header.Revision, nil
}

func (s *Store) watchKey(key, k string, cur *store.KVPair, rev int64, stopCh <-chan struct{}, out chan<- *store.KVPair) {
	defer close(out)
	var last uint64 // ModRevision of the last value sent
	send := func(p *store.KVPair) bool {
		if p == nil || p.LastIndex <= last {
			return true
		}
		select {
		case out <- p:
			last = p.LastIndex
			return true
		case <-stopCh:
		case <-s.ctx.Done():
		}
		return false
	}
	if !send(cur) {
		return
	}
	ctx, cancel := stopContext(s.ctx, stopCh)
	defer cancel()
	for {
		broke := s.follow(ctx, k, rev, false, func(evs []*clientv3.Event) bool {
			for _, ev := range evs {
				if ev.Type == clientv3.EventTypePut && !send(pair(key, ev.Kv)) {
					return false
				}
			}
			return true
		}, &rev)
		if !broke {
			return
		}
		// Compacted or cancelled by etcd: read the current state again.
		p, r, ok := reread(s, ctx, func() (*store.KVPair, int64, error) { return s.readKey(key, k) })
		if !ok || !send(p) {
			return
		}
		rev = r
	}
}

// WatchTree sends the pairs below directory now and after every change
// below it, until stopCh closes or the Store closes.
func (s *Store) WatchTree(directory string, stopCh <-chan struct{}) (<-chan []*store.KVPair, error) {
	list, rev, err := s.list("watch tree", directory)
	if err != nil {
		return nil, err
	}
	out := make(chan []*store.KVPair)
	go s.watchTree(directory, list, rev, stopCh, out)
	return out, nil
}

func (s *Store) watchTree(directory string, list []*store.KVPair, rev int64, stopCh <-chan struct{}, out chan<- []*store.KVPair) {
	defer close(out)
	state := map[string]*store.KVPair{}
	var sent []*store.KVPair
	first := true
	send := func() bool {
		cur := sorted(state)
		if !first && samePairs(cur, sent) {
			return true
		}
		select {
		case out <- cur:
			sent, first = cur, false
			return true
		case <-stopCh:
		case <-s.ctx.Done():
		}
		return false
	}
	reset := func(l []*store.KVPair) {
		clear(state)
		for _, p := range l {
			state[p.Key] = p
		}
	}
	reset(list)
	if !send() {
		return
	}
	ctx, cancel := stopContext(s.ctx, stopCh)
	defer cancel()
	prefix := dirPrefix(canon(directory))
	for {
		broke := s.follow(ctx, prefix, rev, true, func(evs []*clientv3.Event) bool {
			for _, ev := range evs {
				key := styled(directory, string(ev.Kv.Key))
				if ev.Type == clientv3.EventTypeDelete {
					delete(state, key)
				} else {
					state[key] = pair(key, ev.Kv)
				}
			}
			return send()
		}, &rev)
		if !broke {
			return
		}
		l, r, ok := reread(s, ctx, func() ([]*store.KVPair, int64, error) { return s.list("watch tree", directory) })
		if !ok {
			return
		}
		reset(l)
		if !send() {
			return
		}
		rev = r
	}
}

// follow watches k (a prefix if prefix) from revision rev+1 and hands each
// batch of events to apply, recording in *rev the revision seen. It
// returns false when ctx ends or apply does, true when etcd ended the
// watch (compaction, cancellation), after which the caller re-reads.
func (s *Store) follow(ctx context.Context, k string, rev int64, prefix bool, apply func([]*clientv3.Event) bool, seen *int64) bool {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := []clientv3.OpOption{clientv3.WithRev(rev + 1)}
	if prefix {
		opts = append(opts, clientv3.WithPrefix())
	}
	for resp := range s.cli.Watch(wctx, k, opts...) {
		if resp.CompactRevision != 0 {
			s.resyncs.Add(1)
			return true
		}
		if err := resp.Err(); err != nil || resp.Canceled {
			return ctx.Err() == nil
		}
		if len(resp.Events) > 0 {
			if !apply(resp.Events) {
				return false
			}
			*seen = resp.Events[len(resp.Events)-1].Kv.ModRevision
		}
	}
	// The client closes the channel when ctx ends; otherwise re-read.
	return ctx.Err() == nil
}

// reread retries read with back-off until it succeeds or ctx ends.
func reread[T any](s *Store, ctx context.Context, read func() (T, int64, error)) (T, int64, bool) {
	wait := retryMin
	for {
		v, rev, err := read()
		if err == nil {
			return v, rev, true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			var zero T
			return zero, 0, false
		}
		if wait *= 2; wait > retryMax {
			wait = retryMax
		}
	}
}

// stopContext is parent cancelled also when stopCh closes.
func stopContext(parent context.Context, stopCh <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		select {
		case <-stopCh:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func sorted(m map[string]*store.KVPair) []*store.KVPair {
	out := make([]*store.KVPair, 0, len(m))
	for _, p := range m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// samePairs reports whether a and b hold the same keys at the same indexes.
func samePairs(a, b []*store.KVPair) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].LastIndex != b[i].LastIndex {
			return false
		}
	}
	return true
}
