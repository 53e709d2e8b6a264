// Package idm manages a set of integer IDs in [start, end] on a bitseq
// bitmap (for example VXLAN IDs).
package idm

import (
	"github.com/cnmkit/libnetwork/bitseq"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

// Idm hands out the IDs of [start, end]. It is safe for concurrent use.
type Idm struct {
	start  uint64
	end    uint64
	handle *bitseq.Handle
}

// New returns a manager of the IDs start..end (inclusive), stored in ds
// under id when ds is not nil.
func New(ds datastore.DataStore, id string, start, end uint64) (*Idm, error) {
	if id == "" {
		return nil, types.BadRequestErrorf("idm: empty id")
	}
	if end < start || end-start >= bitseq.MaxBits {
		return nil, types.BadRequestErrorf("idm %s: invalid range [%d, %d]", id, start, end)
	}
	h, err := bitseq.NewHandle("idm", ds, id, end-start+1)
	if err != nil {
		return nil, err
	}
	return &Idm{start: start, end: end, handle: h}, nil
}

// GetID reserves and returns the lowest free ID.
func (i *Idm) GetID() (uint64, error) { return i.GetIDSerial(false) }

// GetIDSerial is GetID; with serial it returns the next free ID after the
// last one handed out serially, wrapping around.
func (i *Idm) GetIDSerial(serial bool) (uint64, error) {
	o, err := i.handle.SetAnySerial(serial)
	if err != nil {
		return 0, err
	}
	return i.start + o, nil
}

// GetSpecificID reserves id; an error if it is taken or out of the range.
func (i *Idm) GetSpecificID(id uint64) error {
	if id < i.start || id > i.end {
		return types.BadRequestErrorf("idm: id %d is out of the range [%d, %d]", id, i.start, i.end)
	}
	return i.handle.Set(id - i.start)
}

// GetIDInRange is GetID restricted to the IDs start..end (inclusive).
func (i *Idm) GetIDInRange(start, end uint64, serial bool) (uint64, error) {
	if start < i.start || end > i.end || start > end {
		return 0, types.BadRequestErrorf("idm: range [%d, %d] is not within [%d, %d]", start, end, i.start, i.end)
	}
	o, err := i.handle.SetAnyInRangeSerial(start-i.start, end-i.start, serial)
	if err != nil {
		return 0, err
	}
	return i.start + o, nil
}

// Release frees id; releasing a free or out-of-range ID does nothing.
func (i *Idm) Release(id uint64) {
	if id < i.start || id > i.end {
		return
	}
	_ = i.handle.Unset(id - i.start)
}
