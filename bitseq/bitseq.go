// Package bitseq is a compact bitmap of up to 2^32 bits, run-length encoded
// in 64-bit words, used to allocate IDs and addresses. A Handle is safe for
// concurrent use; when it has a datastore, every change is written to it with
// compare-and-swap.
package bitseq

import (
	"fmt"
	"strings"
	"sync"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

// MaxBits is the largest number of bits a Handle can hold.
const MaxBits = uint64(1) << 32

// Errors returned by Handle methods; they are wrapped in messages naming the
// ordinal, so test them with errors.Is.
var (
	// ErrNoBitAvailable is returned when no bit is free in the range asked.
	ErrNoBitAvailable = types.NoServiceErrorf("no bit available")
	// ErrBitAllocated is returned when setting a bit that is already set.
	ErrBitAllocated = types.ForbiddenErrorf("requested bit is already allocated")
	// ErrBitNotAllocated is returned when unsetting a bit that is not set.
	ErrBitNotAllocated = types.NotFoundErrorf("requested bit is not allocated")
)

// Handle is a bitmap of a fixed number of bits, optionally kept in a
// datastore. Its Mutex guards it; the methods take it themselves.
type Handle struct {
	sync.Mutex
	app    string
	id     string
	st     state
	store  datastore.DataStore
	index  uint64
	exists bool
}

// NewHandle returns a bitmap of numElements bits, all unset, named app/id.
// With a non-nil ds, an existing bitmap stored under that key is loaded, and
// a new one is written.
func NewHandle(app string, ds datastore.DataStore, id string, numElements uint64) (*Handle, error) {
	if numElements == 0 || numElements > MaxBits {
		return nil, types.BadRequestErrorf("bitseq %s/%s: invalid number of bits %d (must be 1..%d)", app, id, numElements, MaxBits)
	}
	h := &Handle{app: app, id: id, store: ds, st: newState(numElements)}
	if ds == nil {
		return h, nil
	}
	if err := h.load(); err == nil {
		return h, nil
	} else if !isNotFound(err) {
		return nil, err
	}
	if err := ds.PutObjectAtomic(h); err != nil {
		if !types.IsConflict(err) {
			return nil, err
		}
		// Someone else created it meanwhile: use theirs.
		if err := h.load(); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Bits returns the number of bits of the bitmap.
func (h *Handle) Bits() uint64 {
	h.Lock()
	defer h.Unlock()
	return h.st.bits
}

// Unselected returns the number of unset bits.
func (h *Handle) Unselected() uint64 {
	h.Lock()
	defer h.Unlock()
	return h.st.unselected
}

// IsSet reports whether ordinal is set; ordinals out of range are not.
func (h *Handle) IsSet(ordinal uint64) bool {
	h.Lock()
	defer h.Unlock()
	if ordinal >= h.st.bits {
		return false
	}
	return h.st.isSet(ordinal)
}

// Set sets ordinal; ErrBitAllocated if it is already set.
func (h *Handle) Set(ordinal uint64) error {
	_, err := h.apply(func(s *state) (uint64, error) {
		if err := checkOrdinal(s, ordinal); err != nil {
			return 0, err
		}
		if !s.flip(ordinal, true) {
			return 0, types.ForbiddenErrorf("bit %d: %w", ordinal, ErrBitAllocated)
		}
		return ordinal, nil
	})
	return err
}

// Unset unsets ordinal; ErrBitNotAllocated if it is not set.
func (h *Handle) Unset(ordinal uint64) error {
	_, err := h.apply(func(s *state) (uint64, error) {
		if err := checkOrdinal(s, ordinal); err != nil {
			return 0, err
		}
		if !s.flip(ordinal, false) {
			return 0, types.NotFoundErrorf("bit %d: %w", ordinal, ErrBitNotAllocated)
		}
		return ordinal, nil
	})
	return err
}

// SetAny sets and returns the lowest free bit.
func (h *Handle) SetAny() (uint64, error) { return h.SetAnySerial(false) }

// SetAnyInRange sets and returns the lowest free bit of the ordinals
// start..end (inclusive).
func (h *Handle) SetAnyInRange(start, end uint64) (uint64, error) {
	return h.SetAnyInRangeSerial(start, end, false)
}

// SetAnySerial is SetAny; with serial it takes the first free bit after the
// last bit handed out by a serial call, wrapping around.
func (h *Handle) SetAnySerial(serial bool) (uint64, error) {
	return h.apply(func(s *state) (uint64, error) {
		return setAnyIn(s, 0, s.bits-1, serial)
	})
}

// SetAnyInRangeSerial is SetAnySerial restricted to the ordinals
// start..end (inclusive).
func (h *Handle) SetAnyInRangeSerial(start, end uint64, serial bool) (uint64, error) {
	return h.apply(func(s *state) (uint64, error) {
		if start > end || end >= s.bits {
			return 0, types.BadRequestErrorf("bitseq %s/%s: invalid range [%d, %d] for %d bits", h.app, h.id, start, end, s.bits)
		}
		return setAnyIn(s, start, end, serial)
	})
}

func setAnyIn(s *state, start, end uint64, serial bool) (uint64, error) {
	o, ok := s.setAny(start, end, serial)
	if !ok {
		return 0, types.NoServiceErrorf("range [%d, %d]: %w", start, end, ErrNoBitAvailable)
	}
	return o, nil
}

func checkOrdinal(s *state, o uint64) error {
	if o >= s.bits {
		return types.BadRequestErrorf("ordinal %d out of range [0, %d]", o, s.bits-1)
	}
	return nil
}

// Destroy removes the bitmap from the datastore, if it has one.
func (h *Handle) Destroy() error {
	h.Lock()
	defer h.Unlock()
	if h.store == nil {
		return nil
	}
	for range maxRetries {
		err := h.store.DeleteObjectAtomic(h.snapshot())
		if err == nil || isNotFound(err) {
			h.exists = false
			return nil
		}
		if !types.IsConflict(err) {
			return err
		}
		if err := h.reloadLocked(); err != nil {
			if isNotFound(err) {
				h.exists = false
				return nil
			}
			return err
		}
	}
	return types.RetryErrorf("bitseq %s/%s: destroy kept conflicting after %d attempts", h.app, h.id, maxRetries)
}

// maxStringRuns bounds the runs String prints.
const maxStringRuns = 32

// String describes the bitmap: bit count, free count, serial cursor and runs
// as (block, count) pairs.
func (h *Handle) String() string {
	h.Lock()
	defer h.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "App: %s, ID: %s, Bits: %d, Unselected: %d, Curr: %d, Runs: ",
		h.app, h.id, h.st.bits, h.st.unselected, h.st.curr)
	for i, r := range h.st.runs {
		if i == maxStringRuns {
			fmt.Fprintf(&b, "... (%d more)", len(h.st.runs)-i)
			break
		}
		fmt.Fprintf(&b, "(%#x, %d)", r.block, r.count)
		if i < len(h.st.runs)-1 {
			b.WriteString("->")
		}
	}
	return b.String()
}
