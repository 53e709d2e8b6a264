package bitseq

import "testing"

func benchSetAny(b *testing.B, serial bool) {
	const n = 1 << 16
	h, _ := NewHandle("bench", nil, "b", n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.SetAnySerial(serial); err != nil {
			b.StopTimer()
			h, _ = NewHandle("bench", nil, "b", n)
			b.StartTimer()
		}
	}
}

// BenchmarkSetAny fills a 2^16-bit bitmap, starting over when it is full.
func BenchmarkSetAny(b *testing.B) { benchSetAny(b, false) }

// BenchmarkSetAnySerial is BenchmarkSetAny in serial mode.
func BenchmarkSetAnySerial(b *testing.B) { benchSetAny(b, true) }

// BenchmarkSetUnsetFragmented sets and unsets bits in a bitmap with one bit
// in three set (thousands of runs).
func BenchmarkSetUnsetFragmented(b *testing.B) {
	const n = 1 << 16
	h, _ := NewHandle("bench", nil, "b", n)
	for i := uint64(0); i < n; i += 3 {
		_ = h.Set(i)
	}
	b.ReportAllocs()
	i := uint64(1)
	for b.Loop() {
		_ = h.Set(i)
		_ = h.Unset(i)
		i = (i + 3) % n
	}
}
