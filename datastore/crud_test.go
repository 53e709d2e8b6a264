package datastore_test

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

func TestPutGetListDelete(t *testing.T) {
	for _, sc := range scopes {
		t.Run(sc.name, func(t *testing.T) {
			ds := sc.open(t)

			if _, err := get(t, ds, "a"); !errors.Is(err, datastore.ErrKeyNotFound) || !types.IsNotFound(err) {
				t.Fatalf("get of missing key: got %v, want ErrKeyNotFound", err)
			}
			if _, err := ds.List(datastore.Key("obj"), newObj("", 0)); !errors.Is(err, datastore.ErrKeyNotFound) {
				t.Fatalf("list of empty prefix: got %v, want ErrKeyNotFound", err)
			}

			for i, id := range []string{"b", "a", "c"} {
				o := newObj(id, i, "t"+id)
				if err := ds.PutObjectAtomic(o); err != nil {
					t.Fatalf("put %s: %v", id, err)
				}
				if !o.Exists() || o.Index() == 0 {
					t.Fatalf("put %s: object not marked written (exists %v, index %d)", id, o.Exists(), o.Index())
				}
			}
			// A sibling whose key shares the prefix text but not the path.
			other := &testObj{ID: "x", prefix: []string{"objects"}}
			if err := ds.PutObjectAtomic(other); err != nil {
				t.Fatalf("put sibling: %v", err)
			}

			got := mustGet(t, ds, "a")
			if got.Count != 1 || !reflect.DeepEqual(got.Tags, []string{"ta"}) || !got.Exists() {
				t.Fatalf("get a: got %+v", got)
			}

			list, err := ds.List(datastore.Key("obj"), newObj("", 0))
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			var ids []string
			for _, o := range list {
				ids = append(ids, o.(*testObj).ID)
				if !o.Exists() || o.Index() == 0 {
					t.Fatalf("listed %s has no index", o.(*testObj).ID)
				}
			}
			if !reflect.DeepEqual(ids, []string{"a", "b", "c"}) {
				t.Fatalf("list ids: got %v, want [a b c] (sorted, sibling prefix excluded)", ids)
			}

			m, err := ds.Map(datastore.Key("obj"), newObj("", 0))
			if err != nil {
				t.Fatalf("map: %v", err)
			}
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			want := []string{datastore.Key("obj", "a"), datastore.Key("obj", "b"), datastore.Key("obj", "c")}
			if !reflect.DeepEqual(keys, want) {
				t.Fatalf("map keys: got %v, want %v", keys, want)
			}

			// Update with CAS, then delete.
			got.Count = 42
			if err := ds.PutObjectAtomic(got); err != nil {
				t.Fatalf("update a: %v", err)
			}
			if again := mustGet(t, ds, "a"); again.Count != 42 || again.Index() != got.Index() {
				t.Fatalf("after update: got count %d index %d, want 42 index %d", again.Count, again.Index(), got.Index())
			}
			if err := ds.DeleteObjectAtomic(got); err != nil {
				t.Fatalf("delete a: %v", err)
			}
			if _, err := get(t, ds, "a"); !errors.Is(err, datastore.ErrKeyNotFound) {
				t.Fatalf("get after delete: got %v", err)
			}
			b := mustGet(t, ds, "b")
			if err := ds.DeleteObject(b); err != nil {
				t.Fatalf("delete b: %v", err)
			}
			if err := ds.DeleteObject(b); err != nil {
				t.Fatalf("second delete of b: %v, want nil", err)
			}
			if list, _ := ds.List(datastore.Key("obj"), newObj("", 0)); len(list) != 1 {
				t.Fatalf("list after deletes: %d objects, want 1", len(list))
			}

			// DeleteTree removes the prefix and nothing beside it.
			if err := ds.DeleteTree(newObj("", 0)); err != nil {
				t.Fatalf("delete tree: %v", err)
			}
			if _, err := ds.List(datastore.Key("obj"), newObj("", 0)); !errors.Is(err, datastore.ErrKeyNotFound) {
				t.Fatalf("list after delete tree: got %v", err)
			}
			if _, err := get(t, ds, "c"); !errors.Is(err, datastore.ErrKeyNotFound) {
				t.Fatalf("get c after delete tree: got %v", err)
			}
			if err := ds.DeleteTree(newObj("", 0)); err != nil {
				t.Fatalf("delete of empty tree: %v", err)
			}
			o := &testObj{prefix: []string{"objects"}, ID: "x"}
			if err := ds.GetObject(datastore.Key(o.Key()...), o); err != nil {
				t.Fatalf("sibling prefix lost by delete tree: %v", err)
			}
		})
	}
}

func TestCASConflicts(t *testing.T) {
	type step func(t *testing.T, ds datastore.DataStore) error
	// Each case starts with object "a" (count 1) written; the step must fail
	// with wantErr and leave "a" as wantCount (0: absent).
	cases := []struct {
		name      string
		step      step
		conflict  bool
		notFound  bool
		wantCount int
	}{
		{"create existing", func(t *testing.T, ds datastore.DataStore) error {
			return ds.PutObjectAtomic(newObj("a", 9))
		}, true, false, 1},
		{"stale update", func(t *testing.T, ds datastore.DataStore) error {
			stale := mustGet(t, ds, "a")
			fresh := mustGet(t, ds, "a")
			fresh.Count = 2
			if err := ds.PutObjectAtomic(fresh); err != nil {
				t.Fatalf("fresh update: %v", err)
			}
			stale.Count = 9
			return ds.PutObjectAtomic(stale)
		}, true, false, 2},
		{"update of deleted", func(t *testing.T, ds datastore.DataStore) error {
			o := mustGet(t, ds, "a")
			if err := ds.DeleteObjectAtomic(mustGet(t, ds, "a")); err != nil {
				t.Fatalf("delete: %v", err)
			}
			o.Count = 9
			return ds.PutObjectAtomic(o)
		}, true, false, 0},
		{"stale delete", func(t *testing.T, ds datastore.DataStore) error {
			stale := mustGet(t, ds, "a")
			fresh := mustGet(t, ds, "a")
			fresh.Count = 3
			if err := ds.PutObjectAtomic(fresh); err != nil {
				t.Fatalf("fresh update: %v", err)
			}
			return ds.DeleteObjectAtomic(stale)
		}, true, false, 3},
		{"delete of never-read object", func(t *testing.T, ds datastore.DataStore) error {
			return ds.DeleteObjectAtomic(newObj("a", 0))
		}, true, false, 1},
		{"atomic delete of missing", func(t *testing.T, ds datastore.DataStore) error {
			o := mustGet(t, ds, "a")
			if err := ds.DeleteObject(o); err != nil {
				t.Fatalf("delete: %v", err)
			}
			return ds.DeleteObjectAtomic(o)
		}, false, true, 0},
	}
	for _, sc := range scopes {
		for _, tc := range cases {
			t.Run(sc.name+"/"+tc.name, func(t *testing.T) {
				ds := sc.open(t)
				if err := ds.PutObjectAtomic(newObj("a", 1)); err != nil {
					t.Fatalf("put: %v", err)
				}
				err := tc.step(t, ds)
				if tc.conflict && (!errors.Is(err, datastore.ErrKeyModified) || !types.IsConflict(err)) {
					t.Fatalf("got %v, want ErrKeyModified (ConflictError)", err)
				}
				if tc.notFound && (!errors.Is(err, datastore.ErrKeyNotFound) || !types.IsNotFound(err)) {
					t.Fatalf("got %v, want ErrKeyNotFound", err)
				}
				o, gerr := get(t, ds, "a")
				switch {
				case tc.wantCount == 0 && !errors.Is(gerr, datastore.ErrKeyNotFound):
					t.Fatalf("after failed step: got %+v, %v; want absent", o, gerr)
				case tc.wantCount != 0 && (gerr != nil || o.Count != tc.wantCount):
					t.Fatalf("after failed step: got %+v, %v; want count %d", o, gerr, tc.wantCount)
				}
			})
		}
	}
}

func TestSkipObjects(t *testing.T) {
	dir := t.TempDir()
	ds := openLocal(t, dir)
	o := newObj("s", 1)
	o.skip = true
	if err := ds.PutObjectAtomic(o); err != nil {
		t.Fatalf("put skip object: %v", err)
	}
	if got := mustGet(t, ds, "s"); got.Count != 1 {
		t.Fatalf("skip object not cached: %+v", got)
	}
	if ok, err := ds.KVStore().Exists(datastore.Key(o.Key()...)); err != nil || ok {
		t.Fatalf("skip object reached disk: exists %v, %v", ok, err)
	}
	stale := *o
	o.Count = 2
	if err := ds.PutObjectAtomic(o); err != nil {
		t.Fatalf("update skip object: %v", err)
	}
	if err := ds.PutObjectAtomic(&stale); !errors.Is(err, datastore.ErrKeyModified) {
		t.Fatalf("stale skip update: got %v, want ErrKeyModified", err)
	}
	ds.Close()
	ds = openLocal(t, dir)
	if _, err := get(t, ds, "s"); !errors.Is(err, datastore.ErrKeyNotFound) {
		t.Fatalf("skip object survived restart: %v", err)
	}
}

func TestBadObjects(t *testing.T) {
	ds := openLocal(t, t.TempDir())
	for name, err := range map[string]error{
		"put":         ds.PutObjectAtomic(nil),
		"delete":      ds.DeleteObject(nil),
		"atomic del":  ds.DeleteObjectAtomic(nil),
		"delete tree": ds.DeleteTree(nil),
	} {
		if !types.IsBadRequest(err) {
			t.Errorf("%s of nil: got %v, want BadRequestError", name, err)
		}
	}
	if _, err := ds.List(datastore.Key("obj"), nil); !types.IsBadRequest(err) {
		t.Errorf("list with nil object: got %v, want BadRequestError", err)
	}
	// A value that does not decode is an internal error naming the key.
	key := datastore.Key("obj", "bad")
	if err := ds.KVStore().Put(key, []byte("{not json"), nil); err != nil {
		t.Fatal(err)
	}
	err := ds.GetObject(key, newObj("bad", 0))
	if !types.IsInternal(err) || !strings.Contains(err.Error(), key) {
		t.Fatalf("get of undecodable value: got %v, want InternalError naming %s", err, key)
	}
}
