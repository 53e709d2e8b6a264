package etcdkv

import (
	"math"
	"sync"
	"time"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// lock is a libkv Locker on an etcd mutex held through a lease.
type lock struct {
	s     *Store
	key   string // as the caller gave it, for errors
	k     string // etcd key: holds value while held; waiters under k/
	value []byte
	ttl   time.Duration
	renew chan struct{}

	mu   sync.Mutex
	sess *concurrency.Session // non-nil while held
}

// NewLock returns a lock on key; see the package doc. It does not call
// etcd.
func (s *Store) NewLock(key string, options *store.LockOptions) (store.Locker, error) {
	k, err := keyOf("lock", key)
	if err != nil {
		return nil, err
	}
	l := &lock{s: s, key: key, k: k, ttl: DefaultLockTTL}
	if options != nil {
		l.value, l.renew = options.Value, options.RenewLock
		if options.TTL > 0 {
			l.ttl = options.TTL
		}
	}
	return l, nil
}

// Lock waits until the lock is held and returns a channel closed when it
// is lost. It fails with store.ErrCannotLock when stopChan closes first,
// and with a typed error when etcd cannot grant the lease in time.
func (l *lock) Lock(stopChan chan struct{}) (<-chan struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sess != nil {
		return nil, types.ConflictErrorf("etcd lock %q: already held by this locker: %w", l.key, store.ErrCannotLock)
	}
	s := l.s
	gctx, gcancel := s.call()
	ttl := int64(math.Ceil(l.ttl.Seconds()))
	grant, err := s.cli.Grant(gctx, ttl)
	gcancel()
	if err != nil {
		return nil, s.fail("lock", l.key, err)
	}
	sess, err := concurrency.NewSession(s.cli, concurrency.WithLease(grant.ID), concurrency.WithContext(s.ctx))
	if err != nil {
		s.revoke(grant.ID)
		return nil, s.fail("lock", l.key, err)
	}
	ctx, cancel := stopContext(s.ctx, stopChan)
	defer cancel()
	m := concurrency.NewMutex(sess, l.k)
	if err := m.Lock(ctx); err != nil {
		sess.Orphan()
		s.revoke(sess.Lease())
		if ctx.Err() != nil && s.ctx.Err() == nil {
			return nil, store.ErrCannotLock
		}
		return nil, s.fail("lock", l.key, err)
	}
	// Held: the key shows the holder's value for as long as the lease.
	pctx, pcancel := s.call()
	_, err = s.cli.Txn(pctx).If(m.IsOwner()).Then(clientv3.OpPut(l.k, string(l.value), clientv3.WithLease(sess.Lease()))).Commit()
	pcancel()
	if err != nil {
		sess.Orphan()
		s.revoke(sess.Lease())
		return nil, s.fail("lock", l.key, err)
	}
	l.sess = sess
	if l.renew != nil {
		go func() {
			select {
			case <-l.renew:
				sess.Orphan() // the lease now expires after its TTL
			case <-sess.Done():
			}
		}()
	}
	return sess.Done(), nil
}

// Unlock releases the lock by revoking its lease, which deletes the key
// and the mutex entry. If etcd cannot be reached the lease still expires
// after its TTL.
func (l *lock) Unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sess == nil {
		return store.ErrCannotLock
	}
	sess := l.sess
	l.sess = nil
	sess.Orphan()
	ctx, cancel := l.s.call()
	defer cancel()
	if _, err := l.s.cli.Revoke(ctx, sess.Lease()); err != nil {
		return l.s.fail("unlock", l.key, err)
	}
	return nil
}
