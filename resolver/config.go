package resolver

import (
	"net"
	"net/netip"
	"time"

	"github.com/cnmkit/libnetwork/types"
)

// Backend answers the sandbox's local names. It must be safe for
// concurrent use and fast: it is called on every query.
type Backend interface {
	// ResolveName returns the addresses of name (lowercase, without the
	// trailing dot) of the family (4 or 6), and whether name exists locally
	// in any family.
	ResolveName(name string, family int) (ips []net.IP, exists bool)
	// ResolveIP returns the name of ip (with or without the trailing dot),
	// or "" when ip is not local.
	ResolveIP(ip net.IP) string
}

// Mode says how queries to port 53 reach the resolver.
type Mode int

const (
	// ModeDNAT listens on kernel-chosen ports and redirects port 53 to them
	// with DNAT rules inside the namespace (the default).
	ModeDNAT Mode = iota
	// ModeDirect binds port 53 itself.
	ModeDirect
)

// String returns "dnat" or "direct".
func (m Mode) String() string {
	if m == ModeDirect {
		return "direct"
	}
	return "dnat"
}

// Defaults of Config.
const (
	DefaultListenAddr            = "127.0.0.11"
	DefaultForwardTimeout        = 4 * time.Second
	DefaultMaxConcurrentForwards = 100
)

// Config configures a Resolver. Zero fields take their defaults.
type Config struct {
	// ListenAddr is the address clients query (DefaultListenAddr).
	ListenAddr string
	// Mode says how port 53 is reached (ModeDNAT).
	Mode Mode
	// Upstreams are the servers non-local queries go to, "ip" (port 53)
	// or "ip:port" ("[ip6]:port"), tried in order.
	Upstreams []string
	// ForwardTimeout bounds the time spent on one forwarded query
	// (DefaultForwardTimeout).
	ForwardTimeout time.Duration
	// MaxConcurrentForwards bounds the queries forwarded at once
	// (DefaultMaxConcurrentForwards).
	MaxConcurrentForwards int
	// Stats, when set, counts this resolver's queries (shared by many).
	Stats *Stats
}

// normalize returns cfg with defaults filled in, its listen address and its
// parsed upstreams, or a BadRequest error naming the bad values.
func (cfg Config) normalize() (Config, netip.Addr, []netip.AddrPort, error) {
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = DefaultListenAddr
	}
	la, err := netip.ParseAddr(cfg.ListenAddr)
	if err != nil || la.Zone() != "" {
		return cfg, la, nil, types.BadRequestErrorf("invalid DNS listen address %q: not an IP address", cfg.ListenAddr)
	}
	la = la.Unmap()
	if cfg.Mode != ModeDNAT && cfg.Mode != ModeDirect {
		return cfg, la, nil, types.BadRequestErrorf("invalid DNS resolver mode %d", int(cfg.Mode))
	}
	if cfg.ForwardTimeout < 0 {
		return cfg, la, nil, types.BadRequestErrorf("invalid DNS forward timeout %v: negative", cfg.ForwardTimeout)
	}
	if cfg.ForwardTimeout == 0 {
		cfg.ForwardTimeout = DefaultForwardTimeout
	}
	if cfg.MaxConcurrentForwards < 0 {
		return cfg, la, nil, types.BadRequestErrorf("invalid DNS concurrent forward bound %d: negative", cfg.MaxConcurrentForwards)
	}
	if cfg.MaxConcurrentForwards == 0 {
		cfg.MaxConcurrentForwards = DefaultMaxConcurrentForwards
	}
	ups, err := parseUpstreams(cfg.Upstreams, la)
	if err != nil {
		return cfg, la, nil, err
	}
	cfg.Upstreams = append([]string(nil), cfg.Upstreams...)
	return cfg, la, ups, nil
}

// parseUpstreams parses upstream server addresses; self, the resolver's own
// address, is refused on port 53 since forwarding to it would loop.
func parseUpstreams(list []string, self netip.Addr) ([]netip.AddrPort, error) {
	out := make([]netip.AddrPort, 0, len(list))
	var bad []string
	for _, s := range list {
		ap, ok := parseUpstream(s)
		if !ok || (ap.Addr() == self && ap.Port() == 53) {
			bad = append(bad, s)
			continue
		}
		out = append(out, ap)
	}
	if len(bad) > 0 {
		return nil, types.BadRequestErrorf("invalid upstream DNS server address(es) %q: want \"ip\" or \"ip:port\", not the resolver's own address", bad)
	}
	return out, nil
}

func parseUpstream(s string) (netip.AddrPort, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a.Unmap(), 53), !a.IsUnspecified()
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Port() == 0 || ap.Addr().IsUnspecified() {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
}
