package bitseq

import (
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

// maxRetries bounds the compare-and-swap attempts of one change.
const maxRetries = 100

// storeKey is the key GetObject is given for an object.
func storeKey(o datastore.KVObject) string { return datastore.Key(o.Key()...) }

func isNotFound(err error) bool { return types.IsNotFound(err) }

// apply runs op on the bitmap. With a datastore, op runs on a copy that is
// written with compare-and-swap; on a conflict (or when op fails, in case
// the local copy is stale) the bitmap is re-read and op run again.
func (h *Handle) apply(op func(*state) (uint64, error)) (uint64, error) {
	h.Lock()
	defer h.Unlock()
	if h.store == nil {
		return op(&h.st)
	}
	refreshed := false
	for range maxRetries {
		nh := h.snapshot()
		ret, err := op(&nh.st)
		if err != nil {
			if refreshed {
				return 0, err
			}
			refreshed = true
			if rerr := h.reloadLocked(); rerr != nil {
				return 0, err
			}
			continue
		}
		if err := h.store.PutObjectAtomic(nh); err != nil {
			if !types.IsConflict(err) {
				return 0, err
			}
			if err := h.reloadLocked(); err != nil {
				return 0, err
			}
			refreshed = true
			continue
		}
		h.st, h.index, h.exists = nh.st, nh.index, true
		return ret, nil
	}
	return 0, types.RetryErrorf("bitseq %s/%s: write kept conflicting after %d attempts", h.app, h.id, maxRetries)
}

// snapshot returns an unshared copy of h for writing; h is locked.
func (h *Handle) snapshot() *Handle {
	return &Handle{app: h.app, id: h.id, store: h.store, st: h.st.clone(), index: h.index, exists: h.exists}
}

// load reads the stored bitmap into h.
func (h *Handle) load() error {
	h.Lock()
	defer h.Unlock()
	return h.reloadLocked()
}

// reloadLocked reads the stored bitmap into h; h is locked.
func (h *Handle) reloadLocked() error {
	nh := &Handle{app: h.app, id: h.id, store: h.store}
	if err := h.store.GetObject(storeKey(nh), nh); err != nil {
		return err
	}
	h.st, h.index, h.exists = nh.st, nh.index, true
	return nil
}

// Key returns the datastore key of the bitmap: app, id.
func (h *Handle) Key() []string {
	h.Lock()
	defer h.Unlock()
	return []string{h.app, h.id}
}

// KeyPrefix returns the datastore key of the bitmap's parent: app.
func (h *Handle) KeyPrefix() []string {
	h.Lock()
	defer h.Unlock()
	return []string{h.app}
}

// Index returns the datastore index of the last write.
func (h *Handle) Index() uint64 {
	h.Lock()
	defer h.Unlock()
	return h.index
}

// SetIndex records the datastore index of the last write.
func (h *Handle) SetIndex(index uint64) {
	h.Lock()
	defer h.Unlock()
	h.index = index
	h.exists = true
}

// Exists reports whether the bitmap was read from or written to the datastore.
func (h *Handle) Exists() bool {
	h.Lock()
	defer h.Unlock()
	return h.exists
}

// Skip reports whether the bitmap must not be written; it never is skipped.
func (h *Handle) Skip() bool { return false }

// DataScope returns the scope of the bitmap's datastore (local without one).
func (h *Handle) DataScope() string {
	h.Lock()
	defer h.Unlock()
	if h.store == nil {
		return datastore.LocalScope
	}
	return h.store.Scope()
}

// New returns an empty Handle of the same app and datastore.
func (h *Handle) New() datastore.KVObject {
	h.Lock()
	defer h.Unlock()
	return &Handle{app: h.app, store: h.store}
}

// CopyTo copies the bitmap into o, which must be a *Handle.
func (h *Handle) CopyTo(o datastore.KVObject) error {
	dst, ok := o.(*Handle)
	if !ok {
		return types.BadRequestErrorf("bitseq: cannot copy into %T", o)
	}
	if dst == h {
		return nil
	}
	h.Lock()
	c := h.snapshot()
	h.Unlock()
	dst.Lock()
	defer dst.Unlock()
	dst.app, dst.id, dst.store, dst.st, dst.index, dst.exists = c.app, c.id, c.store, c.st, c.index, c.exists
	return nil
}
