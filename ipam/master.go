package ipam

import (
	"errors"
	"net/netip"
	"strconv"
	"sync"

	"github.com/cnmkit/libnetwork/bitseq"
	"github.com/cnmkit/libnetwork/datastore"
)

// windowShift is log2 of the addresses one bitmap covers: a pool with more
// than 2^32 addresses (IPv6) is split into windows of 2^32 addresses, each a
// bitseq created when an address in it is first taken.
const windowShift = 32

const lowMask = 1<<windowShift - 1

// windowSep separates a pool's SubnetKey from the window number in the
// names of the bitmaps of windows other than the first.
const windowSep = "/w"

// master is a pool in use (a "master pool" in libnetwork terms): its address
// bitmaps, shared by every pool ID (sub-pools) on it. With a datastore (ds)
// the bitmaps live there, named after key (the pool's SubnetKey).
type master struct {
	ds       datastore.DataStore
	key      string
	prefix   netip.Prefix
	v4       bool
	base     u128 // first address
	hostBits int
	last     u128   // offset of the last address
	winBits  uint64 // bits of one window

	mu      sync.Mutex
	w0      *bitseq.Handle          // window 0, nil until used
	windows map[u128]*bitseq.Handle // other windows (IPv6 only)
	cursor  u128                    // serial allocation starts here
	refs    int                     // pool IDs on this master; guarded by Allocator.Mutex
}

func newMaster(p netip.Prefix) *master {
	hb := p.Addr().BitLen() - p.Bits()
	m := &master{
		prefix:   p,
		v4:       p.Addr().Is4(),
		base:     u128From(p.Addr()),
		hostBits: hb,
		last:     ones(hb),
	}
	m.winBits = uint64(1) << min(hb, windowShift)
	return m
}

// reserved reports whether off is never handed out: the network address
// (IPv4) or subnet-router anycast address (IPv6), and the IPv4 broadcast
// address. Pools of one or two addresses (/31, /32, /127, /128) have none.
func (m *master) reserved(off u128) bool {
	if m.hostBits < 2 {
		return false
	}
	return off == (u128{}) || (m.v4 && off == m.last)
}

// offset returns a's offset in the pool; false if a is outside it.
func (m *master) offset(a netip.Addr) (u128, bool) {
	if !m.prefix.Contains(a) {
		return u128{}, false
	}
	return u128From(a).sub(m.base), true
}

func (m *master) addrAt(off u128) netip.Addr {
	a, _ := m.base.add(off)
	return a.addr(m.v4)
}

// window returns the bitmap of window w, or nil; m.mu is held.
func (m *master) window(w u128) *bitseq.Handle {
	if w == (u128{}) {
		return m.w0
	}
	return m.windows[w]
}

// windowID is the bitseq name of window w.
func (m *master) windowID(w u128) string {
	if w == (u128{}) {
		return m.key
	}
	return m.key + windowSep + strconv.FormatUint(w.hi, 16) + "." + strconv.FormatUint(w.lo, 16)
}

// newWindow returns an unregistered bitmap for window w with the reserved
// addresses set: a new one, or with a datastore the stored one (created
// there if missing); m.mu is held.
func (m *master) newWindow(w u128) (*bitseq.Handle, error) {
	h, err := bitseq.NewHandle(bitmapApp, m.ds, m.windowID(w), m.winBits)
	if err != nil {
		return nil, err
	}
	if w == (u128{}) && m.hostBits >= 2 {
		for _, o := range []uint64{0, m.winBits - 1} {
			if o != 0 && !m.v4 {
				break
			}
			if h.IsSet(o) {
				continue
			}
			if err := h.Set(o); err != nil && !errors.Is(err, bitseq.ErrBitAllocated) {
				return nil, err
			}
		}
	}
	return h, nil
}

// windowFor returns window w, made (or loaded from the datastore) when
// missing; fresh reports a new in-memory window not registered yet. m.mu
// is held.
func (m *master) windowFor(w u128) (h *bitseq.Handle, fresh bool, err error) {
	if h = m.window(w); h != nil {
		return h, false, nil
	}
	if h, err = m.newWindow(w); err != nil {
		return nil, false, err
	}
	if m.ds != nil {
		m.addWindow(w, h) // it is in the store already
		return h, false, nil
	}
	return h, true, nil
}

// addWindow registers window w; m.mu is held.
func (m *master) addWindow(w u128, h *bitseq.Handle) {
	if w == (u128{}) {
		m.w0 = h
		return
	}
	if m.windows == nil {
		m.windows = map[u128]*bitseq.Handle{}
	}
	m.windows[w] = h
}

// errNoFree means no address is free in the range asked.
var errNoFree = errors.New("no free address")

// allocRange takes the lowest free offset in [rs, re]; m.mu is held.
func (m *master) allocRange(rs, re u128) (u128, error) {
	wEnd := re.shr32()
	for w := rs.shr32(); !wEnd.less(w); {
		lo, hi := uint64(0), m.winBits-1
		if w == rs.shr32() {
			lo = rs.lo & lowMask
		}
		if w == wEnd {
			hi = re.lo & lowMask
		}
		h, fresh, err := m.windowFor(w)
		if err != nil {
			return u128{}, err
		}
		o, err := h.SetAnyInRange(lo, hi)
		if err == nil {
			if fresh {
				m.addWindow(w, h)
			}
			return w.shl32().or(u128{lo: o}), nil
		}
		if !errors.Is(err, bitseq.ErrNoBitAvailable) {
			return u128{}, err
		}
		var carry bool
		if w, carry = w.add1(); carry {
			break
		}
	}
	return u128{}, errNoFree
}

// allocAny takes a free offset in [rs, re]: the lowest, or with serial the
// first at or after the cursor, wrapping to rs.
func (m *master) allocAny(rs, re u128, serial bool) (u128, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	from := rs
	if serial && rs.less(m.cursor) && !re.less(m.cursor) {
		from = m.cursor
	}
	off, err := m.allocRange(from, re)
	if err == errNoFree && from != rs {
		off, err = m.allocRange(rs, from.sub(u128{lo: 1}))
	}
	if err != nil {
		return u128{}, err
	}
	if off == m.last {
		m.cursor = u128{}
	} else {
		m.cursor, _ = off.add1()
	}
	return off, nil
}

// allocOffset takes off; bitseq.ErrBitAllocated if it is taken.
func (m *master) allocOffset(off u128) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := off.shr32()
	h, fresh, err := m.windowFor(w)
	if err != nil {
		return err
	}
	if err := h.Set(off.lo & lowMask); err != nil {
		return err
	}
	if fresh {
		m.addWindow(w, h)
	}
	return nil
}

// release frees off; bitseq.ErrBitNotAllocated if it is not taken.
func (m *master) release(off u128) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := off.shr32()
	h := m.window(w)
	if h == nil && m.ds != nil {
		var err error
		if h, _, err = m.windowFor(w); err != nil {
			return err
		}
	}
	if h == nil {
		return bitseq.ErrBitNotAllocated
	}
	if err := h.Unset(off.lo & lowMask); err != nil {
		return err
	}
	if m.ds == nil && w != (u128{}) && h.Unselected() == m.winBits {
		delete(m.windows, w) // an empty window is the same as none
	}
	return nil
}
