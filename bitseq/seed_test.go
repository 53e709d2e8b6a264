package bitseq

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func TestSetAnySeedFormIsLowestFree(t *testing.T) {
	h, err := NewHandle("t", nil, "seed", 200)
	if err != nil {
		t.Fatal(err)
	}
	for want := uint64(0); want < 3; want++ {
		if got, err := h.SetAny(); err != nil || got != want {
			t.Fatalf("SetAny = %d, %v; want %d", got, err, want)
		}
	}
	if err := h.Unset(1); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.SetAny(); got != 1 {
		t.Fatalf("SetAny after Unset(1) = %d, want 1 (lowest free, not serial)", got)
	}
	if got, err := h.SetAnyInRange(100, 150); err != nil || got != 100 {
		t.Fatalf("SetAnyInRange(100, 150) = %d, %v", got, err)
	}
	if err := h.Unset(100); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.SetAnyInRange(100, 150); got != 100 {
		t.Fatalf("SetAnyInRange after Unset(100) = %d, want 100", got)
	}
	if _, err := h.SetAnyInRange(150, 200); !types.IsBadRequest(err) {
		t.Fatalf("SetAnyInRange past the end: %v, want BadRequest", err)
	}
}

func TestHandleJSONRoundTrip(t *testing.T) {
	for _, n := range []uint64{1, 64, 100, 1 << 20} {
		h, err := NewHandle("app", newMemStore(), "json", n)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []uint64{0, n / 2, n - 1} {
			_ = h.Set(o)
		}
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		var got Handle
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("unmarshal %s: %v", b, err)
		}
		if got.app != h.app || got.id != h.id || got.index != h.index || got.exists != h.exists || !reflect.DeepEqual(got.st, h.st) {
			t.Fatalf("round trip of %d bits: got %s (index %d), want %s (index %d)", n, &got, got.index, h, h.index)
		}
	}
}

func TestHandleUnmarshalJSONBadCounts(t *testing.T) {
	h, _ := NewHandle("app", nil, "json", 100)
	b, _ := h.MarshalJSON()
	var m map[string]interface{}
	_ = json.Unmarshal(b, &m)
	for _, field := range []string{"bits", "unselected"} {
		bad := map[string]interface{}{}
		for k, v := range m {
			bad[k] = v
		}
		bad[field] = 7
		data, _ := json.Marshal(bad)
		dst, _ := NewHandle("keep", nil, "me", 10)
		if err := dst.UnmarshalJSON(data); !types.IsBadRequest(err) {
			t.Fatalf("%s 7: %v, want BadRequest", field, err)
		}
		if dst.app != "keep" || dst.Bits() != 10 {
			t.Fatalf("%s 7: handle changed by a failed unmarshal: %s", field, dst)
		}
	}
}

// corrupt breaks h's runs without changing its bits: the first run of two
// words or more is cut in two runs holding the same block, and the free
// count is off by one.
func corrupt(t *testing.T, h *Handle) {
	t.Helper()
	h.Lock()
	defer h.Unlock()
	for i, r := range h.st.runs {
		if r.count < 2 {
			continue
		}
		h.st.runs[i].count = 1
		h.st.runs = slices.Insert(h.st.runs, i+1, run{start: r.start + 1, count: r.count - 1, block: r.block})
		h.st.unselected++
		if h.st.check() == nil {
			t.Fatal("corruption not detected by check")
		}
		return
	}
	t.Fatal("no run to cut")
}

func TestCheckConsistency(t *testing.T) {
	setBits := []uint64{5, 700, 999}
	fill := func(t *testing.T, h *Handle) {
		for _, o := range setBits {
			if err := h.Set(o); err != nil {
				t.Fatal(err)
			}
		}
	}
	verify := func(t *testing.T, h *Handle) {
		t.Helper()
		checkInvariants(t, h)
		if got := h.Unselected(); got != 1000-uint64(len(setBits)) {
			t.Fatalf("unselected %d after repair", got)
		}
		for _, o := range setBits {
			if !h.IsSet(o) {
				t.Fatalf("bit %d lost by the repair", o)
			}
		}
	}
	t.Run("consistent", func(t *testing.T) {
		h, _ := NewHandle("t", nil, "ok", 1000)
		fill(t, h)
		before := h.st.clone()
		if err := h.CheckConsistency(); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(before, h.st) {
			t.Fatal("a consistent bitmap was changed")
		}
	})
	t.Run("no store: repaired in place", func(t *testing.T) {
		h, _ := NewHandle("t", nil, "mem", 1000)
		fill(t, h)
		corrupt(t, h)
		if err := h.CheckConsistency(); err != nil {
			t.Fatal(err)
		}
		verify(t, h)
	})
	t.Run("store: reloaded", func(t *testing.T) {
		ds := newMemStore()
		h, _ := NewHandle("t", ds, "db", 1000)
		fill(t, h)
		corrupt(t, h)
		puts := ds.puts
		if err := h.CheckConsistency(); err != nil {
			t.Fatal(err)
		}
		verify(t, h)
		if ds.puts != puts {
			t.Fatal("the store's good copy was rewritten")
		}
		if err := h.Set(1); err != nil { // the index is the store's again
			t.Fatalf("set after reload: %v", err)
		}
	})
	t.Run("unrepairable", func(t *testing.T) {
		h, _ := NewHandle("t", nil, "broken", 1000)
		h.Lock()
		h.st.runs[0].count += 5 // more words than the bitmap has
		h.Unlock()
		if err := h.CheckConsistency(); !types.IsInternal(err) {
			t.Fatalf("CheckConsistency = %v, want an InternalError", err)
		}
	})
}
