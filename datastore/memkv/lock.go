package memkv

import (
	"github.com/docker/libkv/store"
)

// memLock is a lock on one key of a Server, held by one client.
type memLock struct {
	c     *Store
	key   string
	value []byte
	lost  chan struct{} // closed when the lock is released
}

// NewLock returns a lock on key; while held, key holds options.Value.
// TTL and RenewLock are ignored: a lock lasts until Unlock or until its
// client closes.
func (c *Store) NewLock(key string, options *store.LockOptions) (store.Locker, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	l := &memLock{c: c, key: normalize(key)}
	if options != nil {
		l.value = options.Value
	}
	return l, nil
}

// Lock waits until the lock is free and takes it. It returns a channel
// closed when the lock is lost, or store.ErrCannotLock if stopChan closes
// first.
func (l *memLock) Lock(stopChan chan struct{}) (<-chan struct{}, error) {
	if err := l.c.enter(); err != nil {
		return nil, err
	}
	s := l.c.s
	for {
		s.mu.Lock()
		if s.locks[l.key] == nil {
			s.locks[l.key] = l
			l.lost = make(chan struct{})
			s.writeLocked(l.key, l.value)
			s.mu.Unlock()
			return l.lost, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-stopChan:
			return nil, store.ErrCannotLock
		case <-l.c.done:
			return nil, store.ErrNotReachable
		}
	}
}

// Unlock releases the lock and deletes its key.
func (l *memLock) Unlock() error {
	s := l.c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locks[l.key] != l {
		return store.ErrCannotLock
	}
	s.releaseLocked(l)
	return nil
}

// releaseLocked frees l; s.mu is held.
func (s *Server) releaseLocked(l *memLock) {
	delete(s.locks, l.key)
	close(l.lost)
	if _, ok := s.data[l.key]; ok {
		s.deleteLocked(l.key)
	} else {
		s.notifyLocked()
	}
}
