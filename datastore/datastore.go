// Package datastore stores the SDK's objects in libkv stores: a local scope
// (an embedded boltdb file) and an optional global scope.
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
	// New returns an empty object of the same kind.
	New() KVObject
	// CopyTo copies the object into o.
	CopyTo(o KVObject) error
}

// DataStore keeps KVObjects in one scope.
type DataStore interface {
	// GetObject reads the object at key into o.
	GetObject(key string, o KVObject) error
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
	// Scope is the store's scope.
	Scope() string
	// KVStore is the underlying libkv store.
	KVStore() store.Store
	// Close releases the store.
	Close()
}
