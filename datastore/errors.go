package datastore

import (
	"errors"
	"net"
	"syscall"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
	berrors "go.etcd.io/bbolt/errors"
)

// Sentinel errors; returned errors wrap them, so test with errors.Is.
var (
	// ErrKeyModified is a failed compare-and-swap: the key was created,
	// changed or deleted since the caller read it. It is a types.ConflictError.
	ErrKeyModified = types.ConflictErrorf("key modified")
	// ErrKeyNotFound is a key (or, for List and Map, a prefix) with no object.
	// It is a types.NotFoundError.
	ErrKeyNotFound = types.NotFoundErrorf("key not found")
	// ErrStoreLocked is a boltdb file held by another process or by another
	// open DataStore. It is a types.ForbiddenError.
	ErrStoreLocked = types.ForbiddenErrorf("store file locked")
	// ErrNotReachable is a store that did not answer in time or refused the
	// call. It is a types.NoServiceError.
	ErrNotReachable = types.NoServiceErrorf("store not reachable")
	// ErrNotImplmented (sic, the seed's spelling) is a call the store does
	// not support, such as Watch on the local scope. It is a
	// types.NotImplementedError.
	ErrNotImplmented = types.NotImplementedErrorf("functionality not implemented")
)

// translate turns a backend error of operation op on key into a typed
// error. Errors already typed by this package pass unchanged.
func (d *datastore) translate(op, key string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotReachable) && !errors.Is(err, ErrNotReachable):
		// A backend's own typed unavailability (etcdkv: Timeout or
		// NoService): keep its class, add ours and the store's address.
		if types.IsTimeout(err) {
			return types.TimeoutErrorf("datastore %s %s on %s %s: %w: %w", op, key, d.provider, d.address, ErrNotReachable, err)
		}
		return types.NoServiceErrorf("datastore %s %s on %s %s: %w: %w", op, key, d.provider, d.address, ErrNotReachable, err)
	case isTyped(err):
		return err
	case errors.Is(err, store.ErrKeyNotFound):
		if op == opPut {
			// A CAS write against an object that was deleted meanwhile.
			return types.ConflictErrorf("datastore %s %s: %w: it was deleted", op, key, ErrKeyModified)
		}
		return types.NotFoundErrorf("datastore %s %s: %w", op, key, ErrKeyNotFound)
	case errors.Is(err, store.ErrKeyModified), errors.Is(err, store.ErrKeyExists):
		return types.ConflictErrorf("datastore %s %s: %w: %w", op, key, ErrKeyModified, err)
	case errors.Is(err, store.ErrNotReachable), errors.Is(err, berrors.ErrDatabaseNotOpen):
		return types.NoServiceErrorf("datastore %s %s on %s %s: %w: %w", op, key, d.provider, d.address, ErrNotReachable, err)
	case errors.Is(err, store.ErrCallNotSupported):
		return types.NotImplementedErrorf("datastore %s %s: provider %s: %w", op, key, d.provider, err)
	}
	var nerr net.Error
	if errors.As(err, &nerr) || errors.Is(err, syscall.ECONNREFUSED) || d.cache == nil {
		// A remote store that fails for reasons of its own is unavailable
		// to us; local failures (disk, corruption) are internal.
		return types.NoServiceErrorf("datastore %s %s on %s %s: %w: %w", op, key, d.provider, d.address, ErrNotReachable, err)
	}
	return types.InternalErrorf("datastore %s %s on %s %s: %w", op, key, d.provider, d.address, err)
}

// isTyped reports whether err already belongs to a types class.
func isTyped(err error) bool {
	return types.IsBadRequest(err) || types.IsNotFound(err) || types.IsForbidden(err) ||
		types.IsConflict(err) || types.IsNoService(err) || types.IsNotImplemented(err) ||
		types.IsTimeout(err) || types.IsInternal(err) || types.IsRetry(err)
}
