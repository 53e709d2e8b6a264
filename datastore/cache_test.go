package datastore_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
)

// Returned objects are copies: changing them never changes the cache.
func TestCacheReturnsCopies(t *testing.T) {
	ds := openLocal(t, t.TempDir())
	o := newObj("a", 1, "x", "y")
	if err := ds.PutObjectAtomic(o); err != nil {
		t.Fatal(err)
	}
	o.Tags[0] = "changed after put"
	o.Count = 100

	got := mustGet(t, ds, "a")
	if got.Count != 1 || !reflect.DeepEqual(got.Tags, []string{"x", "y"}) {
		t.Fatalf("cache shares the put object: got %+v", got)
	}
	got.Tags[1] = "changed after get"

	list, err := ds.List(datastore.Key("obj"), newObj("", 0))
	if err != nil {
		t.Fatal(err)
	}
	l := list[0].(*testObj)
	if !reflect.DeepEqual(l.Tags, []string{"x", "y"}) {
		t.Fatalf("cache shares a got object: listed %+v", l)
	}
	l.Tags[0] = "changed after list"
	if again := mustGet(t, ds, "a"); !reflect.DeepEqual(again.Tags, []string{"x", "y"}) {
		t.Fatalf("cache shares a listed object: got %+v", again)
	}
}

// Once read, objects are served from memory: a write that bypasses the
// DataStore (straight to the boltdb file) is not seen, while writes
// through the DataStore are.
func TestCacheServesFromMemory(t *testing.T) {
	ds := openLocal(t, t.TempDir())
	for _, id := range []string{"a", "b"} {
		if err := ds.PutObjectAtomic(newObj(id, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ds.List(datastore.Key("obj"), newObj("", 0)); err != nil {
		t.Fatal(err)
	}
	// Behind the cache's back.
	if err := ds.KVStore().Put(datastore.Key("obj", "a"), newObj("a", 99).Value(), nil); err != nil {
		t.Fatal(err)
	}
	if err := ds.KVStore().Put(datastore.Key("obj", "z"), newObj("z", 99).Value(), nil); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, ds, "a"); got.Count != 1 {
		t.Fatalf("get went to disk: count %d, want cached 1", got.Count)
	}
	if _, err := get(t, ds, "z"); !errors.Is(err, datastore.ErrKeyNotFound) {
		t.Fatalf("get under a listed prefix went to disk: %v", err)
	}
	if list, _ := ds.List(datastore.Key("obj"), newObj("", 0)); len(list) != 2 {
		t.Fatalf("list went to disk: %d objects, want 2", len(list))
	}
}

// The cache follows every write made through the DataStore, and what it
// shows is what is on disk after a restart.
func TestCacheCoherence(t *testing.T) {
	dir := t.TempDir()
	ds := openLocal(t, dir)
	if _, err := ds.List(datastore.Key("obj"), newObj("", 0)); !errors.Is(err, datastore.ErrKeyNotFound) {
		t.Fatalf("empty list: %v", err)
	}
	// Writes under a prefix already loaded (empty) must show in the list.
	for i, id := range []string{"a", "b", "c", "d"} {
		if err := ds.PutObjectAtomic(newObj(id, i)); err != nil {
			t.Fatal(err)
		}
	}
	b := mustGet(t, ds, "b")
	b.Count = 20
	if err := ds.PutObjectAtomic(b); err != nil {
		t.Fatal(err)
	}
	if err := ds.DeleteObjectAtomic(mustGet(t, ds, "c")); err != nil {
		t.Fatal(err)
	}
	if err := ds.DeleteObject(mustGet(t, ds, "d")); err != nil {
		t.Fatal(err)
	}
	nested := &testObj{ID: "n", prefix: []string{"obj", "sub"}}
	if err := ds.PutObjectAtomic(nested); err != nil {
		t.Fatal(err)
	}
	if err := ds.DeleteTree(&testObj{prefix: []string{"obj", "sub"}}); err != nil {
		t.Fatal(err)
	}

	want := map[string]int{"a": 0, "b": 20}
	check := func(ds datastore.DataStore, when string) {
		t.Helper()
		list, err := ds.List(datastore.Key("obj"), newObj("", 0))
		if err != nil {
			t.Fatalf("%s: list: %v", when, err)
		}
		got := map[string]int{}
		for _, o := range list {
			got[o.(*testObj).ID] = o.(*testObj).Count
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %v, want %v", when, got, want)
		}
		for _, id := range []string{"c", "d"} {
			if _, err := get(t, ds, id); !errors.Is(err, datastore.ErrKeyNotFound) {
				t.Fatalf("%s: deleted %s: %v", when, id, err)
			}
		}
	}
	check(ds, "before restart")
	ds.Close()
	ds = openLocal(t, dir)
	check(ds, "after restart")
}

// A prefix that does not end in "/" is a plain string prefix and, once
// listed, is served from memory too.
func TestCacheOddPrefix(t *testing.T) {
	ds := openLocal(t, t.TempDir())
	for _, o := range []*testObj{newObj("a", 1), {ID: "b", prefix: []string{"objects"}}} {
		if err := ds.PutObjectAtomic(o); err != nil {
			t.Fatal(err)
		}
	}
	odd := datastore.KeyRoot + "obj"
	list, err := ds.List(odd, newObj("", 0))
	if err != nil || len(list) != 2 {
		t.Fatalf("list %q: %d objects, %v; want 2", odd, len(list), err)
	}
	if err := ds.KVStore().Put(datastore.Key("obj", "q"), newObj("q", 1).Value(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, ds, "q"); !errors.Is(err, datastore.ErrKeyNotFound) {
		t.Fatalf("get under listed odd prefix went to disk: %v", err)
	}
	// A narrower prefix is covered by the wider one.
	if l, err := ds.List(datastore.Key("obj"), newObj("", 0)); err != nil || len(l) != 1 {
		t.Fatalf("narrower list: %d, %v; want 1", len(l), err)
	}
}
