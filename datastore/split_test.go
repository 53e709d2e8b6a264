package datastore_test

import (
	"errors"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
)

// TestSplit: objects of the runtime kinds go to the runtime store, others
// to the durable one, for every operation; Close closes both.
func TestSplit(t *testing.T) {
	durable, runtime := openLocal(t, t.TempDir()), openLocal(t, t.TempDir())
	s := datastore.Split(durable, runtime, "rt")
	keep, eph := newObj("a", 1), newObj("b", 2)
	eph.prefix = []string{"rt"}
	for _, o := range []*testObj{keep, eph} {
		if err := s.PutObjectAtomic(o); err != nil {
			t.Fatal(err)
		}
	}
	in := func(ds datastore.DataStore, o *testObj) bool {
		got := &testObj{prefix: o.prefix}
		err := ds.GetObject(datastore.Key(o.Key()...), got)
		if err != nil && !errors.Is(err, datastore.ErrKeyNotFound) {
			t.Fatal(err)
		}
		return err == nil && got.Count == o.Count
	}
	if !in(durable, keep) || in(runtime, keep) || !in(runtime, eph) || in(durable, eph) {
		t.Fatal("objects in the wrong stores")
	}
	for _, o := range []*testObj{keep, eph} {
		if !in(s, o) {
			t.Fatalf("%s not read back through the split store", o.ID)
		}
		l, err := s.List(datastore.Key(o.prefix...), &testObj{prefix: o.prefix})
		if err != nil || len(l) != 1 {
			t.Fatalf("list %v: %v %v", o.prefix, l, err)
		}
	}
	eph.Count = 3
	if err := s.PutObjectAtomic(eph); err != nil {
		t.Fatalf("update through the split store: %v", err)
	}
	if err := s.DeleteObjectAtomic(eph); err != nil {
		t.Fatal(err)
	}
	if in(runtime, eph) || !in(durable, keep) {
		t.Fatal("delete went to the wrong store")
	}
	if s.Scope() != datastore.LocalScope || s.KVStore() != durable.KVStore() {
		t.Fatal("scope or KV store not the durable one's")
	}
	s.Close()
	if err := runtime.PutObjectAtomic(newObj("c", 1)); err == nil {
		t.Fatal("runtime store still open after Close")
	}
}
