package types

import (
	"bytes"
	"net"
)

// GetIPCopy returns a copy of ip, or nil for nil.
func GetIPCopy(ip net.IP) net.IP {
	if ip == nil {
		return nil
	}
	out := make(net.IP, len(ip))
	copy(out, ip)
	return out
}

// GetMacCopy returns a copy of mac, or nil for nil.
func GetMacCopy(mac net.HardwareAddr) net.HardwareAddr {
	if mac == nil {
		return nil
	}
	out := make(net.HardwareAddr, len(mac))
	copy(out, mac)
	return out
}

// GetIPNetCopy returns a deep copy of n, or nil for nil.
func GetIPNetCopy(n *net.IPNet) *net.IPNet {
	if n == nil {
		return nil
	}
	m := make(net.IPMask, len(n.Mask))
	copy(m, n.Mask)
	return &net.IPNet{IP: GetIPCopy(n.IP), Mask: m}
}

// GetIPNetCanonical returns the network of n (host bits cleared), or nil.
func GetIPNetCanonical(n *net.IPNet) *net.IPNet {
	if n == nil {
		return nil
	}
	c := GetIPNetCopy(n)
	c.IP = c.IP.Mask(c.Mask)
	return c
}

// ParseCIDR parses s as a CIDR and returns it with the host part kept
// (like "10.0.0.5/24"), as a BadRequestError naming s when it is invalid.
func ParseCIDR(s string) (*net.IPNet, error) {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, BadRequestErrorf("invalid CIDR %q: %w", s, err)
	}
	if v4 := ip.To4(); v4 != nil && len(n.Mask) == net.IPv4len {
		ip = v4
	}
	n.IP = ip
	return n, nil
}

// ParseIP parses s as an IP address, as a BadRequestError naming s when invalid.
func ParseIP(s string) (net.IP, error) {
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, BadRequestErrorf("invalid IP address %q", s)
	}
	if v4 := ip.To4(); v4 != nil {
		return v4, nil
	}
	return ip, nil
}

// CompareIPNet reports whether a and b are the same address and mask.
func CompareIPNet(a, b *net.IPNet) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	return a.IP.Equal(b.IP) && bytes.Equal(normMask(a), normMask(b))
}

func normMask(n *net.IPNet) net.IPMask {
	if len(n.Mask) == net.IPv6len && n.IP.To4() != nil {
		return n.Mask[12:]
	}
	return n.Mask
}

// IsIPv4 reports whether ip is an IPv4 address.
func IsIPv4(ip net.IP) bool { return ip.To4() != nil }

// GetHostPartIP returns the host part of ip under mask.
func GetHostPartIP(ip net.IP, mask net.IPMask) (net.IP, error) {
	ip, m, err := alignedIPMask(ip, mask)
	if err != nil {
		return nil, err
	}
	out := make(net.IP, len(ip))
	for i := range ip {
		out[i] = ip[i] &^ m[i]
	}
	return out, nil
}

// GetBroadcastIP returns the broadcast (last) address of ip's network under mask.
func GetBroadcastIP(ip net.IP, mask net.IPMask) (net.IP, error) {
	ip, m, err := alignedIPMask(ip, mask)
	if err != nil {
		return nil, err
	}
	out := make(net.IP, len(ip))
	for i := range ip {
		out[i] = ip[i] | ^m[i]
	}
	return out, nil
}

func alignedIPMask(ip net.IP, mask net.IPMask) (net.IP, net.IPMask, error) {
	switch {
	case len(mask) == net.IPv4len:
		if v4 := ip.To4(); v4 != nil {
			return v4, mask, nil
		}
	case len(mask) == net.IPv6len:
		if len(ip) == net.IPv4len {
			return ip, mask[12:], nil
		}
		if ip.To4() != nil && len(ip) == net.IPv6len && bytes.Equal(mask[:12], net.CIDRMask(96, 128)[:12]) {
			return ip.To4(), mask[12:], nil
		}
		return ip.To16(), mask, nil
	}
	return nil, nil, BadRequestErrorf("IP %s does not match mask %s", ip, mask)
}

// GetMinimalIP returns ip in its 4-byte form when it is IPv4.
func GetMinimalIP(ip net.IP) net.IP {
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

// GetMinimalIPNet returns n with 4-byte IP and mask when it is IPv4.
func GetMinimalIPNet(n *net.IPNet) *net.IPNet {
	if n == nil {
		return nil
	}
	if v4 := n.IP.To4(); v4 != nil {
		m := n.Mask
		if len(m) == net.IPv6len {
			m = m[12:]
		}
		return &net.IPNet{IP: v4, Mask: m}
	}
	return n
}

// Address families, as GetNameservers-style helpers take them.
const (
	// IP selects both IPv4 and IPv6.
	IP = iota
	// IPv4 selects IPv4 only.
	IPv4
	// IPv6 selects IPv6 only.
	IPv6
)

// IsIPNetValid reports whether nw is a usable network: non-nil, with an IP
// and a canonical mask of the IP's family, and not the IPv4 catch-all
// 0.0.0.0/0.
func IsIPNetValid(nw *net.IPNet) bool {
	if nw == nil || nw.IP == nil {
		return false
	}
	ones, bits := nw.Mask.Size()
	if ones == 0 && bits == 0 {
		return false
	}
	if v4 := nw.IP.To4(); v4 != nil {
		if bits == 8*net.IPv6len {
			if ones < 96 {
				return false
			}
			ones -= 96
		}
		return ones != 0
	}
	return len(nw.IP) == net.IPv6len && bits == 8*net.IPv6len
}
