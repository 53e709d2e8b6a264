package bitseq

import (
	"math/bits"
	"slices"
)

const (
	wordBits = 64
	fullWord = ^uint64(0)
)

// run is count consecutive 64-bit words, starting at word start, that all
// hold block. Bit i of a word is ordinal word*64+i.
type run struct {
	start uint32
	count uint32
	block uint64
}

func (r run) end() uint32 { return r.start + r.count } // one past the last word

// state is the bitmap proper. Its runs cover [0, nwords) without gaps and are
// canonical: no two neighbouring runs hold the same block. Hence a full run is
// always followed by a run with a free bit, which makes the search for a free
// bit O(log runs). Padding bits past the last ordinal are kept set.
type state struct {
	bits       uint64 // number of ordinals
	unselected uint64 // number of free ordinals
	curr       uint64 // where the next serial search starts
	runs       []run
}

func nwords(nbits uint64) uint32 { return uint32((nbits + wordBits - 1) / wordBits) }

// paddingMask is the set of bits of the last word past the last ordinal.
func paddingMask(nbits uint64) uint64 {
	if r := nbits % wordBits; r != 0 {
		return fullWord << r
	}
	return 0
}

func newState(nbits uint64) state {
	n := nwords(nbits)
	s := state{bits: nbits, unselected: nbits}
	pad := paddingMask(nbits)
	if pad == 0 {
		s.runs = []run{{start: 0, count: n}}
		return s
	}
	if n > 1 {
		s.runs = append(s.runs, run{start: 0, count: n - 1})
	}
	s.runs = append(s.runs, run{start: n - 1, count: 1, block: pad})
	return s
}

func (s *state) clone() state {
	c := *s
	c.runs = slices.Clone(s.runs)
	return c
}

// find returns the index of the run holding word w.
func (s *state) find(w uint32) int {
	lo, hi := 0, len(s.runs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.runs[m].end() <= w {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (s *state) isSet(o uint64) bool {
	w := uint32(o / wordBits)
	return s.runs[s.find(w)].block&(1<<(o%wordBits)) != 0
}

// setWord gives word w (held by run i) the value nb, keeping runs canonical.
func (s *state) setWord(i int, w uint32, nb uint64) {
	r := s.runs[i]
	if r.block == nb {
		return
	}
	first, last := w == r.start, w == r.end()-1
	switch {
	case first && last:
		s.runs[i].block = nb
		if i+1 < len(s.runs) && s.runs[i+1].block == nb {
			s.runs[i].count += s.runs[i+1].count
			s.runs = slices.Delete(s.runs, i+1, i+2)
		}
		if i > 0 && s.runs[i-1].block == nb {
			s.runs[i-1].count += s.runs[i].count
			s.runs = slices.Delete(s.runs, i, i+1)
		}
	case first:
		s.runs[i].start++
		s.runs[i].count--
		if i > 0 && s.runs[i-1].block == nb {
			s.runs[i-1].count++
		} else {
			s.runs = slices.Insert(s.runs, i, run{start: w, count: 1, block: nb})
		}
	case last:
		s.runs[i].count--
		if i+1 < len(s.runs) && s.runs[i+1].block == nb {
			s.runs[i+1].start--
			s.runs[i+1].count++
		} else {
			s.runs = slices.Insert(s.runs, i+1, run{start: w, count: 1, block: nb})
		}
	default:
		s.runs[i].count = w - r.start
		s.runs = slices.Insert(s.runs, i+1,
			run{start: w, count: 1, block: nb},
			run{start: w + 1, count: r.end() - w - 1, block: r.block})
	}
}

// flip sets (on) or clears one ordinal; it reports false when the bit
// already had that value.
func (s *state) flip(o uint64, on bool) bool {
	w := uint32(o / wordBits)
	i := s.find(w)
	b := s.runs[i].block
	m := uint64(1) << (o % wordBits)
	if (b&m != 0) == on {
		return false
	}
	if on {
		s.setWord(i, w, b|m)
		s.unselected--
	} else {
		s.setWord(i, w, b&^m)
		s.unselected++
	}
	return true
}

// firstFree returns the lowest free ordinal in [from, to].
func (s *state) firstFree(from, to uint64) (uint64, bool) {
	w := uint32(from / wordBits)
	i := s.find(w)
	r := s.runs[i]
	var o uint64
	if free := ^r.block &^ (uint64(1)<<(from%wordBits) - 1); free != 0 {
		o = uint64(w)*wordBits + uint64(bits.TrailingZeros64(free))
	} else if r.block != fullWord && w+1 < r.end() {
		o = uint64(w+1)*wordBits + uint64(bits.TrailingZeros64(^r.block))
	} else {
		// Canonical runs: at most one full run precedes a run with a free bit.
		found := false
		for i++; i < len(s.runs); i++ {
			if b := s.runs[i].block; b != fullWord {
				o = uint64(s.runs[i].start)*wordBits + uint64(bits.TrailingZeros64(^b))
				found = true
				break
			}
		}
		if !found {
			return 0, false
		}
	}
	return o, o <= to
}

// setAny sets the lowest free ordinal in [start, end], or with serial the
// first free one at or after curr, wrapping to start.
func (s *state) setAny(start, end uint64, serial bool) (uint64, bool) {
	if s.unselected == 0 {
		return 0, false
	}
	from := start
	if serial && s.curr > start && s.curr <= end {
		from = s.curr
	}
	o, ok := s.firstFree(from, end)
	if !ok && from > start {
		o, ok = s.firstFree(start, from-1)
	}
	if !ok {
		return 0, false
	}
	s.flip(o, true)
	s.curr = o + 1
	if s.curr == s.bits {
		s.curr = 0
	}
	return o, true
}
