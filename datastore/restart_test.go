package datastore_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/datastore/memkv"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/docker/libkv"
	"github.com/docker/libkv/store"
)

// cutBackend is a libkv backend over memkv whose watches the test can
// end, as a lost connection ends them.
const cutBackend store.Backend = "memkv-cut"

var (
	cutOnce  sync.Once
	cutMu    sync.Mutex
	cutFeeds = map[string]*cutStore{}
)

type cutStore struct {
	*memkv.Store
	mu  sync.Mutex
	cut chan struct{} // closed to end the current watches
}

func (c *cutStore) cutWatches() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.cut)
	c.cut = make(chan struct{})
}

func (c *cutStore) Watch(key string, stopCh <-chan struct{}) (<-chan *store.KVPair, error) {
	c.mu.Lock()
	cut := c.cut
	c.mu.Unlock()
	inner := make(chan struct{})
	src, err := c.Store.Watch(key, inner)
	if err != nil {
		return nil, err
	}
	out := make(chan *store.KVPair)
	go func() {
		defer close(out)
		defer close(inner)
		for {
			select {
			case p, ok := <-src:
				if !ok {
					return
				}
				select {
				case out <- p:
				case <-cut:
					return
				case <-stopCh:
					return
				}
			case <-cut:
				return
			case <-stopCh:
				return
			}
		}
	}()
	return out, nil
}

// openCut opens a global store whose watches the returned store can cut.
func openCut(t *testing.T) (datastore.DataStore, *cutStore) {
	cutOnce.Do(func() {
		libkv.AddStore(cutBackend, func(addrs []string, _ *store.Config) (store.Store, error) {
			cutMu.Lock()
			defer cutMu.Unlock()
			return cutFeeds[addrs[0]], nil
		})
	})
	cs := &cutStore{Store: memkv.NewServer().Client(), cut: make(chan struct{})}
	cutMu.Lock()
	cutFeeds[t.Name()] = cs
	cutMu.Unlock()
	ds, err := datastore.NewDataStore(datastore.GlobalScope, &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{
		Provider: string(cutBackend), Address: t.Name(), Config: &store.Config{ConnectionTimeout: 5 * time.Second},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ds.Close)
	return ds, cs
}

func TestRestartWatch(t *testing.T) {
	ds, cs := openCut(t)
	o := newObj("a", 1)
	if err := ds.PutObjectAtomic(o); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	ch, err := ds.Watch(newObj("a", 0), stop)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := recv(t, ch); !ok || got.Count != 1 {
		t.Fatalf("first event %+v, %v", got, ok)
	}

	cs.cutWatches()
	testutils.Eventually(t, "store inactive after its watch was cut", 10*time.Second, func() error {
		if ds.Active() {
			return errors.New("still active")
		}
		return nil
	})
	o.Count = 2
	if err := ds.PutObjectAtomic(o); err != nil {
		t.Fatal(err)
	}
	select {
	case got, ok := <-ch:
		t.Fatalf("event before RestartWatch: %+v, %v", got, ok)
	default:
	}

	ds.RestartWatch()
	if !ds.Active() {
		t.Fatal("store inactive after RestartWatch")
	}
	got, ok := recv(t, ch)
	if !ok || got.Count != 2 || got.Index() != o.Index() {
		t.Fatalf("event after RestartWatch: %+v, %v; want count 2 index %d", got, ok, o.Index())
	}
	o.Count = 3
	if err := ds.PutObjectAtomic(o); err != nil {
		t.Fatal(err)
	}
	if got, ok := recv(t, ch); !ok || got.Count != 3 {
		t.Fatalf("event after restart: %+v, %v; want count 3", got, ok)
	}
}
