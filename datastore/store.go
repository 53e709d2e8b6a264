package datastore

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
	"github.com/sirupsen/logrus"
)

const (
	opGet    = "get"
	opPut    = "put"
	opDelete = "delete"
	opList   = "list"
)

// datastore implements DataStore. With a cache (the local scope) it
// serves reads from memory and writes through to the backend under wmu;
// without one (the global scope) every call goes to the backend.
type datastore struct {
	scope     string
	provider  string
	address   string
	store     store.Store
	timeout   time.Duration // bound of each backend call; 0: call directly
	watchable bool
	cache     *cache // local scope only
	closed    atomic.Bool
	// unreachable is set by a backend call that failed with
	// ErrNotReachable or a watch the backend ended; cleared by a call that
	// succeeds and by RestartWatch.
	unreachable atomic.Bool

	wmx     sync.Mutex    // guards restart
	restart chan struct{} // closed and replaced by RestartWatch
	done    chan struct{} // closed by Close

	wmu   sync.Mutex // local scope: serialises writes and cache fills
	epoch uint64
	seq   uint64 // guarded by wmu
}

func (d *datastore) Scope() string        { return d.scope }
func (d *datastore) KVStore() store.Store { return d.store }
func (d *datastore) Watchable() bool      { return d.watchable }
func (d *datastore) String() string       { return d.scope + " datastore " + d.provider + ":" + d.address }

// Active reports whether the store is open and its backend was reachable
// at the last call.
func (d *datastore) Active() bool { return !d.closed.Load() && !d.unreachable.Load() }

// Close releases the store; later calls fail with ErrNotReachable.
func (d *datastore) Close() {
	if !d.closed.CompareAndSwap(false, true) {
		return
	}
	close(d.done)
	if d.timeout <= 0 {
		d.wmu.Lock()
		d.store.Close()
		d.wmu.Unlock()
		return
	}
	done := make(chan struct{})
	go func() {
		d.store.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d.timeout):
		logrus.WithFields(logrus.Fields{"scope": d.scope, "provider": d.provider, "address": d.address}).
			Warn("datastore close did not finish in time")
	}
}

// GetObject reads the object at key into o.
func (d *datastore) GetObject(key string, o KVObject) error {
	if d.cache != nil {
		return d.getCached(key, o)
	}
	p, err := bounded(d, opGet, key, func() (*store.KVPair, error) { return d.store.Get(key) })
	if err != nil {
		return err
	}
	if err := o.SetValue(p.Value); err != nil {
		return types.InternalErrorf("datastore get %s: decode into %T: %w", key, o, err)
	}
	o.SetIndex(p.LastIndex)
	return nil
}

// PutObjectAtomic writes o if the store still holds the version o was read
// at (or, for an object that does not exist yet, holds nothing at its key).
func (d *datastore) PutObjectAtomic(o KVObject) error {
	if o == nil {
		return types.BadRequestErrorf("datastore put: nil object")
	}
	if d.cache != nil {
		return d.putCached(o)
	}
	if o.Skip() {
		return nil
	}
	key := Key(o.Key()...)
	var prev *store.KVPair
	if o.Exists() {
		prev = &store.KVPair{Key: key, LastIndex: o.Index()}
	}
	val := o.Value()
	p, err := bounded(d, opPut, key, func() (*store.KVPair, error) {
		_, p, err := d.store.AtomicPut(key, val, prev, nil)
		return p, err
	})
	if err != nil {
		return err
	}
	if p == nil {
		return types.InternalErrorf("datastore put %s: backend %s returned no index", key, d.provider)
	}
	o.SetIndex(p.LastIndex)
	return nil
}

// DeleteObjectAtomic deletes o if the store still holds the version o was
// read at. A missing key is ErrKeyNotFound; another version ErrKeyModified.
func (d *datastore) DeleteObjectAtomic(o KVObject) error {
	if o == nil {
		return types.BadRequestErrorf("datastore delete: nil object")
	}
	if d.cache != nil {
		return d.deleteCached(o, true)
	}
	if o.Skip() {
		return nil
	}
	key := Key(o.Key()...)
	prev := &store.KVPair{Key: key, LastIndex: o.Index()}
	return boundedErr(d, opDelete, key, func() error {
		_, err := d.store.AtomicDelete(key, prev)
		return err
	})
}

// DeleteObject deletes o whatever its version; a missing key is not an error.
func (d *datastore) DeleteObject(o KVObject) error {
	if o == nil {
		return types.BadRequestErrorf("datastore delete: nil object")
	}
	if d.cache != nil {
		return d.deleteCached(o, false)
	}
	if o.Skip() {
		return nil
	}
	key := Key(o.Key()...)
	err := boundedErr(d, opDelete, key, func() error { return d.store.Delete(key) })
	if errors.Is(err, ErrKeyNotFound) {
		return nil
	}
	return err
}

// DeleteTree deletes everything under o's key prefix.
func (d *datastore) DeleteTree(o KVObject) error {
	if o == nil {
		return types.BadRequestErrorf("datastore delete tree: nil object")
	}
	prefix := Key(o.KeyPrefix()...)
	if d.cache != nil {
		return d.deleteTreeCached(prefix, o.Skip())
	}
	if o.Skip() {
		return nil
	}
	err := boundedErr(d, opDelete, prefix, func() error { return d.store.DeleteTree(prefix) })
	if errors.Is(err, ErrKeyNotFound) {
		return nil
	}
	return err
}

// List returns copies of the objects whose keys start with key, sorted by
// key, made with kvObject.New. No object is ErrKeyNotFound.
func (d *datastore) List(key string, kvObject KVObject) ([]KVObject, error) {
	if kvObject == nil {
		return nil, types.BadRequestErrorf("datastore list %s: nil object", key)
	}
	var (
		out []KVObject
		err error
	)
	if d.cache != nil {
		out, err = d.listCached(key, kvObject)
	} else {
		out, err = d.listRemote(key, kvObject)
	}
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, types.NotFoundErrorf("datastore list %s: %w", key, ErrKeyNotFound)
	}
	return out, nil
}

// listRemote lists key from the backend.
func (d *datastore) listRemote(key string, kvObject KVObject) ([]KVObject, error) {
	pairs, err := bounded(d, opList, key, func() ([]*store.KVPair, error) { return d.store.List(key) })
	if errors.Is(err, ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]KVObject, 0, len(pairs))
	for _, p := range pairs {
		if len(p.Value) == 0 {
			continue // a directory node of some backends
		}
		o := kvObject.New()
		if err := o.SetValue(p.Value); err != nil {
			return nil, types.InternalErrorf("datastore list %s: decode %s into %T: %w", key, p.Key, o, err)
		}
		o.SetIndex(p.LastIndex)
		out = append(out, o)
	}
	return out, nil
}

// Map is List keyed by each object's full key, Key(o.Key()...).
func (d *datastore) Map(key string, kvObject KVObject) (map[string]KVObject, error) {
	list, err := d.List(key, kvObject)
	if err != nil {
		return nil, err
	}
	m := make(map[string]KVObject, len(list))
	for _, o := range list {
		m[Key(o.Key()...)] = o
	}
	return m, nil
}
