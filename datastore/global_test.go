package datastore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/datastore/memkv"
	"github.com/cnmkit/libnetwork/types"
)

// recv waits for one object from ch, failing after a generous deadline.
func recv(t *testing.T, ch <-chan datastore.KVObject) (*testObj, bool) {
	t.Helper()
	select {
	case o, ok := <-ch:
		if !ok {
			return nil, false
		}
		return o.(*testObj), true
	case <-time.After(10 * time.Second):
		t.Fatal("no watch event within 10s")
		return nil, false
	}
}

func TestWatch(t *testing.T) {
	srv := memkv.Serve(t.Name())
	t.Cleanup(srv.Stop)
	writer := openGlobal(t, t.Name(), 5*time.Second)
	watcher := openGlobal(t, t.Name(), 5*time.Second)
	if !watcher.Watchable() {
		t.Fatal("global memkv store not watchable")
	}

	o := newObj("a", 1)
	if err := writer.PutObjectAtomic(o); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	ch, err := watcher.Watch(newObj("a", 0), stop)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	if got, ok := recv(t, ch); !ok || got.Count != 1 || got.Index() != o.Index() {
		t.Fatalf("first event: %+v, %v; want current state count 1 index %d", got, ok, o.Index())
	}
	for i := 2; i <= 4; i++ {
		o.Count = i
		if err := writer.PutObjectAtomic(o); err != nil {
			t.Fatal(err)
		}
		got, ok := recv(t, ch)
		if !ok || got.Count != i || got.Index() != o.Index() {
			t.Fatalf("event %d: %+v, %v; want count %d index %d", i, got, ok, i, o.Index())
		}
	}
	close(stop)
	for {
		if _, ok := recv(t, ch); !ok {
			break // closed after stop
		}
	}
}

func TestWatchEndsWithStore(t *testing.T) {
	srv := memkv.Serve(t.Name())
	t.Cleanup(srv.Stop)
	ds := openGlobal(t, t.Name(), 5*time.Second)
	ch, err := ds.Watch(newObj("a", 0), make(chan struct{}))
	if err != nil {
		t.Fatal(err)
	}
	ds.Close()
	if _, ok := recv(t, ch); ok {
		t.Fatal("watch channel open after Close")
	}
}

func TestLocalNotWatchable(t *testing.T) {
	ds := openLocal(t, t.TempDir())
	if ds.Watchable() {
		t.Fatal("local store claims Watchable")
	}
	if _, err := ds.Watch(newObj("a", 0), make(chan struct{})); !types.IsNotImplemented(err) {
		t.Fatalf("local watch: got %v, want NotImplementedError", err)
	}
}

// An unreachable store is a NoServiceError within the call bound, whether
// it refuses or hangs, at open or on any call.
func TestUnreachable(t *testing.T) {
	const bound = 100 * time.Millisecond
	calls := map[string]func(ds datastore.DataStore) error{
		"get": func(ds datastore.DataStore) error {
			return ds.GetObject(datastore.Key("obj", "a"), newObj("a", 0))
		},
		"put": func(ds datastore.DataStore) error { return ds.PutObjectAtomic(newObj("b", 1)) },
		// A hung write completes once the server heals: leave "a" alone.
		"delete": func(ds datastore.DataStore) error { return ds.DeleteObject(newObj("other", 0)) },
		"list": func(ds datastore.DataStore) error {
			_, err := ds.List(datastore.Key("obj"), newObj("", 0))
			return err
		},
		"watch": func(ds datastore.DataStore) error {
			_, err := ds.Watch(newObj("a", 0), make(chan struct{}))
			return err
		},
	}
	for _, fault := range []memkv.Fault{memkv.Refuse, memkv.Hang} {
		for name, call := range calls {
			t.Run(map[memkv.Fault]string{memkv.Refuse: "refuse", memkv.Hang: "hang"}[fault]+"/"+name, func(t *testing.T) {
				srv := memkv.Serve(t.Name())
				t.Cleanup(srv.Stop)
				ds := openGlobal(t, t.Name(), bound)
				if err := ds.PutObjectAtomic(newObj("a", 1)); err != nil {
					t.Fatal(err)
				}
				srv.SetFault(fault)
				// Release hung backend calls before the store closes.
				t.Cleanup(func() { srv.SetFault(memkv.Healthy) })

				errCh := make(chan error, 1)
				go func() { errCh <- call(ds) }()
				var err error
				select {
				case err = <-errCh:
				case <-time.After(30 * time.Second):
					t.Fatal("call hung")
				}
				if !errors.Is(err, datastore.ErrNotReachable) || !types.IsNoService(err) {
					t.Fatalf("got %v, want ErrNotReachable (NoServiceError)", err)
				}

				srv.SetFault(memkv.Healthy)
				if got := mustGet(t, ds, "a"); got.Count != 1 {
					t.Fatalf("after recovery: %+v", got)
				}
			})
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	t.Run("unknown server", func(t *testing.T) {
		_, err := datastore.NewDataStore(datastore.GlobalScope, globalCfg("no-such-server", time.Second))
		if !types.IsNoService(err) {
			t.Fatalf("got %v, want NoServiceError", err)
		}
	})
	t.Run("hanging server", func(t *testing.T) {
		srv := memkv.Serve(t.Name())
		t.Cleanup(srv.Stop)
		srv.SetFault(memkv.Hang)
		t.Cleanup(func() { srv.SetFault(memkv.Healthy) })
		_, err := datastore.NewDataStore(datastore.GlobalScope, globalCfg(t.Name(), 100*time.Millisecond))
		if !errors.Is(err, datastore.ErrNotReachable) || !strings.Contains(err.Error(), t.Name()) {
			t.Fatalf("got %v, want ErrNotReachable naming the address", err)
		}
	})
}

func TestGlobalSkipIsNotWritten(t *testing.T) {
	srv := memkv.Serve(t.Name())
	t.Cleanup(srv.Stop)
	ds := openGlobal(t, t.Name(), time.Second)
	o := newObj("a", 1)
	o.skip = true
	if err := ds.PutObjectAtomic(o); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, ds, "a"); !errors.Is(err, datastore.ErrKeyNotFound) {
		t.Fatalf("skip object written to global store: %v", err)
	}
}
