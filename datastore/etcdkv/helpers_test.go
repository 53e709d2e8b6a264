package etcdkv

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/docker/libkv/store"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

// open returns a Store on addr, closed at cleanup.
func open(t testing.TB, addr string, cfg *store.Config) *Store {
	t.Helper()
	if cfg == nil {
		cfg = &store.Config{ConnectionTimeout: 5 * time.Second}
	}
	s, err := New([]string{addr}, cfg)
	if err != nil {
		t.Fatalf("New(%s): %v", addr, err)
	}
	t.Cleanup(s.Close)
	return s
}

// server starts an etcd member and returns it with a Store on it.
func server(t testing.TB) (*testutils.Etcd, *Store) {
	t.Helper()
	e := testutils.StartEtcd(t, nil)
	return e, open(t, e.ClientAddr, nil)
}

// revisionOf is the cluster's current revision.
func revisionOf(t testing.TB, s *Store) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := s.cli.Get(ctx, "any")
	if err != nil {
		t.Fatalf("read revision: %v", err)
	}
	return resp.Header.Revision
}

// compact compacts the history up to the current revision.
func compact(t testing.TB, s *Store) int64 {
	t.Helper()
	rev := revisionOf(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.cli.Compact(ctx, rev, clientv3.WithCompactPhysical()); err != nil {
		t.Fatalf("compact at %d: %v", rev, err)
	}
	return rev
}

// proxy forwards TCP connections from a loopback port to target; Cut
// breaks every connection and refuses new ones until Heal.
type proxy struct {
	l      net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		l.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) Addr() string { return p.l.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.target, time.Second)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			_, _ = io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		go pipe(up, c)
		go pipe(c, up)
	}
}

// Cut closes every proxied connection and refuses new ones.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Heal accepts connections again.
func (p *proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// recvPair waits for one pair or the channel's close.
func recvPair(t testing.TB, ch <-chan *store.KVPair) (*store.KVPair, bool) {
	t.Helper()
	select {
	case p, ok := <-ch:
		return p, ok
	case <-time.After(15 * time.Second):
		t.Fatal("no watch event within 15s")
		return nil, false
	}
}

// recvList waits for one list or the channel's close.
func recvList(t testing.TB, ch <-chan []*store.KVPair) ([]*store.KVPair, bool) {
	t.Helper()
	select {
	case l, ok := <-ch:
		return l, ok
	case <-time.After(15 * time.Second):
		t.Fatal("no watch-tree event within 15s")
		return nil, false
	}
}

// keysOf lists a list's keys and values as "key=value".
func keysOf(l []*store.KVPair) []string {
	out := make([]string, 0, len(l))
	for _, p := range l {
		out = append(out, p.Key+"="+string(p.Value))
	}
	return out
}
