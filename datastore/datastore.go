// Package datastore stores the SDK's objects in libkv stores: a local scope
// (an embedded boltdb file) and an optional global scope.
//
// # Local scope
//
// The local scope is a boltdb file (libkv's boltdb backend, registered by
// this package, over go.etcd.io/bbolt) opened once with a persistent
// connection and locked for one DataStore: a second open of the same file,
// from this or another process, fails at once with ErrStoreLocked (a
// types.ForbiddenError naming the file). Because the file is ours alone,
// an in-memory cache is the truth: an object read once (or a prefix listed
// once) is served from memory, writes go through to disk and then update
// the cache, and compare-and-swap is decided against the cached index.
// Callers always get copies (KVObject.CopyTo), never the cache's objects.
// Writes and cache misses are serialised by one lock; cached reads take
// only a shared lock. Writing to KVStore() directly bypasses the cache.
//
// Indexes of the local scope are issued by the DataStore, not by libkv
// (whose boltdb counter restarts at 0 on every open): each open raises an
// epoch kept in the file, and indexes are epoch<<40 | sequence, so a copy
// read before a restart can never pass a compare-and-swap after it.
// A Skip object is kept only in the cache and never written.
//
// # Global scope
//
// The global scope uses a libkv backend looked up by provider name through
// libkv.NewStore: "etcd" (etcd v3, package etcdkv, registered here) or any
// other the embedder registered. It is not cached. Every
// backend call runs in its own goroutine and is abandoned after the call
// timeout (store.Config.ConnectionTimeout, else DefaultCallTimeout): an
// unreachable store yields ErrNotReachable (a types.NoServiceError), never
// a hang; after a timed-out write its outcome is unknown, so re-read.
// Watch is available when the backend supports it (Watchable).
//
// # Errors and conventions
//
// A compare-and-swap conflict is ErrKeyModified (types.ConflictError) and
// changes nothing; a missing key is ErrKeyNotFound (types.NotFoundError).
// List and Map of a prefix with no objects return ErrKeyNotFound, as
// libnetwork did. DeleteObject and DeleteTree of missing keys succeed.
// KVObject.SetIndex is expected to mark the object as existing, so that
// Exists is true after a read or a write; an object that does not exist is
// created only if its key is free.
package datastore

import (
	"github.com/docker/libkv/store"
)

// Scopes of data.
const (
	// LocalScope is data kept on this host only.
	LocalScope = "local"
	// GlobalScope is data shared by every host of a cluster.
	GlobalScope = "global"
	// SwarmScope is data an orchestrator manages.
	SwarmScope = "swarm"
)

// KVObject is an object that can be kept in a DataStore.
type KVObject interface {
	// Key is the object's key, as path components.
	Key() []string
	// KeyPrefix is the key of the object's parent, as path components.
	KeyPrefix() []string
	// Value is the object's serialised form.
	Value() []byte
	// SetValue restores the object from its serialised form.
	SetValue([]byte) error
	// Index is the store index of the object's last write.
	Index() uint64
	// SetIndex records the store index of the object's last write.
	SetIndex(uint64)
	// Exists reports whether the object was read from or written to the store.
	Exists() bool
	// DataScope is the scope the object belongs to.
	DataScope() string
	// Skip reports whether the object must not be written.
	Skip() bool
	KVConstructor
}

// KVConstructor makes and copies objects of one kind.
type KVConstructor interface {
	// New returns an empty object of the same kind.
	New() KVObject
	// CopyTo copies the object into o.
	CopyTo(o KVObject) error
}

// DataStore keeps KVObjects in one scope.
type DataStore interface {
	// GetObject reads the object at key into o.
	GetObject(key string, o KVObject) error
	// PutObject writes o whatever the store's index and updates o's index.
	PutObject(o KVObject) error
	// PutObjectAtomic writes o if its index still matches the store's (CAS);
	// a mismatch is a types.ConflictError. It updates o's index.
	PutObjectAtomic(o KVObject) error
	// DeleteObjectAtomic deletes o if its index still matches (CAS).
	DeleteObjectAtomic(o KVObject) error
	// DeleteObject deletes o whatever its index.
	DeleteObject(o KVObject) error
	// DeleteTree deletes o's key prefix and everything under it.
	DeleteTree(o KVObject) error
	// List returns every object under key, made with kvObject.New.
	List(key string, kvObject KVObject) ([]KVObject, error)
	// Map is List keyed by each object's full key.
	Map(key string, kvObject KVObject) (map[string]KVObject, error)
	// Watchable reports whether Watch is supported.
	Watchable() bool
	// Watch sends o's new states until stopCh closes.
	Watch(o KVObject, stopCh <-chan struct{}) (<-chan KVObject, error)
	// RestartWatch re-arms the watches the backend ended (after the store
	// is reachable again) and marks the store active.
	RestartWatch()
	// Active reports whether the store is usable: false once closed, or
	// while the backend is unreachable (a call failed with ErrNotReachable
	// or a watch was ended by the backend) until a call succeeds again or
	// RestartWatch is called.
	Active() bool
	// Scope is the store's scope.
	Scope() string
	// KVStore is the underlying libkv store.
	KVStore() store.Store
	// Close releases the store.
	Close()
}
