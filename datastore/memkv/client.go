package memkv

import (
	"sync"

	"github.com/docker/libkv/store"
)

// Store is a client of a Server; it implements store.Store.
type Store struct {
	s         *Server
	done      chan struct{}
	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Client returns a new client of the server.
func (s *Server) Client() *Store {
	return &Store{s: s, done: make(chan struct{})}
}

// enter checks the client is open and applies the server's fault.
func (c *Store) enter() error {
	select {
	case <-c.done:
		return store.ErrNotReachable
	default:
	}
	return c.s.gate(c.done)
}

// Put writes value at key.
func (c *Store) Put(key string, value []byte, _ *store.WriteOptions) error {
	if err := c.enter(); err != nil {
		return err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.s.writeLocked(normalize(key), value)
	return nil
}

// Get returns key's pair or store.ErrKeyNotFound.
func (c *Store) Get(key string) (*store.KVPair, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	p := c.s.pairLocked(normalize(key))
	if p == nil {
		return nil, store.ErrKeyNotFound
	}
	return p, nil
}

// Delete removes key; a missing key is store.ErrKeyNotFound.
func (c *Store) Delete(key string) error {
	if err := c.enter(); err != nil {
		return err
	}
	key = normalize(key)
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if _, ok := c.s.data[key]; !ok {
		return store.ErrKeyNotFound
	}
	c.s.deleteLocked(key)
	return nil
}

// Exists reports whether key is present.
func (c *Store) Exists(key string) (bool, error) {
	if err := c.enter(); err != nil {
		return false, err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	_, ok := c.s.data[normalize(key)]
	return ok, nil
}

// List returns the pairs whose keys start with directory, sorted by key;
// none is store.ErrKeyNotFound.
func (c *Store) List(directory string) ([]*store.KVPair, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	out := c.s.listLocked(normalize(directory))
	if len(out) == 0 {
		return nil, store.ErrKeyNotFound
	}
	return out, nil
}

// DeleteTree removes every key that starts with directory.
func (c *Store) DeleteTree(directory string) error {
	if err := c.enter(); err != nil {
		return err
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	for _, p := range c.s.listLocked(normalize(directory)) {
		c.s.deleteLocked(p.Key)
	}
	return nil
}

// AtomicPut writes value if key is at previous's index (previous nil: if
// key is absent). Errors: store.ErrKeyExists, ErrKeyNotFound, ErrKeyModified.
func (c *Store) AtomicPut(key string, value []byte, previous *store.KVPair, _ *store.WriteOptions) (bool, *store.KVPair, error) {
	if err := c.enter(); err != nil {
		return false, nil, err
	}
	key = normalize(key)
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	cur, ok := c.s.data[key]
	switch {
	case previous == nil && ok:
		return false, nil, store.ErrKeyExists
	case previous != nil && !ok:
		return false, nil, store.ErrKeyNotFound
	case previous != nil && cur.Index != previous.LastIndex:
		return false, nil, store.ErrKeyModified
	}
	c.s.writeLocked(key, value)
	return true, c.s.pairLocked(key), nil
}

// AtomicDelete removes key if it is at previous's index.
func (c *Store) AtomicDelete(key string, previous *store.KVPair) (bool, error) {
	if err := c.enter(); err != nil {
		return false, err
	}
	if previous == nil {
		return false, store.ErrPreviousNotSpecified
	}
	key = normalize(key)
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	cur, ok := c.s.data[key]
	if !ok {
		return false, store.ErrKeyNotFound
	}
	if cur.Index != previous.LastIndex {
		return false, store.ErrKeyModified
	}
	c.s.deleteLocked(key)
	return true, nil
}

// Close closes the client: its watches end, its locks are released and
// later calls fail with store.ErrNotReachable.
func (c *Store) Close() {
	c.closeOnce.Do(func() {
		close(c.done)
		c.s.mu.Lock()
		defer c.s.mu.Unlock()
		for _, l := range c.s.locks {
			if l.c == c {
				c.s.releaseLocked(l)
			}
		}
	})
}
