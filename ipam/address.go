package ipam

import (
	"errors"
	"net"
	"net/netip"

	"github.com/cnmkit/libnetwork/bitseq"
	"github.com/cnmkit/libnetwork/ipamapi"
)

// RequestAddress reserves an address of the pool ID and returns it with the
// pool's mask. With ip, it reserves that address, which may be anywhere in
// the pool (even outside the sub-pool). Without, it takes the lowest free
// address of the sub-pool (or pool); with options[AllocSerialPrefix] "true"
// the first free one after the last handed out, wrapping around. A gateway
// request (options[RequestAddressType] == netlabel.Gateway) without ip takes
// the lowest free address, serial or not. IPv4 network and broadcast
// addresses and the IPv6 subnet-router anycast address are never handed out.
func (a *Allocator) RequestAddress(poolID string, ip net.IP, options map[string]string) (*net.IPNet, map[string]string, error) {
	opts, err := parseOptions(options)
	if err != nil {
		return nil, nil, err
	}
	e, err := a.entry(poolID)
	if err != nil {
		return nil, nil, err
	}
	m := e.m
	if ip != nil {
		off, addr, err := e.offsetOf(ip)
		if err != nil {
			return nil, nil, err
		}
		if m.reserved(off) {
			return nil, nil, wrap(ipamapi.ErrIPAlreadyAllocated, "address %s is reserved (network, broadcast or anycast address of pool %s)", addr, m.prefix)
		}
		if err := m.allocOffset(off); err != nil {
			if errors.Is(err, bitseq.ErrBitAllocated) {
				return nil, nil, wrap(ipamapi.ErrIPAlreadyAllocated, "address %s in pool %s", addr, poolID)
			}
			return nil, nil, wrap(ipamapi.ErrIpamInternalError, "address %s in pool %s: %v", addr, poolID, err)
		}
		return toIPNet(addr, m.prefix.Bits()), nil, nil
	}
	off, err := m.allocAny(e.rs, e.re, opts.serial && !opts.gateway)
	if err != nil {
		if err == errNoFree {
			return nil, nil, wrap(ipamapi.ErrNoAvailableIPs, "pool %s", poolID)
		}
		return nil, nil, wrap(ipamapi.ErrIpamInternalError, "pool %s: %v", poolID, err)
	}
	return toIPNet(m.addrAt(off), m.prefix.Bits()), nil, nil
}

// ReleaseAddress releases an address of the pool ID.
func (a *Allocator) ReleaseAddress(poolID string, ip net.IP) error {
	e, err := a.entry(poolID)
	if err != nil {
		return err
	}
	if ip == nil {
		return wrap(ipamapi.ErrInvalidRequest, "release of no address from pool %s", poolID)
	}
	off, addr, err := e.offsetOf(ip)
	if err != nil {
		return err
	}
	if e.m.reserved(off) {
		return wrap(ipamapi.ErrInvalidRequest, "address %s is reserved in pool %s and cannot be released", addr, e.m.prefix)
	}
	if err := e.m.release(off); err != nil {
		if errors.Is(err, bitseq.ErrBitNotAllocated) {
			return wrap(ipamapi.ErrIPNotAllocated, "address %s in pool %s", addr, poolID)
		}
		return wrap(ipamapi.ErrIpamInternalError, "address %s in pool %s: %v", addr, poolID, err)
	}
	return nil
}

// offsetOf returns the offset of ip in the pool, or ErrIPOutOfRange.
func (e *poolEntry) offsetOf(ip net.IP) (u128, netip.Addr, error) {
	addr, ok := netip.AddrFromSlice(ip)
	if ok && e.m.v4 {
		addr = addr.Unmap()
	} else if ok && addr.Is4In6() {
		ok = false // an IPv4 address given in 16 bytes: not in an IPv6 pool
	}
	if ok {
		if off, in := e.m.offset(addr); in {
			return off, addr, nil
		}
	}
	return u128{}, netip.Addr{}, wrap(ipamapi.ErrIPOutOfRange, "address %v is not in pool %s", ip, e.m.prefix)
}
