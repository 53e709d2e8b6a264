package ipam

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/netlabel"
)

// parsePrefix parses a pool or sub-pool CIDR and returns its network
// (host bits cleared, as net.ParseCIDR does).
func parsePrefix(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Is4In6() {
		return netip.Prefix{}, false
	}
	return p.Masked(), true
}

// prefixFromIPNet converts a configured pool.
func prefixFromIPNet(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	ones, bits := n.Mask.Size()
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok || bits == 0 {
		return netip.Prefix{}, false
	}
	switch {
	case bits == 32 && a.Unmap().Is4():
		a = a.Unmap()
	case bits == 128 && a.Is6() && !a.Is4In6():
	default:
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, ones).Masked(), true
}

// poolID returns the ID of a pool: "space/pool" or "space/pool/subpool".
func poolID(space string, pool, sub netip.Prefix) string {
	if !sub.IsValid() {
		return space + "/" + pool.String()
	}
	return space + "/" + pool.String() + "/" + sub.String()
}

// wellFormedID reports whether id has the form of a pool ID.
func wellFormedID(id string) bool {
	parts := strings.Split(id, "/")
	if (len(parts) != 3 && len(parts) != 5) || parts[0] == "" {
		return false
	}
	for i := 1; i < len(parts); i += 2 {
		if _, ok := parsePrefix(parts[i] + "/" + parts[i+1]); !ok {
			return false
		}
	}
	return true
}

// addrOptions are the RequestAddress options this allocator reads.
type addrOptions struct {
	serial  bool
	gateway bool
}

// parseOptions reads and checks the options; unknown keys are ignored.
func parseOptions(opts map[string]string) (addrOptions, error) {
	var o addrOptions
	if len(opts) == 0 {
		return o, nil
	}
	if v, ok := opts[ipamapi.AllocSerialPrefix]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return o, wrap(ipamapi.ErrInvalidRequest, "option %s=%q is not a boolean", ipamapi.AllocSerialPrefix, v)
		}
		o.serial = b
	}
	if v, ok := opts[ipamapi.RequestAddressType]; ok {
		if v != netlabel.Gateway {
			return o, wrap(ipamapi.ErrInvalidRequest, "option %s=%q: the only address type is %q", ipamapi.RequestAddressType, v, netlabel.Gateway)
		}
		o.gateway = true
	}
	return o, nil
}

// toIPNet returns a with the given prefix length, in one allocation of bytes.
func toIPNet(a netip.Addr, bits int) *net.IPNet {
	if a.Is4() {
		buf := make([]byte, 2*net.IPv4len)
		b := a.As4()
		copy(buf, b[:])
		m := buf[net.IPv4len:]
		fillMask(m, bits)
		return &net.IPNet{IP: buf[:net.IPv4len:net.IPv4len], Mask: m}
	}
	buf := make([]byte, 2*net.IPv6len)
	b := a.As16()
	copy(buf, b[:])
	m := buf[net.IPv6len:]
	fillMask(m, bits)
	return &net.IPNet{IP: buf[:net.IPv6len:net.IPv6len], Mask: m}
}

// fillMask writes the mask of a prefix of length ones into m.
func fillMask(m []byte, ones int) {
	for i := range m {
		switch {
		case ones >= 8:
			m[i] = 0xff
			ones -= 8
		case ones > 0:
			m[i] = ^byte(0xff >> ones)
			ones = 0
		default:
			m[i] = 0
		}
	}
}
