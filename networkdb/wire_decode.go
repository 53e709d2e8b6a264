package networkdb

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

var (
	errForeign    = errors.New("not a networkdb message")
	errVersion    = errors.New("unsupported networkdb wire version")
	errShortArray = errors.New("array shorter than expected")
	errTooLong    = errors.New("length longer than the message")
)

// decoder reads msgpack values from one message, refusing lengths that
// cannot fit in what is left of it.
type decoder struct {
	r   *bytes.Reader
	dec *msgpack.Decoder
}

func newDecoder(b []byte) *decoder {
	r := bytes.NewReader(b)
	return &decoder{r: r, dec: msgpack.NewDecoder(r)}
}

// arr reads an array header with at least min elements; it returns the
// number of elements and how many trailing ones the caller must skip.
func (d *decoder) arr(min int) (n int, extra int, err error) {
	n, err = d.dec.DecodeArrayLen()
	if err != nil {
		return 0, 0, err
	}
	if n < min {
		return 0, 0, errShortArray
	}
	if n > d.r.Len() && n > 0 {
		return 0, 0, errTooLong
	}
	return n, n - min, nil
}

// list reads an array header of any length (nil counts as empty).
func (d *decoder) list() (int, error) {
	n, err := d.dec.DecodeArrayLen()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, nil
	}
	if n > d.r.Len() {
		return 0, errTooLong
	}
	return n, nil
}

// listOf decodes a list whose items each decodes.
func listOf[T any](d *decoder, each func() (T, error)) ([]T, error) {
	n, err := d.list()
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, n)
	for i := 0; i < n; i++ {
		v, err := each()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *decoder) skip(n int) error {
	for ; n > 0; n-- {
		if err := d.dec.Skip(); err != nil {
			return err
		}
	}
	return nil
}

// raw reads a str or bin value's bytes (nil for msgpack nil), refusing a
// length longer than the rest of the message before allocating.
func (d *decoder) raw() ([]byte, error) {
	n, err := d.dec.DecodeBytesLen()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, nil
	}
	if n > d.r.Len() {
		return nil, errTooLong
	}
	b := make([]byte, n)
	if err := d.dec.ReadFull(b); err != nil {
		return nil, err
	}
	return b, nil
}

func (d *decoder) str() (string, error) {
	b, err := d.raw()
	return string(b), err
}

func (d *decoder) uint() (uint64, error) { return d.dec.DecodeUint64() }

func (d *decoder) bin() ([]byte, error) {
	b, err := d.raw()
	if len(b) == 0 {
		b = nil
	}
	return b, err
}

func (d *decoder) entry() (w wireEntry, err error) {
	_, extra, err := d.arr(6)
	if err != nil {
		return w, err
	}
	if w.Key, err = d.str(); err != nil {
		return w, err
	}
	if w.Owner, err = d.str(); err != nil {
		return w, err
	}
	if w.LTime, err = d.uint(); err != nil {
		return w, err
	}
	f, err := d.uint()
	if err != nil {
		return w, err
	}
	w.Deleted = f&flagDeleted != 0
	ttl, err := d.uint()
	if err != nil {
		return w, err
	}
	if ttl > math.MaxInt64/uint64(time.Millisecond) {
		ttl = math.MaxInt64 / uint64(time.Millisecond)
	}
	w.TTL = time.Duration(ttl) * time.Millisecond
	if w.Value, err = d.bin(); err != nil {
		return w, err
	}
	return w, d.skip(extra)
}

func (d *decoder) groups() ([]wireGroup, error) {
	return listOf(d, d.group)
}

func (d *decoder) group() (g wireGroup, err error) {
	_, extra, err := d.arr(2)
	if err != nil {
		return g, err
	}
	if g.Table, err = d.str(); err != nil {
		return g, err
	}
	if g.Entries, err = listOf(d, d.entry); err != nil {
		return g, err
	}
	return g, d.skip(extra)
}

func (d *decoder) record() (r netRecord, err error) {
	_, extra, err := d.arr(4)
	if err != nil {
		return r, err
	}
	if r.Node, err = d.str(); err != nil {
		return r, err
	}
	if r.Network, err = d.str(); err != nil {
		return r, err
	}
	if r.LTime, err = d.uint(); err != nil {
		return r, err
	}
	f, err := d.uint()
	if err != nil {
		return r, err
	}
	r.Leaving = f&flagLeaving != 0
	return r, d.skip(extra)
}

// decodeMessage parses one networkdb message. It returns one of
// *tableEventsMsg, *netEventsMsg, *syncReqMsg, *syncDataMsg, *nodeLeaveMsg
// or an error
// for foreign, newer or malformed input. It never panics.
func decodeMessage(b []byte) (any, error) {
	if len(b) < headerLen || b[0] != wireMagic {
		return nil, errForeign
	}
	if b[1] != wireVersion {
		return nil, fmt.Errorf("%w %d", errVersion, b[1])
	}
	d := newDecoder(b[headerLen:])
	var (
		m   any
		err error
	)
	switch msgType(b[2]) {
	case msgTableEvents:
		m, err = d.tableEvents()
	case msgNetEvents:
		m, err = d.netEvents()
	case msgSyncReq:
		m, err = d.syncReq()
	case msgSyncData:
		m, err = d.syncData()
	case msgNodeLeave:
		m, err = d.nodeLeave()
	default:
		return nil, fmt.Errorf("unknown networkdb message type %d", b[2])
	}
	if err != nil {
		return nil, fmt.Errorf("malformed networkdb message type %d: %w", b[2], err)
	}
	return m, nil
}

func (d *decoder) tableEvents() (*tableEventsMsg, error) {
	_, extra, err := d.arr(3)
	if err != nil {
		return nil, err
	}
	m := &tableEventsMsg{}
	if m.Sender, err = d.str(); err != nil {
		return nil, err
	}
	if m.Network, err = d.str(); err != nil {
		return nil, err
	}
	if m.Groups, err = d.groups(); err != nil {
		return nil, err
	}
	return m, d.skip(extra)
}

func (d *decoder) netEvents() (*netEventsMsg, error) {
	_, extra, err := d.arr(3)
	if err != nil {
		return nil, err
	}
	m := &netEventsMsg{}
	if m.Sender, err = d.str(); err != nil {
		return nil, err
	}
	if m.Clock, err = d.uint(); err != nil {
		return nil, err
	}
	if m.Records, err = listOf(d, d.record); err != nil {
		return nil, err
	}
	return m, d.skip(extra)
}

func (d *decoder) syncReq() (*syncReqMsg, error) {
	_, extra, err := d.arr(6)
	if err != nil {
		return nil, err
	}
	m := &syncReqMsg{}
	if m.Sender, err = d.str(); err != nil {
		return nil, err
	}
	if m.Network, err = d.str(); err != nil {
		return nil, err
	}
	if m.Clock, err = d.uint(); err != nil {
		return nil, err
	}
	f, err := d.uint()
	if err != nil {
		return nil, err
	}
	m.Full = f&flagFull != 0
	m.Forced = f&flagForced != 0
	if m.NBuckets, err = d.dec.DecodeUint32(); err != nil {
		return nil, err
	}
	if m.Digests, err = listOf(d, d.uint); err != nil {
		return nil, err
	}
	return m, d.skip(extra)
}

func (d *decoder) syncData() (*syncDataMsg, error) {
	_, extra, err := d.arr(6)
	if err != nil {
		return nil, err
	}
	m := &syncDataMsg{}
	if m.Sender, err = d.str(); err != nil {
		return nil, err
	}
	if m.Network, err = d.str(); err != nil {
		return nil, err
	}
	if m.Clock, err = d.uint(); err != nil {
		return nil, err
	}
	if m.NBuckets, err = d.dec.DecodeUint32(); err != nil {
		return nil, err
	}
	if m.Want, err = listOf(d, d.dec.DecodeUint32); err != nil {
		return nil, err
	}
	if m.Groups, err = d.groups(); err != nil {
		return nil, err
	}
	return m, d.skip(extra)
}

func (d *decoder) nodeLeave() (*nodeLeaveMsg, error) {
	_, extra, err := d.arr(2)
	if err != nil {
		return nil, err
	}
	m := &nodeLeaveMsg{}
	if m.Sender, err = d.str(); err != nil {
		return nil, err
	}
	if m.LTime, err = d.uint(); err != nil {
		return nil, err
	}
	return m, d.skip(extra)
}
