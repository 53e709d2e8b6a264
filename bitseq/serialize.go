package bitseq

import (
	"encoding/binary"
	"encoding/json"

	"github.com/cnmkit/libnetwork/types"
)

// Serialised form (big endian):
//
//	version  1 byte  (serialVersion)
//	bits     8 bytes number of ordinals
//	curr     8 bytes serial cursor
//	runs     12 bytes each: count uint32, block uint64
//
// Runs are canonical (no two neighbours hold the same block) and cover every
// word exactly, so a valid encoding has exactly one bitmap and vice versa.
const (
	serialVersion = 1
	headerLen     = 1 + 8 + 8
	runLen        = 4 + 8
)

// ToByteArray returns the serialised bitmap.
func (h *Handle) ToByteArray() ([]byte, error) {
	h.Lock()
	defer h.Unlock()
	return h.st.encode(), nil
}

// FromByteArray replaces the bitmap with the serialised one in data. Invalid
// data is a BadRequestError and leaves the bitmap unchanged.
func (h *Handle) FromByteArray(data []byte) error {
	st, err := decode(data)
	if err != nil {
		return err
	}
	h.Lock()
	defer h.Unlock()
	h.st = st
	return nil
}

func (s *state) encode() []byte {
	b := make([]byte, headerLen, headerLen+runLen*len(s.runs))
	b[0] = serialVersion
	binary.BigEndian.PutUint64(b[1:], s.bits)
	binary.BigEndian.PutUint64(b[9:], s.curr)
	for _, r := range s.runs {
		b = binary.BigEndian.AppendUint32(b, r.count)
		b = binary.BigEndian.AppendUint64(b, r.block)
	}
	return b
}

func decode(data []byte) (state, error) {
	bad := func(format string, a ...interface{}) (state, error) {
		return state{}, types.BadRequestErrorf("invalid bitseq encoding: "+format, a...)
	}
	if len(data) < headerLen || (len(data)-headerLen)%runLen != 0 {
		return bad("length %d", len(data))
	}
	if data[0] != serialVersion {
		return bad("version %d", data[0])
	}
	s := state{
		bits: binary.BigEndian.Uint64(data[1:]),
		curr: binary.BigEndian.Uint64(data[9:]),
	}
	if s.bits == 0 || s.bits > MaxBits {
		return bad("bit count %d", s.bits)
	}
	if s.curr >= s.bits {
		return bad("cursor %d for %d bits", s.curr, s.bits)
	}
	n := nwords(s.bits)
	nruns := (len(data) - headerLen) / runLen
	if uint64(nruns) > uint64(n) {
		return bad("%d runs for %d words", nruns, n)
	}
	s.runs = make([]run, 0, nruns)
	var next uint64
	for i := range nruns {
		p := data[headerLen+i*runLen:]
		r := run{start: uint32(next), count: binary.BigEndian.Uint32(p), block: binary.BigEndian.Uint64(p[4:])}
		if r.count == 0 || uint64(r.count) > uint64(n)-next {
			return bad("run %d: count %d with %d words left", i, r.count, uint64(n)-next)
		}
		next += uint64(r.count)
		s.runs = append(s.runs, r)
	}
	s.unselected = s.freeInRuns()
	if err := s.check(); err != nil {
		return bad("%w", err)
	}
	return s, nil
}

// jsonHandle is the JSON form of a Handle. In a datastore (Value) it holds
// app, id and sequence; MarshalJSON adds the datastore index and the bit
// and free counts.
type jsonHandle struct {
	App        string  `json:"app"`
	ID         string  `json:"id"`
	DBIndex    uint64  `json:"dbIndex,omitempty"`
	DBExists   bool    `json:"dbExists,omitempty"`
	Bits       *uint64 `json:"bits,omitempty"`
	Unselected *uint64 `json:"unselected,omitempty"`
	Sequence   []byte  `json:"sequence"`
}

// Value returns the bitmap as stored in a datastore.
func (h *Handle) Value() []byte {
	h.Lock()
	defer h.Unlock()
	b, err := json.Marshal(jsonHandle{App: h.app, ID: h.id, Sequence: h.st.encode()})
	if err != nil {
		return nil
	}
	return b
}

// SetValue restores the bitmap from its datastore form.
func (h *Handle) SetValue(value []byte) error {
	j, st, err := decodeJSON(value)
	if err != nil {
		return err
	}
	h.Lock()
	defer h.Unlock()
	h.app, h.id, h.st = j.App, j.ID, st
	return nil
}

// MarshalJSON returns the handle as JSON: app, id, datastore index, bit
// and free counts, and the serialised bitmap.
func (h *Handle) MarshalJSON() ([]byte, error) {
	h.Lock()
	defer h.Unlock()
	nbits, free := h.st.bits, h.st.unselected
	return json.Marshal(jsonHandle{
		App: h.app, ID: h.id, DBIndex: h.index, DBExists: h.exists,
		Bits: &nbits, Unselected: &free, Sequence: h.st.encode(),
	})
}

// UnmarshalJSON restores a handle from MarshalJSON's form (or Value's).
// Counts that disagree with the bitmap are a BadRequestError; on error the
// handle is unchanged.
func (h *Handle) UnmarshalJSON(data []byte) error {
	j, st, err := decodeJSON(data)
	if err != nil {
		return err
	}
	h.Lock()
	defer h.Unlock()
	h.app, h.id, h.st, h.index, h.exists = j.App, j.ID, st, j.DBIndex, j.DBExists
	return nil
}

// decodeJSON parses a jsonHandle and its bitmap, checking the counts it
// carries against the bitmap.
func decodeJSON(data []byte) (jsonHandle, state, error) {
	var j jsonHandle
	if err := json.Unmarshal(data, &j); err != nil {
		return j, state{}, types.BadRequestErrorf("invalid bitseq value: %w", err)
	}
	st, err := decode(j.Sequence)
	if err != nil {
		return j, state{}, err
	}
	if j.Bits != nil && *j.Bits != st.bits {
		return j, state{}, types.BadRequestErrorf("invalid bitseq value %s/%s: bits %d, the sequence holds %d", j.App, j.ID, *j.Bits, st.bits)
	}
	if j.Unselected != nil && *j.Unselected != st.unselected {
		return j, state{}, types.BadRequestErrorf("invalid bitseq value %s/%s: unselected %d, the sequence has %d free", j.App, j.ID, *j.Unselected, st.unselected)
	}
	return j, st, nil
}
