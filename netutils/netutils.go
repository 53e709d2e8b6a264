// Package netutils holds network helpers: overlap checks, MAC generation and
// random interface names.
package netutils

import (
	"crypto/rand"
	"encoding/hex"
	"net"

	"github.com/cnmkit/libnetwork/types"
)

// NetworkOverlaps reports whether a and b share any address.
func NetworkOverlaps(a, b *net.IPNet) bool {
	return a.Contains(b.IP) || b.Contains(a.IP)
}

// CheckOverlap returns a ForbiddenError naming n and the first network of
// list it overlaps, or nil.
func CheckOverlap(n *net.IPNet, list []*net.IPNet) error {
	for _, o := range list {
		if NetworkOverlaps(n, o) {
			return types.ForbiddenErrorf("network %s overlaps with %s", n, o)
		}
	}
	return nil
}

// NetworkRange returns the first and last address of n.
func NetworkRange(n *net.IPNet) (net.IP, net.IP) {
	if n == nil {
		return nil, nil
	}
	first := types.GetMinimalIP(n.IP.Mask(n.Mask))
	last, _ := types.GetBroadcastIP(first, n.Mask)
	return first, last
}

// GenerateRandomMAC returns a random locally administered unicast MAC.
func GenerateRandomMAC() net.HardwareAddr {
	hw := make(net.HardwareAddr, 6)
	if _, err := rand.Read(hw); err != nil {
		panic(err)
	}
	hw[0] = (hw[0] & 0xfe) | 0x02
	return hw
}

// GenerateMACFromIP returns the MAC 02:42:<ipv4 bytes>, as libnetwork does,
// so that a container's MAC follows from its IPv4 address. For IPv6 the last
// four bytes are used.
func GenerateMACFromIP(ip net.IP) net.HardwareAddr {
	hw := make(net.HardwareAddr, 6)
	hw[0] = 0x02
	hw[1] = 0x42
	if v4 := ip.To4(); v4 != nil {
		copy(hw[2:], v4)
	} else if len(ip) == net.IPv6len {
		copy(hw[2:], ip[12:])
	}
	return hw
}

// GenerateRandomName returns prefix followed by size random hex characters.
func GenerateRandomName(prefix string, size int) (string, error) {
	if size <= 0 {
		return "", types.BadRequestErrorf("random name with prefix %q: size %d is not positive", prefix, size)
	}
	b := make([]byte, (size+1)/2)
	if _, err := rand.Read(b); err != nil {
		return "", types.InternalErrorf("random name: %w", err)
	}
	return prefix + hex.EncodeToString(b)[:size], nil
}

// GenerateRandomNameLen returns prefix followed by random hex characters,
// the whole exactly total characters (interface names allow 15).
func GenerateRandomNameLen(prefix string, total int) (string, error) {
	if total-len(prefix) <= 0 {
		return "", types.BadRequestErrorf("prefix %q leaves no room in a %d-character name", prefix, total)
	}
	return GenerateRandomName(prefix, total-len(prefix))
}

// ValidateIfaceName checks a Linux interface name: 1 to 15 characters, none
// of them '/', ':', white space or NUL, and not "." or "..".
func ValidateIfaceName(name string) error {
	if name == "" || len(name) > 15 || name == "." || name == ".." {
		return types.BadRequestErrorf("invalid interface name %q: want 1 to 15 characters", name)
	}
	for _, c := range name {
		if c == '/' || c == ':' || c <= ' ' || c == 0x7f {
			return types.BadRequestErrorf("invalid interface name %q: character %q not allowed", name, c)
		}
	}
	return nil
}
