package memkv_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore/memkv"
	"github.com/docker/libkv"
	"github.com/docker/libkv/store"
)

func TestMain(m *testing.M) {
	memkv.Register()
	m.Run()
}

func TestAtomicOps(t *testing.T) {
	c := memkv.NewServer().Client()
	defer c.Close()
	_, p1, err := c.AtomicPut("k", []byte("v1"), nil, nil)
	if err != nil || p1.LastIndex == 0 || string(p1.Value) != "v1" {
		t.Fatalf("create: %+v %v", p1, err)
	}
	cases := []struct {
		name string
		op   func() error
		want error
	}{
		{"create existing", func() error { _, _, err := c.AtomicPut("k", []byte("x"), nil, nil); return err }, store.ErrKeyExists},
		{"put stale", func() error {
			_, _, err := c.AtomicPut("k", []byte("x"), &store.KVPair{LastIndex: p1.LastIndex + 1}, nil)
			return err
		}, store.ErrKeyModified},
		{"put missing", func() error {
			_, _, err := c.AtomicPut("nokey", []byte("x"), &store.KVPair{LastIndex: 1}, nil)
			return err
		}, store.ErrKeyNotFound},
		{"delete stale", func() error {
			_, err := c.AtomicDelete("k", &store.KVPair{LastIndex: p1.LastIndex + 1})
			return err
		}, store.ErrKeyModified},
		{"delete missing", func() error { _, err := c.AtomicDelete("nokey", &store.KVPair{}); return err }, store.ErrKeyNotFound},
		{"delete no previous", func() error { _, err := c.AtomicDelete("k", nil); return err }, store.ErrPreviousNotSpecified},
		{"plain delete missing", func() error { return c.Delete("nokey") }, store.ErrKeyNotFound},
		{"get missing", func() error { _, err := c.Get("nokey"); return err }, store.ErrKeyNotFound},
	}
	for _, tc := range cases {
		if err := tc.op(); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if p, err := c.Get("/k"); err != nil || string(p.Value) != "v1" || p.LastIndex != p1.LastIndex {
			t.Fatalf("%s changed k: %+v %v", tc.name, p, err)
		}
	}
	_, p2, err := c.AtomicPut("k", []byte("v2"), p1, nil)
	if err != nil || p2.LastIndex <= p1.LastIndex {
		t.Fatalf("update: %+v %v", p2, err)
	}
	if ok, err := c.AtomicDelete("k", p2); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if ok, _ := c.Exists("k"); ok {
		t.Fatal("k exists after delete")
	}
}

func TestListAndDeleteTree(t *testing.T) {
	c := memkv.NewServer().Client()
	defer c.Close()
	for _, k := range []string{"d/b", "d/a", "d/sub/c", "e/x"} {
		if err := c.Put(k, []byte(k), nil); err != nil {
			t.Fatal(err)
		}
	}
	l, err := c.List("d/")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range l {
		keys = append(keys, p.Key)
	}
	if !reflect.DeepEqual(keys, []string{"d/a", "d/b", "d/sub/c"}) {
		t.Fatalf("list: %v", keys)
	}
	if err := c.DeleteTree("d/"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.List("d/"); !errors.Is(err, store.ErrKeyNotFound) {
		t.Fatalf("list after delete tree: %v", err)
	}
	if _, err := c.Get("e/x"); err != nil {
		t.Fatalf("delete tree went beyond its prefix: %v", err)
	}
}

func TestWatchAndWatchTree(t *testing.T) {
	srv := memkv.NewServer()
	a, b := srv.Client(), srv.Client()
	defer a.Close()
	defer b.Close()
	stop := make(chan struct{})
	defer close(stop)

	kc, err := b.Watch("d/k", stop)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := b.WatchTree("d/", stop)
	if err != nil {
		t.Fatal(err)
	}
	if l := <-tc; len(l) != 0 {
		t.Fatalf("first tree event: %v, want empty", l)
	}
	if err := a.Put("d/k", []byte("1"), nil); err != nil {
		t.Fatal(err)
	}
	if p := <-kc; string(p.Value) != "1" {
		t.Fatalf("watch: %+v", p)
	}
	if l := <-tc; len(l) != 1 || string(l[0].Value) != "1" {
		t.Fatalf("tree event: %v", l)
	}
	if err := a.Delete("d/k"); err != nil {
		t.Fatal(err)
	}
	if l := <-tc; len(l) != 0 {
		t.Fatalf("tree event after delete: %v", l)
	}
	// Writes to other keys are not reported on the key watch.
	if err := a.Put("other", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Put("d/k", []byte("2"), nil); err != nil {
		t.Fatal(err)
	}
	if p := <-kc; string(p.Value) != "2" {
		t.Fatalf("watch after re-create: %+v", p)
	}
	b.Close()
	for range kc {
	}
	for range tc {
	}
}

func TestLock(t *testing.T) {
	srv := memkv.NewServer()
	a, b := srv.Client(), srv.Client()
	defer b.Close()
	la, _ := a.NewLock("lock", &store.LockOptions{Value: []byte("a")})
	lb, _ := b.NewLock("lock", &store.LockOptions{Value: []byte("b")})
	lost, err := la.Lock(nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	close(stop)
	if _, err := lb.Lock(stop); !errors.Is(err, store.ErrCannotLock) {
		t.Fatalf("lock held elsewhere, stopped: %v", err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := lb.Lock(nil)
		got <- err
	}()
	a.Close() // releases a's lock
	<-lost
	if err := <-got; err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	if p, err := b.Get("lock"); err != nil || string(p.Value) != "b" {
		t.Fatalf("lock value: %+v %v", p, err)
	}
	if err := lb.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := lb.Unlock(); !errors.Is(err, store.ErrCannotLock) {
		t.Fatalf("second unlock: %v", err)
	}
}

func TestFaultsAndRegistry(t *testing.T) {
	srv := memkv.Serve(t.Name())
	c, err := libkv.NewStore(memkv.Backend, []string{t.Name()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv.SetFault(memkv.Refuse)
	if err := c.Put("k", nil, nil); !errors.Is(err, store.ErrNotReachable) {
		t.Fatalf("refused put: %v", err)
	}
	srv.SetFault(memkv.Hang)
	done := make(chan error, 1)
	go func() { done <- c.Put("k", []byte("v"), nil) }()
	select {
	case err := <-done:
		t.Fatalf("hung put returned %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	srv.SetFault(memkv.Healthy)
	if err := <-done; err != nil {
		t.Fatalf("put released by healing: %v", err)
	}
	if p, err := c.Get("k"); err != nil || string(p.Value) != "v" {
		t.Fatalf("get: %+v %v", p, err)
	}

	// A hung call ends when its client closes.
	srv.SetFault(memkv.Hang)
	c2 := srv.Client()
	go func() { _, err := c2.Get("k"); done <- err }()
	c2.Close()
	if err := <-done; !errors.Is(err, store.ErrNotReachable) {
		t.Fatalf("hung get after close: %v", err)
	}
	srv.SetFault(memkv.Healthy)

	srv.Stop()
	if _, err := libkv.NewStore(memkv.Backend, []string{t.Name()}, nil); !errors.Is(err, store.ErrNotReachable) {
		t.Fatalf("client of stopped server: %v", err)
	}
}
