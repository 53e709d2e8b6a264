package etcdkv

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv"
	"github.com/docker/libkv/store"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestCRUD(t *testing.T) {
	_, s := server(t)

	if _, err := s.Get("a/b"); !errors.Is(err, store.ErrKeyNotFound) {
		t.Fatalf("get missing: %v, want ErrKeyNotFound", err)
	}
	if err := s.Delete("a/b"); !errors.Is(err, store.ErrKeyNotFound) {
		t.Fatalf("delete missing: %v, want ErrKeyNotFound", err)
	}
	if _, err := s.List("a"); !errors.Is(err, store.ErrKeyNotFound) {
		t.Fatalf("list missing: %v, want ErrKeyNotFound", err)
	}
	if ok, err := s.Exists("a/b"); ok || err != nil {
		t.Fatalf("exists missing: %v, %v", ok, err)
	}

	// Leading and trailing slashes name the same key.
	if err := s.Put("/a/b/", []byte("1"), nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a/b", "/a/b", "a/b/", "/a/b/"} {
		p, err := s.Get(k)
		if err != nil || string(p.Value) != "1" || p.Key != k {
			t.Fatalf("get %q: %+v, %v", k, p, err)
		}
		if ok, err := s.Exists(k); !ok || err != nil {
			t.Fatalf("exists %q: %v, %v", k, ok, err)
		}
	}
	// LastIndex is the etcd ModRevision.
	p, _ := s.Get("a/b")
	raw, err := s.cli.Get(context.Background(), "a/b")
	if err != nil || len(raw.Kvs) != 1 || uint64(raw.Kvs[0].ModRevision) != p.LastIndex {
		t.Fatalf("LastIndex %d, etcd %+v, %v", p.LastIndex, raw, err)
	}
	if err := s.Put("a/b", []byte("2"), nil); err != nil {
		t.Fatal(err)
	}
	if p2, _ := s.Get("a/b"); p2.LastIndex <= p.LastIndex || string(p2.Value) != "2" {
		t.Fatalf("after rewrite %+v, before %+v", p2, p)
	}

	// Directories: List returns what is below dir/, not dir, not siblings.
	for _, k := range []string{"a/c", "a/d/e", "a", "ab/x"} {
		if err := s.Put(k, []byte(k), nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{"a", []string{"a/b=2", "a/c=a/c", "a/d/e=a/d/e"}},
		{"/a/", []string{"/a/b/=2", "/a/c/=a/c", "/a/d/e/=a/d/e"}},
		{"a/d", []string{"a/d/e=a/d/e"}},
		{"", []string{"a=a", "a/b=2", "a/c=a/c", "a/d/e=a/d/e", "ab/x=ab/x"}},
	} {
		l, err := s.List(tc.dir)
		if err != nil || !reflect.DeepEqual(keysOf(l), tc.want) {
			t.Fatalf("list %q: %v, %v; want %v", tc.dir, keysOf(l), err, tc.want)
		}
	}

	if err := s.Delete("/a/c/"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Exists("a/c"); ok {
		t.Fatal("a/c exists after delete")
	}
	if err := s.DeleteTree("a/"); err != nil {
		t.Fatal(err)
	}
	if l, err := s.List(""); err != nil || !reflect.DeepEqual(keysOf(l), []string{"ab/x=ab/x"}) {
		t.Fatalf("after delete tree: %v, %v", keysOf(l), err)
	}
	if err := s.DeleteTree("nothing"); err != nil {
		t.Fatalf("delete tree of nothing: %v", err)
	}
	if _, err := s.Get("/"); !types.IsBadRequest(err) {
		t.Fatalf("get of empty key: %v, want BadRequest", err)
	}
}

func TestPutTTL(t *testing.T) {
	_, s := server(t)
	if err := s.Put("t", []byte("v"), &store.WriteOptions{TTL: 1500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	raw, err := s.cli.Get(context.Background(), "t")
	if err != nil || len(raw.Kvs) != 1 || raw.Kvs[0].Lease == 0 {
		t.Fatalf("key not on a lease: %+v, %v", raw, err)
	}
	ttl, err := s.cli.TimeToLive(context.Background(), clientv3.LeaseID(raw.Kvs[0].Lease))
	if err != nil || ttl.GrantedTTL != 2 {
		t.Fatalf("lease TTL %+v, %v; want granted 2s", ttl, err)
	}
}

func TestAtomic(t *testing.T) {
	_, s := server(t)
	ok, p1, err := s.AtomicPut("k", []byte("1"), nil, nil)
	if !ok || err != nil || string(p1.Value) != "1" {
		t.Fatalf("create: %v %+v %v", ok, p1, err)
	}
	if g, _ := s.Get("k"); g.LastIndex != p1.LastIndex {
		t.Fatalf("create returned index %d, key has %d", p1.LastIndex, g.LastIndex)
	}
	if _, _, err := s.AtomicPut("k", []byte("x"), nil, nil); !errors.Is(err, store.ErrKeyExists) {
		t.Fatalf("create over existing: %v, want ErrKeyExists", err)
	}
	ok, p2, err := s.AtomicPut("k", []byte("2"), p1, nil)
	if !ok || err != nil || p2.LastIndex <= p1.LastIndex {
		t.Fatalf("CAS with right index: %v %+v %v", ok, p2, err)
	}
	for _, tc := range []struct {
		name string
		key  string
		prev *store.KVPair
		want error
	}{
		{"stale index", "k", p1, store.ErrKeyModified},
		{"index zero", "k", &store.KVPair{}, store.ErrKeyModified},
		{"missing key", "gone", p2, store.ErrKeyNotFound},
		{"missing key index zero", "gone", &store.KVPair{}, store.ErrKeyNotFound},
	} {
		if ok, _, err := s.AtomicPut(tc.key, []byte("bad"), tc.prev, nil); ok || !errors.Is(err, tc.want) {
			t.Errorf("AtomicPut %s: %v %v, want %v", tc.name, ok, err, tc.want)
		}
		if tc.prev == nil {
			continue
		}
		if ok, err := s.AtomicDelete(tc.key, tc.prev); ok || !errors.Is(err, tc.want) {
			t.Errorf("AtomicDelete %s: %v %v, want %v", tc.name, ok, err, tc.want)
		}
	}
	if g, _ := s.Get("k"); string(g.Value) != "2" {
		t.Fatalf("failed CAS changed the value: %q", g.Value)
	}
	if _, err := s.AtomicDelete("k", nil); !errors.Is(err, store.ErrPreviousNotSpecified) {
		t.Fatalf("AtomicDelete nil previous: %v", err)
	}
	if ok, err := s.AtomicDelete("k", p2); !ok || err != nil {
		t.Fatalf("AtomicDelete right index: %v %v", ok, err)
	}
	if ok, _ := s.Exists("k"); ok {
		t.Fatal("k exists after AtomicDelete")
	}
}

// TestAtomicRace: two clients CAS the same key from the same read; in
// every round exactly one wins and the other gets ErrKeyModified.
func TestAtomicRace(t *testing.T) {
	e, a := server(t)
	b := open(t, e.ClientAddr, nil)
	clients := []*Store{a, b}

	// Create race.
	errs := race(clients, func(i int, c *Store) error {
		_, _, err := c.AtomicPut("ctr", []byte("0"), nil, nil)
		return err
	})
	if n := countNil(errs); n != 1 || !errors.Is(firstErr(errs), store.ErrKeyExists) {
		t.Fatalf("create race: %v; want one win, one ErrKeyExists", errs)
	}
	const rounds = 30
	for r := 1; r <= rounds; r++ {
		prev, err := a.Get("ctr")
		if err != nil {
			t.Fatal(err)
		}
		errs := race(clients, func(i int, c *Store) error {
			_, _, err := c.AtomicPut("ctr", []byte(fmt.Sprintf("%d-%d", r, i)), prev, nil)
			return err
		})
		if n := countNil(errs); n != 1 || !errors.Is(firstErr(errs), store.ErrKeyModified) {
			t.Fatalf("round %d: %v; want one win, one ErrKeyModified", r, errs)
		}
	}
}

// race runs fn on every client at once.
func race(clients []*Store, fn func(int, *Store) error) []error {
	errs := make([]error, len(clients))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, c := range clients {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = fn(i, c)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

func countNil(errs []error) int {
	n := 0
	for _, e := range errs {
		if e == nil {
			n++
		}
	}
	return n
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// TestLibkvProvider opens the store through libkv by provider name, with
// a comma-separated list of which the first endpoint is dead.
func TestLibkvProvider(t *testing.T) {
	e := testutils.StartEtcd(t, nil)
	Register()
	ks, err := libkv.NewStore(Backend, []string{"127.0.0.1:1," + e.ClientAddr}, &store.Config{ConnectionTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	if err := ks.Put("p", []byte("v"), nil); err != nil {
		t.Fatal(err)
	}
	if p, err := ks.Get("p"); err != nil || string(p.Value) != "v" {
		t.Fatalf("get through libkv: %+v, %v", p, err)
	}
}
