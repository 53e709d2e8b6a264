package ipam

import "math"

// PoolUsage returns, for the subnet of pool poolID, how many addresses it
// can give (its size less the network, broadcast or anycast address;
// math.MaxUint64 when larger) and how many are given now.
func (a *Allocator) PoolUsage(poolID string) (size, used uint64, err error) {
	e, err := a.entry(poolID)
	if err != nil {
		return 0, 0, err
	}
	m := e.m
	reserved := uint64(0)
	switch {
	case m.hostBits < 2:
	case m.v4:
		reserved = 2
	default:
		reserved = 1
	}
	size = math.MaxUint64
	if m.hostBits < 64 {
		size = uint64(1)<<m.hostBits - reserved
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.w0 != nil {
		used = m.w0.Bits() - m.w0.Unselected() - reserved
	}
	for _, h := range m.windows {
		used += h.Bits() - h.Unselected()
	}
	return size, used, nil
}
