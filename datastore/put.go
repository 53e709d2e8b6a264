package datastore

import (
	"errors"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

// putRetries bounds the compare-and-swap rounds of PutObject on a store
// that other writers keep changing.
const putRetries = 16

// PutObject writes o whatever index the store holds for its key (the last
// writer wins) and updates o's index. A Skip object is not written.
func (d *datastore) PutObject(o KVObject) error {
	if o == nil {
		return types.BadRequestErrorf("datastore put: nil object")
	}
	if d.cache != nil {
		return d.putCachedAnyIndex(o)
	}
	if o.Skip() {
		return nil
	}
	key := Key(o.Key()...)
	val := o.Value()
	// libkv's Put returns no index: write by compare-and-swap against
	// whatever is there now, so that the index given to o is the index of
	// this very write.
	for i := 0; i < putRetries; i++ {
		cur, err := bounded(d, opGet, key, func() (*store.KVPair, error) { return d.store.Get(key) })
		if err != nil && !errors.Is(err, ErrKeyNotFound) {
			return err
		}
		p, err := bounded(d, opPut, key, func() (*store.KVPair, error) {
			_, p, err := d.store.AtomicPut(key, val, cur, nil)
			return p, err
		})
		if errors.Is(err, ErrKeyModified) {
			continue // changed between our read and write: again
		}
		if err != nil {
			return err
		}
		if p == nil {
			return types.InternalErrorf("datastore put %s: backend %s returned no index", key, d.provider)
		}
		o.SetIndex(p.LastIndex)
		return nil
	}
	return types.ConflictErrorf("datastore put %s: %w: still changing after %d attempts", key, ErrKeyModified, putRetries)
}

// putCachedAnyIndex is PutObject of the local scope: the write is made
// against the cached index, whatever o's.
func (d *datastore) putCachedAnyIndex(o KVObject) error {
	return d.putCachedWith(o, false)
}
