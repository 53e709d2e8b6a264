package resolvconf

import (
	"bytes"
	"net/netip"
)

// FilterResolvDNS turns the host's resolv.conf content into one fit for a
// sandbox, as FilterResolvDNSWithFallback with no fallback servers: when no
// nameserver is left the result has none (libnetwork added Google's public
// servers there; this SDK never adds a server the caller did not name).
func FilterResolvDNS(resolvConf []byte, ipv6Enabled bool) (*File, error) {
	return FilterResolvDNSWithFallback(resolvConf, ipv6Enabled)
}

// FilterResolvDNSWithFallback turns the host's resolv.conf content into one fit for a
// sandbox. It drops the nameservers a sandbox cannot use: loopback addresses
// (127.0.0.0/8, ::1), addresses with a zone (the zone names a host
// interface), IPv6 addresses when ipv6Enabled is false, and malformed ones.
// Every other line is kept as it was, in order. When no nameserver is left it
// adds the fallback servers (IPv6 ones only if ipv6Enabled), and none when
// there are none: no public server is ever added. A fallback that is not an
// IP address is a BadRequestError.
func FilterResolvDNSWithFallback(content []byte, ipv6Enabled bool, fallback ...string) (*File, error) {
	if err := ValidateNameservers(fallback); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	kept := 0
	for _, line := range splitLines(string(content)) {
		if kw, rest := keyword(line); kw == "nameserver" {
			args := fields(cutComment(rest))
			if len(args) == 0 || !usableHostServer(args[0], ipv6Enabled) {
				continue
			}
			kept++
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	if kept == 0 {
		for _, s := range fallback {
			a, _ := netip.ParseAddr(s)
			if a.Unmap().Is6() && !ipv6Enabled {
				continue
			}
			out.WriteString("nameserver " + s + "\n")
		}
	}
	b := out.Bytes()
	return &File{Content: b, Hash: HashData(b)}, nil
}

func usableHostServer(s string, ipv6Enabled bool) bool {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	if a.IsLoopback() {
		return false
	}
	return ipv6Enabled || a.Is4()
}
