package datastore

import (
	"strings"

	"github.com/docker/libkv/store"
)

// Split returns a DataStore that keeps the objects of the given kinds (the
// first component of their keys, such as "endpoint") in runtime and every
// other object in durable. It is meant for state that lives no longer than
// the host's kernel state: with runtime in the exec root (a tmpfs on a
// Linux host) such records cost no disk flush, and they are gone after a
// reboot together with the namespaces and links they describe. Scope,
// KVStore and Watch are durable's; Close closes both.
func Split(durable, runtime DataStore, kinds ...string) DataStore {
	s := &split{durable: durable, runtime: runtime, kinds: map[string]bool{}}
	for _, k := range kinds {
		s.kinds[k] = true
	}
	return s
}

type split struct {
	durable, runtime DataStore
	kinds            map[string]bool
}

// byKey returns the store of a key made by Key.
func (s *split) byKey(key string) DataStore {
	rest := strings.TrimPrefix(key, KeyRoot)
	if rest == key {
		return s.durable
	}
	first, _, _ := strings.Cut(rest, "/")
	if s.kinds[first] {
		return s.runtime
	}
	return s.durable
}

func (s *split) byObject(o KVObject) DataStore {
	if o == nil {
		return s.durable
	}
	if k := o.Key(); len(k) > 0 && s.kinds[k[0]] {
		return s.runtime
	}
	return s.durable
}

func (s *split) GetObject(key string, o KVObject) error { return s.byKey(key).GetObject(key, o) }
func (s *split) PutObject(o KVObject) error             { return s.byObject(o).PutObject(o) }
func (s *split) PutObjectAtomic(o KVObject) error       { return s.byObject(o).PutObjectAtomic(o) }
func (s *split) DeleteObjectAtomic(o KVObject) error    { return s.byObject(o).DeleteObjectAtomic(o) }
func (s *split) DeleteObject(o KVObject) error          { return s.byObject(o).DeleteObject(o) }
func (s *split) DeleteTree(o KVObject) error            { return s.byObject(o).DeleteTree(o) }
func (s *split) List(key string, kvObject KVObject) ([]KVObject, error) {
	return s.byKey(key).List(key, kvObject)
}
func (s *split) Map(key string, kvObject KVObject) (map[string]KVObject, error) {
	return s.byKey(key).Map(key, kvObject)
}
func (s *split) Watchable() bool { return s.durable.Watchable() }
func (s *split) Watch(o KVObject, stopCh <-chan struct{}) (<-chan KVObject, error) {
	return s.byObject(o).Watch(o, stopCh)
}

// RestartWatch restarts the watches of both stores.
func (s *split) RestartWatch() {
	s.durable.RestartWatch()
	s.runtime.RestartWatch()
}

// Active reports whether both stores are active.
func (s *split) Active() bool         { return s.durable.Active() && s.runtime.Active() }
func (s *split) Scope() string        { return s.durable.Scope() }
func (s *split) KVStore() store.Store { return s.durable.KVStore() }
func (s *split) Close() {
	s.runtime.Close()
	s.durable.Close()
}
