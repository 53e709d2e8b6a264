package etcdkv

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

// TestDown: with etcd stopped every call fails within the timeout with a
// typed error naming the address; when etcd is back the same Store works.
func TestDown(t *testing.T) {
	e := testutils.StartEtcd(t, nil)
	const timeout = time.Second
	s := open(t, e.ClientAddr, &store.Config{ConnectionTimeout: timeout})
	if err := s.Put("k", []byte("v"), nil); err != nil {
		t.Fatal(err)
	}
	prev, _ := s.Get("k")
	e.Kill()
	l, _ := s.NewLock("lk", nil)
	calls := map[string]func() error{
		"put":           func() error { return s.Put("k", []byte("x"), nil) },
		"put ttl":       func() error { return s.Put("k", []byte("x"), &store.WriteOptions{TTL: time.Minute}) },
		"get":           func() error { _, err := s.Get("k"); return err },
		"delete":        func() error { return s.Delete("k") },
		"exists":        func() error { _, err := s.Exists("k"); return err },
		"list":          func() error { _, err := s.List("k"); return err },
		"delete tree":   func() error { return s.DeleteTree("k") },
		"atomic put":    func() error { _, _, err := s.AtomicPut("k", nil, prev, nil); return err },
		"atomic delete": func() error { _, err := s.AtomicDelete("k", prev); return err },
		"watch":         func() error { _, err := s.Watch("k", make(chan struct{})); return err },
		"watch tree":    func() error { _, err := s.WatchTree("k", make(chan struct{})); return err },
		"lock":          func() error { _, err := l.Lock(make(chan struct{})); return err },
	}
	type outcome struct {
		name string
		err  error
		d    time.Duration
	}
	res := make(chan outcome, len(calls))
	for name, call := range calls {
		go func() {
			start := time.Now()
			err := call()
			res <- outcome{name, err, time.Since(start)}
		}()
	}
	for range calls {
		o := <-res
		name, err, d := o.name, o.err, o.d
		if name == "get" {
			t.Logf("get with etcd down, after %v: %v", d, err)
		}
		switch {
		case err == nil:
			t.Errorf("%s: succeeded with etcd down", name)
		case !(types.IsNoService(err) || types.IsTimeout(err)) || !errors.Is(err, store.ErrNotReachable):
			t.Errorf("%s: %v; want NoService or Timeout wrapping store.ErrNotReachable", name, err)
		case !strings.Contains(err.Error(), e.ClientAddr):
			t.Errorf("%s: %v does not name %s", name, err, e.ClientAddr)
		case d > timeout+500*time.Millisecond:
			t.Errorf("%s: failed after %v, bound %v", name, d, timeout)
		}
	}
	e.Start()
	if p, err := s.Get("k"); err != nil || string(p.Value) != "v" {
		t.Fatalf("after etcd is back: %+v %v", p, err)
	}
}
