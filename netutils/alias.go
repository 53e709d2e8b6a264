package netutils

import (
	"net"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// ParseAlias splits a link alias "name:alias"; a bare "name" is its own
// alias. An empty string, an empty part or more than one ':' is a
// BadRequestError naming val.
func ParseAlias(val string) (string, string, error) {
	if val == "" {
		return "", "", types.BadRequestErrorf("empty string specified for alias")
	}
	parts := strings.Split(val, ":")
	switch {
	case len(parts) > 2:
		return "", "", types.BadRequestErrorf("bad format for alias %q: want name[:alias]", val)
	case len(parts) == 1:
		return val, val, nil
	case parts[0] == "" || parts[1] == "":
		return "", "", types.BadRequestErrorf("bad format for alias %q: empty name or alias", val)
	}
	return parts[0], parts[1], nil
}

// ValidateAlias returns val when it is a valid "name[:alias]", else val and
// ParseAlias's error.
func ValidateAlias(val string) (string, error) {
	if _, _, err := ParseAlias(val); err != nil {
		return val, err
	}
	return val, nil
}

// ReverseIP returns the labels of IP's reverse DNS name without the zone
// suffix: "1.0.17.172" for 172.17.0.1 (in-addr.arpa), the 32 nibbles
// lowest first for an IPv6 address (ip6.arpa). It returns "" when IP is not
// an address.
func ReverseIP(IP string) string {
	ip := net.ParseIP(IP)
	if ip == nil {
		return ""
	}
	if v4 := ip.To4(); v4 != nil && !strings.Contains(IP, ":") {
		parts := strings.Split(v4.String(), ".")
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
		return strings.Join(parts, ".")
	}
	const hex = "0123456789abcdef"
	b := make([]byte, 0, 2*2*net.IPv6len-1)
	for i := net.IPv6len - 1; i >= 0; i-- {
		if len(b) > 0 {
			b = append(b, '.')
		}
		b = append(b, hex[ip[i]&0xf], '.', hex[ip[i]>>4])
	}
	return string(b)
}
