package datastore_test

import (
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore/memkv"
	"github.com/cnmkit/libnetwork/types"
)

// PutObject writes over a newer version; PutObjectAtomic would refuse.
func TestPutObjectIgnoresIndex(t *testing.T) {
	for _, sc := range scopes {
		t.Run(sc.name, func(t *testing.T) {
			ds := sc.open(t)
			first := newObj("a", 1)
			if err := ds.PutObject(first); err != nil {
				t.Fatalf("put new object: %v", err)
			}
			if !first.Exists() {
				t.Fatal("object does not exist after PutObject")
			}
			newer := mustGet(t, ds, "a")
			newer.Count = 2
			if err := ds.PutObjectAtomic(newer); err != nil {
				t.Fatal(err)
			}
			first.Count = 3 // first's index is stale now
			if err := ds.PutObjectAtomic(first); !types.IsConflict(err) {
				t.Fatalf("atomic put with a stale index: %v, want a conflict", err)
			}
			if err := ds.PutObject(first); err != nil {
				t.Fatalf("put with a stale index: %v", err)
			}
			got := mustGet(t, ds, "a")
			if got.Count != 3 || got.Index() != first.Index() {
				t.Fatalf("after PutObject: count %d index %d, want 3 index %d", got.Count, got.Index(), first.Index())
			}
			// The index given by PutObject is good for the next CAS.
			first.Count = 4
			if err := ds.PutObjectAtomic(first); err != nil {
				t.Fatalf("atomic put after PutObject: %v", err)
			}
		})
	}
}

func TestActiveFollowsReachability(t *testing.T) {
	srv := memkv.Serve(t.Name())
	t.Cleanup(srv.Stop)
	ds := openGlobal(t, t.Name(), 5*time.Second)
	if !ds.Active() {
		t.Fatal("new store not active")
	}
	srv.SetFault(memkv.Refuse)
	if err := ds.PutObject(newObj("a", 1)); !types.IsNoService(err) {
		t.Fatalf("put on refusing store: %v, want NoService", err)
	}
	if ds.Active() {
		t.Fatal("store active while its backend refuses calls")
	}
	srv.SetFault(memkv.Healthy)
	if err := ds.PutObject(newObj("a", 1)); err != nil {
		t.Fatal(err)
	}
	if !ds.Active() {
		t.Fatal("store inactive after a successful call")
	}
	ds.Close()
	if ds.Active() {
		t.Fatal("closed store active")
	}
}
