package memkv

import (
	"github.com/docker/libkv/store"
)

// Watch sends key's current value, if any, then each new value, until
// stopCh closes or the client closes; then the channel closes.
func (c *Store) Watch(key string, stopCh <-chan struct{}) (<-chan *store.KVPair, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	key = normalize(key)
	out := make(chan *store.KVPair)
	go func() {
		defer close(out)
		var last uint64
		for {
			c.s.mu.Lock()
			p, changed := c.s.pairLocked(key), c.s.changed
			c.s.mu.Unlock()
			if p != nil && p.LastIndex != last {
				select {
				case out <- p:
					last = p.LastIndex
				case <-stopCh:
					return
				case <-c.done:
					return
				}
				continue
			}
			select {
			case <-changed:
			case <-stopCh:
				return
			case <-c.done:
				return
			}
		}
	}()
	return out, nil
}

// WatchTree sends the pairs under directory now and after every change
// under it, until stopCh closes or the client closes.
func (c *Store) WatchTree(directory string, stopCh <-chan struct{}) (<-chan []*store.KVPair, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	directory = normalize(directory)
	out := make(chan []*store.KVPair)
	go func() {
		defer close(out)
		var last []*store.KVPair
		first := true
		for {
			c.s.mu.Lock()
			list, changed := c.s.listLocked(directory), c.s.changed
			c.s.mu.Unlock()
			if first || !samePairs(list, last) {
				select {
				case out <- list:
					last, first = list, false
				case <-stopCh:
					return
				case <-c.done:
					return
				}
				continue
			}
			select {
			case <-changed:
			case <-stopCh:
				return
			case <-c.done:
				return
			}
		}
	}()
	return out, nil
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
