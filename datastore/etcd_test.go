package datastore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

// openEtcd opens a global datastore on the etcd at addr, as the
// controller does from config.OptionKVProvider("etcd") and
// config.OptionKVProviderURL(addr).
func openEtcd(t testing.TB, addr string, timeout time.Duration) datastore.DataStore {
	t.Helper()
	cfg := config.New(
		config.OptionKVProvider("etcd"),
		config.OptionKVProviderURL(addr),
		config.OptionKVConfig(&store.Config{ConnectionTimeout: timeout}),
	)
	ds, err := datastore.NewDataStore(datastore.GlobalScope, cfg.Scopes[datastore.GlobalScope])
	if err != nil {
		t.Fatalf("open etcd datastore %s: %v", addr, err)
	}
	t.Cleanup(ds.Close)
	return ds
}

// TestEtcdTwoHosts: two datastores on one etcd act as two hosts of a
// cluster: objects written on one are read, listed and watched on the
// other, and CAS between them conflicts typed.
func TestEtcdTwoHosts(t *testing.T) {
	e := testutils.StartEtcd(t, nil)
	h1 := openEtcd(t, "etcd://"+e.ClientAddr, 5*time.Second)
	h2 := openEtcd(t, e.ClientAddr, 5*time.Second)
	if !h2.Watchable() {
		t.Fatal("etcd datastore not watchable")
	}

	o := newObj("net1", 1, "a")
	if err := h1.PutObjectAtomic(o); err != nil {
		t.Fatal(err)
	}
	if !o.Exists() || o.Index() == 0 {
		t.Fatalf("after create: exists %v index %d", o.Exists(), o.Index())
	}
	got := mustGet(t, h2, "net1")
	if got.Count != 1 || got.Index() != o.Index() || len(got.Tags) != 1 {
		t.Fatalf("read on host 2: %+v, want count 1 index %d", got, o.Index())
	}

	stop := make(chan struct{})
	defer close(stop)
	ch, err := h2.Watch(newObj("net1", 0), stop)
	if err != nil {
		t.Fatal(err)
	}
	if w, ok := recv(t, ch); !ok || w.Count != 1 {
		t.Fatalf("watch first event: %+v %v", w, ok)
	}

	// Host 1 updates; host 2's stale copy loses the CAS.
	o.Count = 2
	if err := h1.PutObjectAtomic(o); err != nil {
		t.Fatal(err)
	}
	if w, ok := recv(t, ch); !ok || w.Count != 2 || w.Index() != o.Index() {
		t.Fatalf("watch after update: %+v %v; want count 2 index %d", w, ok, o.Index())
	}
	got.Count = 99
	err = h2.PutObjectAtomic(got)
	if !errors.Is(err, datastore.ErrKeyModified) || !types.IsConflict(err) {
		t.Fatalf("stale CAS from host 2: %v, want ErrKeyModified (Conflict)", err)
	}
	// A second create of the same key conflicts too.
	if err := h2.PutObjectAtomic(newObj("net1", 7)); !errors.Is(err, datastore.ErrKeyModified) {
		t.Fatalf("second create: %v, want ErrKeyModified", err)
	}

	if err := h2.PutObjectAtomic(newObj("net2", 5)); err != nil {
		t.Fatal(err)
	}
	list, err := h1.List(datastore.Key(newObj("", 0).KeyPrefix()...), newObj("", 0))
	if err != nil || len(list) != 2 {
		t.Fatalf("list on host 1: %v, %v", list, err)
	}
	for _, l := range list {
		if l.(*testObj).ID == "net1" && l.Index() != o.Index() {
			t.Fatalf("listed net1 index %d, want %d", l.Index(), o.Index())
		}
	}
	if err := h1.DeleteObjectAtomic(o); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, h2, "net1"); !errors.Is(err, datastore.ErrKeyNotFound) {
		t.Fatalf("get after delete on host 2: %v", err)
	}
}

// TestEtcdDown: with etcd stopped, datastore calls fail within the call
// timeout with a NoService error naming the address (Timeout too when
// etcd did not answer); once etcd is back they work again.
func TestEtcdDown(t *testing.T) {
	e := testutils.StartEtcd(t, nil)
	const timeout = time.Second
	ds := openEtcd(t, e.ClientAddr, timeout)
	o := newObj("a", 1)
	if err := ds.PutObjectAtomic(o); err != nil {
		t.Fatal(err)
	}
	e.Kill()
	start := time.Now()
	_, err := get(t, ds, "a")
	d := time.Since(start)
	if !types.IsNoService(err) || !errors.Is(err, datastore.ErrNotReachable) || !strings.Contains(err.Error(), e.ClientAddr) {
		t.Fatalf("get with etcd down: %v; want NoService ErrNotReachable naming %s", err, e.ClientAddr)
	}
	if d > timeout+500*time.Millisecond {
		t.Fatalf("get failed after %v, bound %v", d, timeout)
	}
	t.Logf("after %v: %v (timeout: %v)", d, err, types.IsTimeout(err))
	o.Count = 2
	if err := ds.PutObjectAtomic(o); !types.IsNoService(err) {
		t.Fatalf("put with etcd down: %v", err)
	}
	e.Start()
	if got := mustGet(t, ds, "a"); got.Count != 1 {
		t.Fatalf("after etcd is back: %+v", got)
	}
}

// TestEtcdProviderErrors: bad etcd addresses are BadRequest errors from
// NewDataStore, naming the value.
func TestEtcdProviderErrors(t *testing.T) {
	for _, addr := range []string{"ftp://h:2379", "h:99999", "http://:2379"} {
		cfg := config.New(config.OptionKVProvider("etcd"), config.OptionKVProviderURL(addr))
		_, err := datastore.NewDataStore(datastore.GlobalScope, cfg.Scopes[datastore.GlobalScope])
		if !types.IsBadRequest(err) || !strings.Contains(err.Error(), strings.SplitN(addr, ",", 2)[0]) {
			t.Errorf("%s: %v, want BadRequest naming it", addr, err)
		}
	}
}

// TestEtcdTLSConfig: the seed's kv TLS options (config.OptionKVOpts) give
// a datastore that talks to an etcd requiring client certificates.
func TestEtcdTLSConfig(t *testing.T) {
	p := testutils.NewPKI(t)
	e := testutils.StartEtcd(t, p.EtcdTLS(p.ClientTLS(t)))
	cfg := config.New(
		config.OptionKVProvider("etcd"),
		config.OptionKVProviderURL(e.ClientAddr),
		config.OptionKVOpts(map[string]string{
			config.KVCACertFile: p.CA, config.KVCertFile: p.ClientCert, config.KVKeyFile: p.ClientKey,
		}),
	)
	ds, err := datastore.NewDataStore(datastore.GlobalScope, cfg.Scopes[datastore.GlobalScope])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ds.Close)
	if err := ds.PutObjectAtomic(newObj("tls", 3)); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, ds, "tls"); got.Count != 3 {
		t.Fatalf("read back %+v", got)
	}
}
