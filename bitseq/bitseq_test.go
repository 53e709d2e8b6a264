package bitseq

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func newH(t testing.TB, n uint64) *Handle {
	t.Helper()
	h, err := NewHandle("test", nil, "h", n)
	if err != nil {
		t.Fatalf("NewHandle(%d): %v", n, err)
	}
	return h
}

func TestNewHandleSize(t *testing.T) {
	for _, n := range []uint64{0, MaxBits + 1} {
		_, err := NewHandle("test", nil, "h", n)
		if !types.IsBadRequest(err) || !strings.Contains(err.Error(), "bits") {
			t.Errorf("NewHandle(%d) = %v, want BadRequest", n, err)
		}
	}
	for _, n := range []uint64{1, 63, 64, 65, 1000, MaxBits} {
		h := newH(t, n)
		if h.Bits() != n || h.Unselected() != n {
			t.Errorf("NewHandle(%d): Bits %d, Unselected %d", n, h.Bits(), h.Unselected())
		}
		checkInvariants(t, h)
	}
}

func TestSetUnset(t *testing.T) {
	for _, n := range []uint64{1, 64, 65, 200, MaxBits} {
		h := newH(t, n)
		for _, o := range []uint64{0, n / 2, n - 1, n / 3} {
			if h.IsSet(o) {
				continue // n/2 and n/3 may coincide for small n
			}
			if err := h.Set(o); err != nil {
				t.Fatalf("n=%d Set(%d): %v", n, o, err)
			}
			if !h.IsSet(o) {
				t.Fatalf("n=%d: %d not set after Set", n, o)
			}
			err := h.Set(o)
			if !errors.Is(err, ErrBitAllocated) || !types.IsForbidden(err) {
				t.Fatalf("n=%d: second Set(%d) = %v, want ErrBitAllocated", n, o, err)
			}
			checkInvariants(t, h)
		}
		for _, o := range []uint64{0, n - 1} {
			if o == 0 && n == 1 {
				continue // n-1 == 0: unset once below
			}
			if err := h.Unset(o); err != nil {
				t.Fatalf("n=%d Unset(%d): %v", n, o, err)
			}
			if h.IsSet(o) {
				t.Fatalf("n=%d: %d set after Unset", n, o)
			}
			err := h.Unset(o)
			if !errors.Is(err, ErrBitNotAllocated) || !types.IsNotFound(err) {
				t.Fatalf("n=%d: second Unset(%d) = %v, want ErrBitNotAllocated", n, o, err)
			}
			checkInvariants(t, h)
		}
	}
}

func TestOutOfRange(t *testing.T) {
	h := newH(t, 100)
	before := h.String()
	for name, err := range map[string]error{
		"Set":   h.Set(100),
		"Unset": h.Unset(1000),
	} {
		if !types.IsBadRequest(err) {
			t.Errorf("%s out of range = %v, want BadRequest", name, err)
		}
	}
	if err := h.Set(100); !strings.Contains(err.Error(), "100") {
		t.Errorf("error %q does not name the ordinal", err)
	}
	for _, r := range [][2]uint64{{5, 4}, {0, 100}, {200, 300}} {
		_, err := h.SetAnyInRangeSerial(r[0], r[1], false)
		if !types.IsBadRequest(err) {
			t.Errorf("SetAnyInRange(%d, %d) = %v, want BadRequest", r[0], r[1], err)
		}
	}
	if h.IsSet(100) {
		t.Errorf("IsSet out of range = true")
	}
	if after := h.String(); after != before {
		t.Errorf("bad input changed state:\n%s\n%s", before, after)
	}
}

func TestSetAnyFillAndExhaust(t *testing.T) {
	for _, n := range []uint64{1, 64, 65, 1000} {
		h := newH(t, n)
		for i := range n {
			o, err := h.SetAnySerial(false)
			if err != nil || o != i {
				t.Fatalf("n=%d: SetAny = %d, %v; want %d", n, o, err, i)
			}
		}
		if h.Unselected() != 0 {
			t.Fatalf("n=%d: Unselected = %d after fill", n, h.Unselected())
		}
		before := h.String()
		for _, serial := range []bool{false, true} {
			_, err := h.SetAnySerial(serial)
			if !errors.Is(err, ErrNoBitAvailable) || !types.IsNoService(err) {
				t.Fatalf("n=%d: SetAny on full = %v, want ErrNoBitAvailable", n, err)
			}
		}
		if after := h.String(); after != before {
			t.Fatalf("failed SetAny changed state:\n%s\n%s", before, after)
		}
		checkInvariants(t, h)
		if len(h.st.runs) != 1 {
			t.Errorf("n=%d: full bitmap has %d runs, want 1", n, len(h.st.runs))
		}
		for i := range n {
			if err := h.Unset(i); err != nil {
				t.Fatal(err)
			}
		}
		checkInvariants(t, h)
		if h.Unselected() != n {
			t.Fatalf("n=%d: Unselected = %d after release", n, h.Unselected())
		}
	}
}

func TestSerial(t *testing.T) {
	h := newH(t, 10)
	for i := range uint64(4) {
		if o, err := h.SetAnySerial(true); err != nil || o != i {
			t.Fatalf("SetAny(serial) = %d, %v; want %d", o, err, i)
		}
	}
	if err := h.Unset(1); err != nil {
		t.Fatal(err)
	}
	if o, _ := h.SetAnySerial(true); o != 4 {
		t.Fatalf("serial after releasing 1 = %d, want 4", o)
	}
	if o, _ := h.SetAnySerial(false); o != 1 {
		t.Fatalf("lowest free = %d, want 1", o)
	}
	for i := uint64(6); i < 10; i++ {
		if err := h.Set(i); err != nil {
			t.Fatal(err)
		}
	}
	// Free: 5. Serial resumes after 1 (last handed out) and finds 5.
	if o, _ := h.SetAnySerial(true); o != 5 {
		t.Fatalf("serial = %d, want 5", o)
	}
	if err := h.Unset(0); err != nil {
		t.Fatal(err)
	}
	if err := h.Unset(3); err != nil {
		t.Fatal(err)
	}
	// Cursor is 6: wraps to 0.
	if o, _ := h.SetAnySerial(true); o != 0 {
		t.Fatalf("serial wrap = %d, want 0", o)
	}
	if o, _ := h.SetAnySerial(true); o != 3 {
		t.Fatalf("serial = %d, want 3", o)
	}
	checkInvariants(t, h)
}

func TestSetAnyInRange(t *testing.T) {
	h := newH(t, 1000)
	for i := uint64(100); i < 200; i++ {
		o, err := h.SetAnyInRangeSerial(100, 199, false)
		if err != nil || o != i {
			t.Fatalf("SetAnyInRange = %d, %v; want %d", o, err, i)
		}
	}
	if _, err := h.SetAnyInRangeSerial(100, 199, true); !errors.Is(err, ErrNoBitAvailable) {
		t.Fatalf("full range: %v", err)
	}
	// Cursor (200) is outside [500, 600]: serial starts at 500.
	if o, _ := h.SetAnyInRangeSerial(500, 600, true); o != 500 {
		t.Fatalf("serial in range = %d, want 500", o)
	}
	if o, _ := h.SetAnyInRangeSerial(500, 600, true); o != 501 {
		t.Fatalf("serial in range = %d, want 501", o)
	}
	if o, _ := h.SetAnyInRangeSerial(0, 999, false); o != 0 {
		t.Fatalf("lowest = %d, want 0", o)
	}
	if o, _ := h.SetAnyInRangeSerial(999, 999, false); o != 999 {
		t.Fatalf("single = %d, want 999", o)
	}
	checkInvariants(t, h)
}

func TestLargeBitmap(t *testing.T) {
	h := newH(t, MaxBits)
	last := MaxBits - 1
	if err := h.Set(last); err != nil {
		t.Fatal(err)
	}
	if o, err := h.SetAnyInRangeSerial(last-1, last, true); err != nil || o != last-1 {
		t.Fatalf("SetAnyInRange near the end = %d, %v", o, err)
	}
	// The cursor wrapped to 0.
	if o, _ := h.SetAnySerial(true); o != 0 {
		t.Fatalf("serial after the last bit = %d, want 0", o)
	}
	if h.Unselected() != MaxBits-3 {
		t.Fatalf("Unselected = %d", h.Unselected())
	}
	checkInvariants(t, h)
	if len(h.st.runs) > 4 {
		t.Errorf("%d runs for 3 bits set", len(h.st.runs))
	}
}

// TestAgainstModel runs random operations against a plain bool slice.
func TestAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []uint64{1, 7, 64, 130, 1000} {
		h := newH(t, n)
		model := make([]bool, n)
		free := n
		for range 5000 {
			o := rng.Uint64N(n)
			switch rng.IntN(4) {
			case 0:
				err := h.Set(o)
				if (err == nil) == model[o] {
					t.Fatalf("n=%d Set(%d) = %v with model %v", n, o, err, model[o])
				}
				if err == nil {
					model[o] = true
					free--
				}
			case 1:
				err := h.Unset(o)
				if (err == nil) != model[o] {
					t.Fatalf("n=%d Unset(%d) = %v with model %v", n, o, err, model[o])
				}
				if err == nil {
					model[o] = false
					free++
				}
			case 2:
				start := rng.Uint64N(n)
				end := start + rng.Uint64N(n-start)
				got, err := h.SetAnyInRangeSerial(start, end, false)
				want, ok := uint64(0), false
				for i := start; i <= end; i++ {
					if !model[i] {
						want, ok = i, true
						break
					}
				}
				if ok != (err == nil) || (ok && got != want) {
					t.Fatalf("n=%d SetAnyInRange(%d,%d) = %d, %v; want %d, %v", n, start, end, got, err, want, ok)
				}
				if ok {
					model[got] = true
					free--
				}
			case 3:
				got, err := h.SetAnySerial(true)
				if err == nil {
					if model[got] {
						t.Fatalf("serial handed out set bit %d", got)
					}
					model[got] = true
					free--
				} else if free != 0 {
					t.Fatalf("serial failed with %d free: %v", free, err)
				}
			}
			if h.Unselected() != free {
				t.Fatalf("Unselected = %d, model %d", h.Unselected(), free)
			}
		}
		checkInvariants(t, h)
		for i, v := range model {
			if h.IsSet(uint64(i)) != v {
				t.Fatalf("n=%d IsSet(%d) != %v", n, i, v)
			}
		}
	}
}

func TestConcurrentSetAny(t *testing.T) {
	const n, workers = 20000, 8
	h := newH(t, n)
	var mu sync.Mutex
	seen := make(map[uint64]bool, n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				o, err := h.SetAnySerial(w%2 == 0)
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
	if len(seen) != n || h.Unselected() != 0 {
		t.Fatalf("handed out %d bits, Unselected %d", len(seen), h.Unselected())
	}
	checkInvariants(t, h)
}

func TestByteArrayRoundTrip(t *testing.T) {
	h := newH(t, 1000)
	for _, o := range []uint64{0, 1, 2, 64, 500, 999} {
		if err := h.Set(o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.SetAnySerial(true); err != nil {
		t.Fatal(err)
	}
	b, err := h.ToByteArray()
	if err != nil {
		t.Fatal(err)
	}
	h2 := newH(t, 5)
	if err := h2.FromByteArray(b); err != nil {
		t.Fatal(err)
	}
	if h2.Bits() != 1000 || h2.Unselected() != h.Unselected() {
		t.Fatalf("restored Bits %d Unselected %d", h2.Bits(), h2.Unselected())
	}
	b2, _ := h2.ToByteArray()
	if !bytes.Equal(b, b2) {
		t.Fatalf("round trip differs")
	}
	checkInvariants(t, h2)
	if o, _ := h2.SetAnySerial(true); o != 4 {
		t.Fatalf("restored serial cursor handed out %d, want 4", o)
	}
}

func TestFromByteArrayInvalid(t *testing.T) {
	valid, _ := newH(t, 100).ToByteArray()
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), valid...)) }
	cases := map[string][]byte{
		"empty":      nil,
		"short":      valid[:5],
		"version":    mut(func(b []byte) []byte { b[0] = 9; return b }),
		"zero bits":  mut(func(b []byte) []byte { copy(b[1:9], make([]byte, 8)); return b }),
		"cursor":     mut(func(b []byte) []byte { b[16] = 200; return b }),
		"truncated":  valid[:len(valid)-1],
		"no padding": mut(func(b []byte) []byte { b[len(b)-8] = 0; return b }),
		"extra run":  append(append([]byte(nil), valid...), valid[headerLen:headerLen+runLen]...),
	}
	h := newH(t, 64)
	if err := h.Set(3); err != nil {
		t.Fatal(err)
	}
	before := h.String()
	for name, b := range cases {
		if err := h.FromByteArray(b); !types.IsBadRequest(err) {
			t.Errorf("%s: FromByteArray = %v, want BadRequest", name, err)
		}
		if after := h.String(); after != before {
			t.Fatalf("%s: invalid data changed state", name)
		}
	}
}

func TestString(t *testing.T) {
	h := newH(t, 128)
	if err := h.Set(0); err != nil {
		t.Fatal(err)
	}
	s := h.String()
	for _, want := range []string{"Bits: 128", "Unselected: 127", "(0x1, 1)->(0x0, 1)"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q, missing %q", s, want)
		}
	}
}
