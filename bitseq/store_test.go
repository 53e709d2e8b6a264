package bitseq

import (
	"errors"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

func TestStoreCreateAndLoad(t *testing.T) {
	ds := newMemStore()
	h, err := NewHandle("app", ds, "net1", 300)
	if err != nil {
		t.Fatal(err)
	}
	key := datastore.Key("app", "net1")
	if !ds.has(key) || !h.Exists() {
		t.Fatalf("NewHandle did not write %s", key)
	}
	for _, o := range []uint64{5, 6, 299} {
		if err := h.Set(o); err != nil {
			t.Fatal(err)
		}
	}
	// A second handle on the same key loads the stored bitmap.
	h2, err := NewHandle("app", ds, "net1", 300)
	if err != nil {
		t.Fatal(err)
	}
	if !h2.IsSet(5) || !h2.IsSet(299) || h2.Unselected() != 297 || h2.Index() != h.Index() {
		t.Fatalf("loaded handle differs: %s vs %s", h2, h)
	}
	if err := h.Destroy(); err != nil {
		t.Fatal(err)
	}
	if ds.has(key) {
		t.Fatalf("Destroy left %s", key)
	}
}

// TestStoreCAS has two handles (two hosts) on one stored bitmap: each change
// from a stale handle conflicts, is retried on fresh state and never loses
// the other handle's bits.
func TestStoreCAS(t *testing.T) {
	ds := newMemStore()
	a, err := NewHandle("app", ds, "ids", 100)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewHandle("app", ds, "ids", 100)
	if err != nil {
		t.Fatal(err)
	}
	oa, err := a.SetAnySerial(false)
	if err != nil || oa != 0 {
		t.Fatalf("a.SetAny = %d, %v", oa, err)
	}
	// b has not seen a's write: its first attempt conflicts.
	ob, err := b.SetAnySerial(false)
	if err != nil || ob != 1 {
		t.Fatalf("b.SetAny = %d, %v; want 1", ob, err)
	}
	// b is stale about bit 1 being free in a's view: Set(1) on a must fail
	// after a refresh, and Unset(1) on a must succeed after one.
	if err := a.Set(1); !errors.Is(err, ErrBitAllocated) {
		t.Fatalf("a.Set(1) = %v, want ErrBitAllocated", err)
	}
	if err := b.Unset(0); err != nil {
		t.Fatalf("b.Unset(0) = %v", err)
	}
	if err := a.Set(0); err != nil {
		t.Fatalf("a.Set(0) after b released it = %v", err)
	}
	c, _ := NewHandle("app", ds, "ids", 100)
	if !c.IsSet(0) || !c.IsSet(1) || c.Unselected() != 98 {
		t.Fatalf("stored bitmap: %s", c)
	}
}

func TestStoreConcurrentHandles(t *testing.T) {
	ds := newMemStore()
	const n = 200
	hs := make([]*Handle, 4)
	for i := range hs {
		h, err := NewHandle("app", ds, "shared", n)
		if err != nil {
			t.Fatal(err)
		}
		hs[i] = h
	}
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	for _, h := range hs {
		wg.Go(func() {
			for {
				o, err := h.SetAnySerial(true)
				if err != nil {
					if !errors.Is(err, ErrNoBitAvailable) {
						t.Errorf("SetAny: %v", err)
					}
					return
				}
				mu.Lock()
				if seen[o] {
					t.Errorf("bit %d handed out twice", o)
				}
				seen[o] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("handed out %d bits, want %d", len(seen), n)
	}
}

func TestKVObject(t *testing.T) {
	h := newH(t, 70)
	if err := h.Set(69); err != nil {
		t.Fatal(err)
	}
	n := h.New().(*Handle)
	if err := n.SetValue(h.Value()); err != nil {
		t.Fatal(err)
	}
	if !n.IsSet(69) || n.Bits() != 70 || n.Key()[1] != "h" || n.KeyPrefix()[0] != "test" {
		t.Fatalf("SetValue(Value()) = %s", n)
	}
	if err := n.SetValue([]byte("{")); !types.IsBadRequest(err) {
		t.Fatalf("SetValue(garbage) = %v", err)
	}
	var c Handle
	if err := h.CopyTo(&c); err != nil {
		t.Fatal(err)
	}
	if err := h.Unset(69); err != nil {
		t.Fatal(err)
	}
	if !c.IsSet(69) {
		t.Fatalf("CopyTo shares state with the source")
	}
	if h.Skip() || h.DataScope() != datastore.LocalScope {
		t.Fatalf("Skip %v DataScope %s", h.Skip(), h.DataScope())
	}
}
