package datastore

import (
	"errors"
	"strings"
	"time"

	"github.com/cnmkit/libnetwork/datastore/etcdkv"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv"
	"github.com/docker/libkv/store"
	"github.com/docker/libkv/store/boltdb"
	"github.com/sirupsen/logrus"
)

func init() {
	// Registered at init so that no libkv.NewStore call can race with the
	// (unlocked) libkv backend registry. "etcd" is our etcd v3 backend
	// (datastore/etcdkv), not libkv's v2 one.
	boltdb.Register()
	etcdkv.Register()
}

// NewDataStore opens the store of scope (LocalScope or GlobalScope) that
// cfg describes. A local boltdb file is opened at once and locked for this
// DataStore alone; a file held elsewhere is ErrStoreLocked. Other providers
// must be registered with libkv by the embedder; opening one is bounded by
// the call timeout (store.Config.ConnectionTimeout, else
// DefaultCallTimeout) and a backend that does not answer is ErrNotReachable.
func NewDataStore(scope string, cfg *ScopeCfg) (DataStore, error) {
	if err := validate(scope, cfg); err != nil {
		return nil, err
	}
	c := cfg.Client
	d := &datastore{scope: scope, provider: c.Provider, address: c.Address,
		restart: make(chan struct{}), done: make(chan struct{})}
	var err error
	if c.Provider == string(store.BOLTDB) {
		d.store, d.address, err = openBolt(c.Address, c.Config)
	} else {
		d.timeout = DefaultCallTimeout
		if c.Config != nil && c.Config.ConnectionTimeout > 0 {
			d.timeout = c.Config.ConnectionTimeout
		}
		d.store, err = d.openRemote(c.Config)
	}
	if err != nil {
		return nil, err
	}
	if scope == LocalScope {
		d.cache = newCache()
		if err := d.bumpEpoch(); err != nil {
			d.Close()
			return nil, err
		}
	} else {
		d.watchable = watchable(c.Provider, d.store)
	}
	logrus.WithFields(logrus.Fields{"scope": scope, "provider": d.provider, "address": d.address}).Debug("datastore opened")
	return d, nil
}

// watchable reports whether a backend supports Watch: boltdb does not;
// a store may say so with a Watchable method; libkv's others all do.
func watchable(provider string, s store.Store) bool {
	if provider == string(store.BOLTDB) {
		return false
	}
	if w, ok := s.(interface{ Watchable() bool }); ok {
		return w.Watchable()
	}
	return true
}

// openRemote opens a non-boltdb backend, bounded by the call timeout. A
// store that opens after the bound is closed when it arrives.
func (d *datastore) openRemote(cfg *store.Config) (store.Store, error) {
	type result struct {
		s   store.Store
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := libkv.NewStore(store.Backend(d.provider), splitAddrs(d.address), cfg)
		ch <- result{s, err}
	}()
	t := time.NewTimer(d.timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if r.err != nil && strings.HasPrefix(r.err.Error(), store.ErrBackendNotSupported.Error()) {
			return nil, types.BadRequestErrorf("datastore provider %q is not registered with libkv (register it with libkv.AddStore): %w", d.provider, r.err)
		}
		if r.err != nil {
			return nil, d.translate("open", d.address, r.err)
		}
		return r.s, nil
	case <-t.C:
		go func() {
			if r := <-ch; r.s != nil {
				r.s.Close()
			}
		}()
		return nil, d.timeoutErr("open", d.address)
	}
}

// timeoutErr is the error of a backend call that did not return in time.
func (d *datastore) timeoutErr(op, key string) error {
	return types.NoServiceErrorf("datastore %s %s: %s store %s did not answer within %v: %w",
		op, key, d.provider, d.address, d.timeout, ErrNotReachable)
}

// closedErr is the error of a call after Close.
func (d *datastore) closedErr(op, key string) error {
	return types.NoServiceErrorf("datastore %s %s: %s store %s is closed: %w", op, key, d.scope, d.address, ErrNotReachable)
}

type result[T any] struct {
	v   T
	err error
}

// bounded runs one backend call and translates its error. For backends
// other than the local boltdb file the call runs in its own goroutine and
// is abandoned after d.timeout (the goroutine ends when the backend
// returns); the caller then gets ErrNotReachable, and for a write the
// outcome is unknown.
func bounded[T any](d *datastore, op, key string, fn func() (T, error)) (T, error) {
	var zero T
	if d.closed.Load() {
		return zero, d.closedErr(op, key)
	}
	if d.timeout <= 0 {
		v, err := fn()
		return v, d.observe(d.translate(op, key, err))
	}
	ch := make(chan result[T], 1)
	go func() {
		v, err := fn()
		ch <- result[T]{v, err}
	}()
	t := time.NewTimer(d.timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.v, d.observe(d.translate(op, key, r.err))
	case <-t.C:
		return zero, d.observe(d.timeoutErr(op, key))
	}
}

// observe records from a backend call's error whether the store is
// reachable, and returns the error.
func (d *datastore) observe(err error) error {
	switch {
	case err == nil:
		d.unreachable.Store(false)
	case errors.Is(err, ErrNotReachable):
		d.unreachable.Store(true)
	}
	return err
}

// boundedErr is bounded for calls that return only an error.
func boundedErr(d *datastore, op, key string, fn func() error) error {
	_, err := bounded(d, op, key, func() (struct{}, error) { return struct{}{}, fn() })
	return err
}
