package etcdkv

import (
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/docker/libkv/store"
)

func TestWatch(t *testing.T) {
	e, s := server(t)
	w := open(t, e.ClientAddr, nil)

	// A missing key: nothing until it is written.
	stop := make(chan struct{})
	ch, err := w.Watch("/w/k/", stop)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if err := s.Put("w/k", []byte(strconv.Itoa(i)), nil); err != nil {
			t.Fatal(err)
		}
		cur, _ := s.Get("w/k")
		p, ok := recvPair(t, ch)
		if !ok || string(p.Value) != strconv.Itoa(i) || p.LastIndex != cur.LastIndex || p.Key != "/w/k/" {
			t.Fatalf("event %d: %+v %v; want value %d index %d", i, p, ok, i, cur.LastIndex)
		}
	}
	// Deletion is not reported; the re-created key is.
	if err := s.Delete("w/k"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("w/k", []byte("again"), nil); err != nil {
		t.Fatal(err)
	}
	if p, ok := recvPair(t, ch); !ok || string(p.Value) != "again" {
		t.Fatalf("after re-create: %+v %v", p, ok)
	}

	// A present key: its current value first.
	ch2, err := w.Watch("w/k", make(chan struct{}))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := recvPair(t, ch2); !ok || string(p.Value) != "again" {
		t.Fatalf("first event of a present key: %+v %v", p, ok)
	}

	close(stop)
	if _, ok := recvPair(t, ch); ok {
		t.Fatal("watch open after stop")
	}
	w.Close()
	if _, ok := recvPair(t, ch2); ok {
		t.Fatal("watch open after Close")
	}
}

func TestWatchTree(t *testing.T) {
	_, s := server(t)
	if err := s.Put("d/a", []byte("1"), nil); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	ch, err := s.WatchTree("d/", stop)
	if err != nil {
		t.Fatal(err)
	}
	want := func(step string, keys ...string) {
		t.Helper()
		l, ok := recvList(t, ch)
		if !ok || !reflect.DeepEqual(keysOf(l), append([]string{}, keys...)) {
			t.Fatalf("%s: %v %v; want %v", step, keysOf(l), ok, keys)
		}
	}
	want("current", "d/a/=1")
	if err := s.Put("d/b", []byte("2"), nil); err != nil {
		t.Fatal(err)
	}
	want("after put", "d/a/=1", "d/b/=2")
	if err := s.Put("dx", []byte("sibling"), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("d/a", []byte("3"), nil); err != nil {
		t.Fatal(err)
	}
	want("after update (sibling ignored)", "d/a/=3", "d/b/=2")
	if err := s.Delete("d/b"); err != nil {
		t.Fatal(err)
	}
	want("after delete", "d/a/=3")
	if err := s.DeleteTree("d"); err != nil {
		t.Fatal(err)
	}
	want("after delete tree")
	close(stop)
	if _, ok := recvList(t, ch); ok {
		t.Fatal("watch tree open after stop")
	}
}

// TestWatchCompaction: while writes keep coming, the watcher's
// connection is cut, the history compacted past what it saw, and the
// connection healed, three times; each time the watches resume (through
// ErrCompacted and a re-read), and they end with the final value, never
// seeing a duplicate or going back.
func TestWatchCompaction(t *testing.T) {
	e, s := server(t)
	px := newProxy(t, e.ClientAddr)
	w := open(t, px.Addr(), nil)
	if err := s.Put("c/k", []byte("0"), nil); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	kch, err := w.Watch("c/k", stop)
	if err != nil {
		t.Fatal(err)
	}
	tch, err := w.WatchTree("c", stop)
	if err != nil {
		t.Fatal(err)
	}
	km, tm := &monitor{last: -1}, &monitor{last: -1}
	go func() {
		for p := range kch {
			km.see(string(p.Value))
		}
	}()
	go func() {
		var prev []*store.KVPair
		for l := range tch {
			if prev != nil && samePairs(prev, l) {
				tm.fail(fmt.Errorf("list %v sent twice", keysOf(l)))
			}
			prev = l
			for _, p := range l {
				if p.Key == "c/k" && string(p.Value) != tm.value() {
					tm.see(string(p.Value))
				}
			}
		}
	}()

	var written atomic.Int64
	halt := make(chan struct{})
	writerDone := make(chan error, 1)
	go func() {
		for i := 1; i <= 20000; i++ {
			select {
			case <-halt:
				writerDone <- nil
				return
			default:
			}
			if err := s.Put("c/k", []byte(strconv.Itoa(i)), nil); err != nil {
				writerDone <- err
				return
			}
			if err := s.Put(fmt.Sprintf("c/n%d", i%5), []byte(strconv.Itoa(i)), nil); err != nil {
				writerDone <- err
				return
			}
			written.Store(int64(i))
		}
		writerDone <- nil
	}()
	caughtUp := func(what string) {
		t.Helper()
		target := written.Load()
		testutils.Eventually(t, what, 15*time.Second, testutils.Holds(func() bool {
			return km.latest() >= target && tm.latest() >= target
		}))
		// ... and then deliver the changes one by one while they come.
		kn, tn := km.count(), tm.count()
		testutils.Eventually(t, what+": live changes", 15*time.Second, testutils.Holds(func() bool {
			return km.count() >= kn+20 && tm.count() >= tn+20
		}))
	}
	caughtUp("watches follow the writes")
	for round := 1; round <= 3; round++ {
		px.Cut()
		from := revisionOf(t, s)
		testutils.Eventually(t, "writes go on while the watcher is cut off", 10*time.Second,
			testutils.Holds(func() bool { return revisionOf(t, s) > from+20 }))
		compact(t, s)
		px.Heal()
		caughtUp(fmt.Sprintf("watches resume after compaction %d", round))
	}
	close(halt)
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	final := written.Load()
	testutils.Eventually(t, "watches end with the final value", 15*time.Second, testutils.Holds(func() bool {
		return km.latest() == final && tm.latest() == final
	}))
	for name, m := range map[string]*monitor{"watch": km, "watch tree": tm} {
		if err := m.error(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("%s: %d values seen, final %d of %d", name, m.count(), m.latest(), final)
	}
	t.Logf("re-reads after compaction: %d", w.resyncs.Load())
	if n := w.resyncs.Load(); n < 2*3 {
		t.Fatalf("%d watch re-reads after compaction, want one per watch per round (6)", n)
	}
}

// monitor records the values a watch delivers and the first duplicate or
// regression.
type monitor struct {
	mu   sync.Mutex
	last int64
	n    int
	bad  error
}

func (m *monitor) see(v string) {
	i, err := strconv.ParseInt(v, 10, 64)
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case err != nil && m.bad == nil:
		m.bad = fmt.Errorf("bad value %q", v)
	case i <= m.last && m.bad == nil:
		m.bad = fmt.Errorf("value %d after %d (duplicate or regression)", i, m.last)
	}
	m.last, m.n = i, m.n+1
}

func (m *monitor) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bad == nil {
		m.bad = err
	}
}

func (m *monitor) value() string { return strconv.FormatInt(m.latest(), 10) }

func (m *monitor) latest() int64 { m.mu.Lock(); defer m.mu.Unlock(); return m.last }
func (m *monitor) count() int    { m.mu.Lock(); defer m.mu.Unlock(); return m.n }
func (m *monitor) error() error  { m.mu.Lock(); defer m.mu.Unlock(); return m.bad }

// TestWatchRestart: etcd killed by PID and restarted on the same data
// dir and port; the open watches deliver the later changes.
func TestWatchRestart(t *testing.T) {
	e, s := server(t)
	w := open(t, e.ClientAddr, nil)
	if err := s.Put("r/k", []byte("before"), nil); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	kch, err := w.Watch("r/k", stop)
	if err != nil {
		t.Fatal(err)
	}
	tch, err := w.WatchTree("r", stop)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := recvPair(t, kch); !ok || string(p.Value) != "before" {
		t.Fatalf("first: %+v %v", p, ok)
	}
	if l, ok := recvList(t, tch); !ok || len(l) != 1 {
		t.Fatalf("first list: %v %v", keysOf(l), ok)
	}
	e.Kill()
	e.Start()
	if err := s.Put("r/k", []byte("after"), nil); err != nil {
		t.Fatal(err)
	}
	if p, ok := recvPair(t, kch); !ok || string(p.Value) != "after" {
		t.Fatalf("after restart: %+v %v", p, ok)
	}
	if l, ok := recvList(t, tch); !ok || !reflect.DeepEqual(keysOf(l), []string{"r/k=after"}) {
		t.Fatalf("list after restart: %v %v", keysOf(l), ok)
	}
}
