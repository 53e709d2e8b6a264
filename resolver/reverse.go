package resolver

import (
	"net"
	"strings"
)

const (
	v4ArpaSuffix = ".in-addr.arpa"
	v6ArpaSuffix = ".ip6.arpa"
)

// reverseIP returns the address named by a full reverse name (lowercase,
// without the trailing dot), such as "4.3.2.1.in-addr.arpa" or the 32
// nibbles of an ip6.arpa name, or nil when name is not one.
func reverseIP(name string) net.IP {
	switch {
	case strings.HasSuffix(name, v4ArpaSuffix):
		return reverseIPv4(name[:len(name)-len(v4ArpaSuffix)])
	case strings.HasSuffix(name, v6ArpaSuffix):
		return reverseIPv6(name[:len(name)-len(v6ArpaSuffix)])
	}
	return nil
}

func reverseIPv4(s string) net.IP {
	var b [4]byte
	for i := 3; i >= 0; i-- {
		label := s
		if j := strings.IndexByte(s, '.'); j >= 0 {
			label, s = s[:j], s[j+1:]
		} else {
			s = ""
		}
		if i > 0 && s == "" {
			return nil
		}
		v, ok := decimalOctet(label)
		if !ok {
			return nil
		}
		b[i] = v
	}
	if s != "" {
		return nil
	}
	return net.IPv4(b[0], b[1], b[2], b[3]).To4()
}

// decimalOctet parses 0..255 without leading zeros.
func decimalOctet(s string) (byte, bool) {
	if len(s) == 0 || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	if v > 255 {
		return 0, false
	}
	return byte(v), true
}

func reverseIPv6(s string) net.IP {
	// 32 nibbles, each followed by a dot except the last.
	if len(s) != 63 {
		return nil
	}
	ip := make(net.IP, net.IPv6len)
	for i := 0; i < 32; i++ {
		c := s[2*i]
		if i < 31 && s[2*i+1] != '.' {
			return nil
		}
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			return nil
		}
		// Nibble i counts from the least significant end.
		pos := 31 - i
		if pos%2 == 0 {
			ip[pos/2] |= v << 4
		} else {
			ip[pos/2] |= v
		}
	}
	return ip
}
