package osl

import (
	"net"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// maxIfName is the longest interface name the kernel accepts (IFNAMSIZ-1).
const maxIfName = 15

// validIfName reports why name cannot be an interface name, or "" if it can.
func validIfName(name string) string {
	switch {
	case name == "":
		return "is empty"
	case len(name) > maxIfName:
		return "is longer than 15 bytes"
	case name == "." || name == "..":
		return "is reserved"
	case strings.ContainsAny(name, "/: \t\n\x00"):
		return "contains '/', ':', a blank or a NUL"
	}
	return ""
}

// validateIface checks the arguments of AddInterface before any kernel work.
func validateIface(srcName, dstPrefix string, c *nwIface) error {
	if why := validIfName(srcName); why != "" {
		return types.BadRequestErrorf("interface source name %q %s", srcName, why)
	}
	if why := validIfName(dstPrefix); why != "" {
		return types.BadRequestErrorf("interface name prefix %q %s", dstPrefix, why)
	}
	if len(dstPrefix) >= maxIfName {
		return types.BadRequestErrorf("interface name prefix %q leaves no room for an index", dstPrefix)
	}
	if c.exactName != "" {
		if why := validIfName(c.exactName); why != "" {
			return types.BadRequestErrorf("interface name %q %s", c.exactName, why)
		}
	}
	if c.mac != nil {
		if len(c.mac) != 6 {
			return types.BadRequestErrorf("MAC address %q is not a 6-byte Ethernet address", c.mac)
		}
		if c.mac[0]&1 != 0 {
			return types.BadRequestErrorf("MAC address %s is a multicast address", c.mac)
		}
	}
	if c.mtu != 0 && (c.mtu < 68 || c.mtu > 65535) {
		return types.BadRequestErrorf("MTU %d is out of range [68, 65535]", c.mtu)
	}
	if c.addr != nil && (c.addr.IP.To4() == nil || !isV4Mask(c.addr.Mask)) {
		return types.BadRequestErrorf("IPv4 address %s is not an IPv4 address with an IPv4 prefix", c.addr)
	}
	if c.addr6 != nil && (c.addr6.IP.To4() != nil || len(c.addr6.IP) != net.IPv6len || len(c.addr6.Mask) != net.IPv6len) {
		return types.BadRequestErrorf("IPv6 address %s is not an IPv6 address with an IPv6 prefix", c.addr6)
	}
	for _, a := range c.llAddrs {
		if a == nil || !a.IP.IsLinkLocalUnicast() || a.Mask == nil {
			return types.BadRequestErrorf("link-local address %v is not a link-local unicast prefix", a)
		}
	}
	for _, r := range c.routes {
		if r == nil || r.IP == nil || r.Mask == nil {
			return types.BadRequestErrorf("interface route %v has no destination", r)
		}
	}
	if c.master != "" {
		if why := validIfName(c.master); why != "" {
			return types.BadRequestErrorf("master name %q %s", c.master, why)
		}
	}
	if c.bridge && c.master != "" {
		return types.BadRequestErrorf("bridge %q cannot have a master", srcName)
	}
	return nil
}

func isV4Mask(m net.IPMask) bool {
	if len(m) == net.IPv4len {
		return true
	}
	ones, bits := m.Size()
	return bits == 128 && ones >= 96 && net.IP(m[:12]).Equal(net.IP{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
}

// normV4 returns a with a 4-byte IP and a 4-byte mask.
func normV4(a *net.IPNet) *net.IPNet {
	m := a.Mask
	if len(m) == net.IPv6len {
		m = m[12:]
	}
	return &net.IPNet{IP: a.IP.To4(), Mask: m}
}
