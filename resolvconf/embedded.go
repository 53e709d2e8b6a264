package resolvconf

import (
	"net/netip"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// EmbeddedDNSServer is the address of the embedded DNS server inside a
// sandbox.
const EmbeddedDNSServer = "127.0.0.11"

// ForEmbeddedDNS returns the resolv.conf of a sandbox served by the embedded
// DNS server at resolverIP (EmbeddedDNSServer when empty) and the upstream
// servers that server should forward to: c's nameservers, without
// resolverIP itself. Search, options and other lines are kept; each of
// extraOptions (such as "ndots:0") is added unless c already sets an option
// of that name. Feed it the upstream configuration, not its own output.
func (c *Conf) ForEmbeddedDNS(resolverIP string, extraOptions []string) (*Conf, []string, error) {
	if resolverIP == "" {
		resolverIP = EmbeddedDNSServer
	}
	rip, err := netip.ParseAddr(resolverIP)
	if err != nil {
		return nil, nil, types.BadRequestErrorf("invalid embedded DNS server address %q: not an IP address", resolverIP)
	}
	if err := ValidateOptions(extraOptions); err != nil {
		return nil, nil, err
	}
	var upstreams []string
	for _, ns := range c.Nameservers {
		if a, _ := netip.ParseAddr(ns); a != rip {
			upstreams = append(upstreams, ns)
		}
	}
	n := c.clone()
	n.Nameservers = []string{resolverIP}
	have := map[string]bool{}
	for _, o := range n.Options {
		have[optionName(o)] = true
	}
	for _, o := range extraOptions {
		if !have[optionName(o)] {
			n.Options = append(n.Options, o)
			have[optionName(o)] = true
		}
	}
	return n, upstreams, nil
}

func optionName(o string) string {
	if i := strings.IndexByte(o, ':'); i >= 0 {
		return o[:i]
	}
	return o
}
