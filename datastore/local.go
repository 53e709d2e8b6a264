package datastore

import (
	"errors"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

// The local scope is owned by this process alone (the boltdb file is
// locked), so the cache is the truth: reads never touch the disk once a
// key or prefix is loaded, and a compare-and-swap is decided against the
// cached index before the write goes to disk.

// getCached reads key from the cache, loading it from disk on a miss.
func (d *datastore) getCached(key string, o KVObject) error {
	if d.closed.Load() {
		return d.closedErr(opGet, key)
	}
	e, known := d.cache.lookup(key)
	if !known {
		var err error
		d.wmu.Lock()
		e, err = d.loadLocked(key, o)
		d.wmu.Unlock()
		if err != nil {
			return err
		}
	}
	if e == nil || e.obj == nil {
		return types.NotFoundErrorf("datastore get %s: %w", key, ErrKeyNotFound)
	}
	return copyOut(key, e, o)
}

// loadLocked returns key's entry (nil or obj nil if absent), reading the
// disk if the cache does not know the key; d.wmu is held.
func (d *datastore) loadLocked(key string, kind KVObject) (*entry, error) {
	if e, known := d.cache.lookup(key); known {
		if e == nil {
			e = &entry{} // under a fully loaded prefix: absent
		}
		return e, nil
	}
	p, err := bounded(d, opGet, key, func() (*store.KVPair, error) { return d.store.Get(key) })
	if errors.Is(err, ErrKeyNotFound) {
		e := &entry{}
		d.cache.set(key, e)
		return e, nil
	}
	if err != nil {
		return nil, err
	}
	e, err := fromDisk(p, kind)
	if err != nil {
		return nil, err
	}
	d.cache.set(key, e)
	return e, nil
}

// fromDisk makes a cache entry of a pair read from disk. Its index is
// libkv's, which is below every index issued since this open.
func fromDisk(p *store.KVPair, kind KVObject) (*entry, error) {
	o := kind.New()
	if err := o.SetValue(p.Value); err != nil {
		return nil, types.InternalErrorf("datastore: decode %s into %T: %w", p.Key, o, err)
	}
	o.SetIndex(p.LastIndex)
	return &entry{obj: o, idx: p.LastIndex, disk: p.LastIndex, onDisk: true}, nil
}

// checkCAS decides a compare-and-swap of o against the cached entry e.
func checkCAS(op, key string, e *entry, o KVObject) error {
	present := e != nil && e.obj != nil
	switch {
	case o.Exists() && !present:
		return types.ConflictErrorf("datastore %s %s: %w: it was deleted", op, key, ErrKeyModified)
	case o.Exists() && e.idx != o.Index():
		return types.ConflictErrorf("datastore %s %s: %w: caller has index %d, store has %d", op, key, ErrKeyModified, o.Index(), e.idx)
	case !o.Exists() && present:
		return types.ConflictErrorf("datastore %s %s: %w: it already exists", op, key, ErrKeyModified)
	}
	return nil
}

// putCached is PutObjectAtomic of the local scope. A Skip object is only
// cached, never written.
func (d *datastore) putCached(o KVObject) error { return d.putCachedWith(o, true) }

// putCachedWith writes o to disk and cache; cas checks o's index first.
func (d *datastore) putCachedWith(o KVObject, cas bool) error {
	key := Key(o.Key()...)
	skip := o.Skip()
	var val []byte
	if !skip {
		val = o.Value()
	}
	d.wmu.Lock()
	defer d.wmu.Unlock()
	e, err := d.loadLocked(key, o)
	if err != nil {
		return err
	}
	if cas {
		if err := checkCAS(opPut, key, e, o); err != nil {
			return err
		}
	}
	ne := &entry{}
	if !skip {
		var prev *store.KVPair
		if e.obj != nil && e.onDisk {
			prev = &store.KVPair{Key: key, LastIndex: e.disk}
		}
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
		ne.disk, ne.onDisk = p.LastIndex, true
	}
	ne.idx = d.nextIndex()
	o.SetIndex(ne.idx)
	ne.obj = keepCopy(o, val, ne.idx)
	d.cache.set(key, ne)
	return nil
}

// deleteCached deletes o from disk and cache; atomic checks o's index.
func (d *datastore) deleteCached(o KVObject, atomic bool) error {
	key := Key(o.Key()...)
	d.wmu.Lock()
	defer d.wmu.Unlock()
	e, err := d.loadLocked(key, o)
	if err != nil {
		return err
	}
	if e.obj == nil {
		if atomic {
			return types.NotFoundErrorf("datastore delete %s: %w", key, ErrKeyNotFound)
		}
		return nil
	}
	if atomic && (!o.Exists() || e.idx != o.Index()) {
		return types.ConflictErrorf("datastore delete %s: %w: caller has index %d, store has %d", key, ErrKeyModified, o.Index(), e.idx)
	}
	if e.onDisk {
		var err error
		if atomic {
			prev := &store.KVPair{Key: key, LastIndex: e.disk}
			err = boundedErr(d, opDelete, key, func() error {
				_, err := d.store.AtomicDelete(key, prev)
				return err
			})
		} else {
			err = boundedErr(d, opDelete, key, func() error { return d.store.Delete(key) })
			if errors.Is(err, ErrKeyNotFound) {
				err = nil
			}
		}
		if err != nil {
			return err
		}
	}
	d.cache.set(key, &entry{})
	return nil
}

// deleteTreeCached deletes everything under prefix; with skip only the
// cache is cleared, as nothing of a Skip object is on disk.
func (d *datastore) deleteTreeCached(prefix string, skip bool) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if !skip {
		err := boundedErr(d, opDelete, prefix, func() error { return d.store.DeleteTree(prefix) })
		if err != nil && !errors.Is(err, ErrKeyNotFound) {
			return err
		}
	}
	d.cache.dropTree(prefix)
	return nil
}

// listCached lists prefix from the cache, loading it from disk once.
func (d *datastore) listCached(prefix string, kind KVObject) ([]KVObject, error) {
	if d.closed.Load() {
		return nil, d.closedErr(opList, prefix)
	}
	keys, entries, ok := d.cache.list(prefix)
	if !ok {
		if err := d.loadTree(prefix, kind); err != nil {
			return nil, err
		}
		keys, entries, _ = d.cache.list(prefix)
	}
	out := make([]KVObject, len(entries))
	for i, e := range entries {
		o := kind.New()
		if err := copyOut(keys[i], e, o); err != nil {
			return nil, err
		}
		out[i] = o
	}
	return out, nil
}

// loadTree caches every key under prefix that the cache does not know yet.
func (d *datastore) loadTree(prefix string, kind KVObject) error {
	d.wmu.Lock()
	defer d.wmu.Unlock()
	if _, _, ok := d.cache.list(prefix); ok {
		return nil
	}
	pairs, err := bounded(d, opList, prefix, func() ([]*store.KVPair, error) { return d.store.List(prefix) })
	if err != nil && !errors.Is(err, ErrKeyNotFound) {
		return err
	}
	for _, p := range pairs {
		if len(p.Value) == 0 {
			continue
		}
		if _, known := d.cache.lookup(p.Key); known {
			continue // cached entries are at least as new as the disk
		}
		e, err := fromDisk(p, kind)
		if err != nil {
			return err
		}
		d.cache.set(p.Key, e)
	}
	d.cache.markComplete(prefix)
	return nil
}
