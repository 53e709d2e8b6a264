package bitseq

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// CheckConsistency checks the bitmap's run-length invariants (runs cover
// every word in order, no two neighbours hold the same block, padding bits
// set, free count and cursor right). An inconsistent bitmap is replaced by
// the datastore's copy when there is one, else repaired in place (and
// written back to the datastore if it has none). An error means the bitmap
// could not be made consistent.
func (h *Handle) CheckConsistency() error {
	h.Lock()
	defer h.Unlock()
	bad := h.st.check()
	if bad == nil {
		return nil
	}
	log := logrus.WithFields(logrus.Fields{"app": h.app, "id": h.id})
	log.WithError(bad).Warn("bitseq: inconsistent bitmap")
	if h.store != nil {
		err := h.reloadLocked()
		if err == nil {
			log.Info("bitseq: inconsistent bitmap replaced by the datastore's copy")
			return nil
		}
		if !isNotFound(err) {
			return fmt.Errorf("bitseq %s/%s: %w; reload from the datastore: %w", h.app, h.id, bad, err)
		}
	}
	fixed, err := h.st.repaired()
	if err != nil {
		return types.InternalErrorf("bitseq %s/%s: %w; cannot repair: %w", h.app, h.id, bad, err)
	}
	if h.store != nil {
		nh := h.snapshot()
		nh.st = fixed
		if err := h.store.PutObject(nh); err != nil {
			return fmt.Errorf("bitseq %s/%s: write the repaired bitmap: %w", h.app, h.id, err)
		}
		h.index, h.exists = nh.index, true
	}
	h.st = fixed
	log.Info("bitseq: inconsistent bitmap repaired")
	return nil
}

// check returns a description of the first broken invariant, or nil.
func (s *state) check() error {
	if s.bits == 0 || s.bits > MaxBits {
		return fmt.Errorf("bit count %d", s.bits)
	}
	n := nwords(s.bits)
	var next uint32
	for i, r := range s.runs {
		switch {
		case r.start != next:
			return fmt.Errorf("run %d starts at word %d, want %d", i, r.start, next)
		case r.count == 0 || r.count > n-next:
			return fmt.Errorf("run %d: count %d with %d words left", i, r.count, n-next)
		case i > 0 && s.runs[i-1].block == r.block:
			return fmt.Errorf("run %d: same block %#x as the previous run", i, r.block)
		}
		next = r.end()
	}
	if next != n {
		return fmt.Errorf("runs cover %d words, want %d", next, n)
	}
	pad := paddingMask(s.bits)
	if s.runs[len(s.runs)-1].block&pad != pad {
		return errors.New("padding bits are not set")
	}
	if free := s.freeInRuns(); free != s.unselected {
		return fmt.Errorf("%d free bits recorded, %d in the runs", s.unselected, free)
	}
	if s.curr >= s.bits {
		return fmt.Errorf("cursor %d for %d bits", s.curr, s.bits)
	}
	return nil
}

// repaired returns s with canonical runs: runs laid end to end in order,
// empty runs dropped, equal neighbours merged, padding set, free count
// recounted, cursor bounded. It fails if the runs do not hold exactly the
// bitmap's words.
func (s *state) repaired() (state, error) {
	if s.bits == 0 || s.bits > MaxBits {
		return state{}, fmt.Errorf("bit count %d", s.bits)
	}
	n := nwords(s.bits)
	out := state{bits: s.bits, curr: s.curr}
	if out.curr >= out.bits {
		out.curr = 0
	}
	var next uint64
	for _, r := range s.runs {
		if r.count == 0 {
			continue
		}
		next += uint64(r.count)
		if next > uint64(n) {
			return state{}, fmt.Errorf("runs hold more than %d words", n)
		}
		if k := len(out.runs); k > 0 && out.runs[k-1].block == r.block {
			out.runs[k-1].count += r.count
			continue
		}
		out.runs = append(out.runs, run{start: uint32(next) - r.count, count: r.count, block: r.block})
	}
	if next != uint64(n) {
		return state{}, fmt.Errorf("runs hold %d words, want %d", next, n)
	}
	if pad := paddingMask(s.bits); pad != 0 {
		last := out.runs[len(out.runs)-1]
		if last.block&pad != pad {
			// The last word gets its padding: split it off its run if needed.
			nb := last.block | pad
			out.setWord(len(out.runs)-1, n-1, nb)
		}
	}
	out.unselected = out.freeInRuns()
	return out, out.check()
}

// freeInRuns counts the free ordinals the runs hold (padding excluded).
func (s *state) freeInRuns() uint64 {
	set := uint64(0)
	for _, r := range s.runs {
		set += uint64(bits.OnesCount64(r.block)) * uint64(r.count)
	}
	return s.bits - (set - uint64(bits.OnesCount64(paddingMask(s.bits))))
}
