package bitseq

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzRoundTrip feeds arbitrary bytes to FromByteArray: invalid data must
// leave the bitmap unchanged; valid data must satisfy the invariants and
// serialise back to exactly the same bytes.
func FuzzRoundTrip(f *testing.F) {
	for _, n := range []uint64{1, 64, 100, 1000} {
		h, _ := NewHandle("fuzz", nil, "f", n)
		_ = h.Set(n - 1)
		_ = h.Set(n / 2)
		b, _ := h.ToByteArray()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, _ := NewHandle("fuzz", nil, "f", 10)
		before, _ := h.ToByteArray()
		if err := h.FromByteArray(data); err != nil {
			after, _ := h.ToByteArray()
			if !bytes.Equal(before, after) {
				t.Fatalf("failed FromByteArray changed the bitmap")
			}
			return
		}
		checkInvariants(t, h)
		out, _ := h.ToByteArray()
		if !bytes.Equal(out, data) {
			t.Fatalf("round trip: got %x, want %x", out, data)
		}
		// The decoded bitmap works: any free bit can be set and cleared.
		if h.Unselected() > 0 {
			o, err := h.SetAnySerial(true)
			if err != nil || !h.IsSet(o) {
				t.Fatalf("SetAny on decoded bitmap: %d, %v", o, err)
			}
			checkInvariants(t, h)
		}
	})
}

// maxFuzzOps bounds the operations of one FuzzSetUnset input.
const maxFuzzOps = 256

// FuzzSetUnset applies a sequence of operations, decoded from ops, to a
// bitmap of 1+size%4096 bits and checks them against a reference set.
func FuzzSetUnset(f *testing.F) {
	f.Add(uint16(100), []byte{0, 0, 5, 0, 0, 5, 1, 0, 5, 2, 0, 0, 3, 0, 0})
	f.Add(uint16(63), []byte{2, 0, 0, 2, 0, 0, 2, 0, 0, 1, 0, 1, 3, 0, 0, 3, 0, 0})
	f.Add(uint16(4095), []byte{0, 15, 255, 0, 0, 64, 0, 0, 63, 1, 0, 64, 4, 0, 60})
	f.Fuzz(func(t *testing.T, size uint16, ops []byte) {
		n := 1 + uint64(size)%4096
		h, err := NewHandle("fuzz", nil, "f", n)
		if err != nil {
			t.Fatal(err)
		}
		model := make([]bool, n+1) // model[n] stays false
		set := uint64(0)
		if len(ops) > 3*maxFuzzOps {
			ops = ops[:3*maxFuzzOps]
		}
		for len(ops) >= 3 {
			op := ops[0] % 5
			arg := uint64(binary.BigEndian.Uint16(ops[1:3]))
			ops = ops[3:]
			o := arg % (n + 1) // sometimes out of range
			switch op {
			case 0:
				err := h.Set(o)
				if want := o < n && !model[o]; (err == nil) != want {
					t.Fatalf("Set(%d) = %v, want success %v", o, err, want)
				}
				if err == nil {
					model[o] = true
					set++
				}
			case 1:
				err := h.Unset(o)
				if want := o < n && model[o]; (err == nil) != want {
					t.Fatalf("Unset(%d) = %v, want success %v", o, err, want)
				}
				if err == nil {
					model[o] = false
					set--
				}
			case 2, 3:
				got, err := h.SetAnySerial(op == 3)
				if err != nil {
					if set != n {
						t.Fatalf("SetAny failed with %d of %d set: %v", set, n, err)
					}
					continue
				}
				if model[got] || got >= n {
					t.Fatalf("SetAny handed out %d (set %v)", got, model[got])
				}
				if op == 2 {
					for i := range got {
						if !model[i] {
							t.Fatalf("SetAny(lowest) = %d but %d is free", got, i)
						}
					}
				}
				model[got] = true
				set++
			case 4:
				start := o % n
				end := start + arg%(n-start)
				got, err := h.SetAnyInRangeSerial(start, end, arg%2 == 0)
				if err == nil {
					if model[got] || got < start || got > end {
						t.Fatalf("SetAnyInRange(%d,%d) = %d", start, end, got)
					}
					model[got] = true
					set++
				} else {
					for i := start; i <= end; i++ {
						if !model[i] {
							t.Fatalf("SetAnyInRange(%d,%d) failed but %d is free: %v", start, end, i, err)
						}
					}
				}
			}
			if h.Unselected() != n-set {
				t.Fatalf("Unselected = %d, want %d", h.Unselected(), n-set)
			}
			if h.IsSet(o) != model[o] {
				t.Fatalf("IsSet(%d) = %v, want %v", o, h.IsSet(o), model[o])
			}
		}
		checkInvariants(t, h)
		b, _ := h.ToByteArray()
		h2, _ := NewHandle("fuzz", nil, "g", 1)
		if err := h2.FromByteArray(b); err != nil {
			t.Fatalf("FromByteArray(ToByteArray()) = %v", err)
		}
		for o := range n {
			if h2.IsSet(o) != model[o] {
				t.Fatalf("bit %d differs after round trip", o)
			}
		}
	})
}
