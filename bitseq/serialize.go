package bitseq

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"

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
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.st.encode(), nil
}

// FromByteArray replaces the bitmap with the serialised one in data. Invalid
// data is a BadRequestError and leaves the bitmap unchanged.
func (h *Handle) FromByteArray(data []byte) error {
	st, err := decode(data)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
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
	var next uint32
	set := uint64(0)
	for i := range nruns {
		p := data[headerLen+i*runLen:]
		r := run{start: next, count: binary.BigEndian.Uint32(p), block: binary.BigEndian.Uint64(p[4:])}
		if r.count == 0 || r.count > n-next {
			return bad("run %d: count %d with %d words left", i, r.count, n-next)
		}
		if i > 0 && s.runs[i-1].block == r.block {
			return bad("run %d: same block %#x as the previous run", i, r.block)
		}
		set += uint64(bits.OnesCount64(r.block)) * uint64(r.count)
		next = r.end()
		s.runs = append(s.runs, r)
	}
	if next != n {
		return bad("runs cover %d words, want %d", next, n)
	}
	if pad := paddingMask(s.bits); s.runs[len(s.runs)-1].block&pad != pad {
		return bad("padding bits past ordinal %d are not set", s.bits-1)
	}
	set -= uint64(bits.OnesCount64(paddingMask(s.bits)))
	s.unselected = s.bits - set
	return s, nil
}

// jsonHandle is the form a Handle takes in a datastore.
type jsonHandle struct {
	App      string `json:"app"`
	ID       string `json:"id"`
	Sequence []byte `json:"sequence"`
}

// Value returns the bitmap as stored in a datastore.
func (h *Handle) Value() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, err := json.Marshal(jsonHandle{App: h.app, ID: h.id, Sequence: h.st.encode()})
	if err != nil {
		return nil
	}
	return b
}

// SetValue restores the bitmap from its datastore form.
func (h *Handle) SetValue(value []byte) error {
	var j jsonHandle
	if err := json.Unmarshal(value, &j); err != nil {
		return types.BadRequestErrorf("invalid bitseq value: %w", err)
	}
	st, err := decode(j.Sequence)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.app, h.id, h.st = j.App, j.ID, st
	return nil
}
