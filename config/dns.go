package config

import "time"

// DNSCfg configures how sandboxes resolve names: where their resolv.conf
// starts from, the servers used when the host offers none, and the
// embedded DNS server.
type DNSCfg struct {
	// ResolvConf is the host resolv.conf a sandbox's file starts from;
	// empty means /etc/resolv.conf (or systemd-resolved's list of real
	// upstreams when that file only names its stub listener).
	ResolvConf string
	// Fallback are the nameservers a sandbox gets when none of the host's
	// is usable there. None by default: no public server is ever added.
	Fallback []string
	// ForwardTimeout bounds one query the embedded DNS server forwards
	// upstream (0: the resolver's default, 4 s).
	ForwardTimeout time.Duration
	// DirectBind makes the embedded DNS server bind 127.0.0.11:53 itself
	// instead of reaching its ports through DNAT rules inside the sandbox:
	// no iptables needed, but a container can no longer bind *:53.
	DirectBind bool
}

// OptionHostResolvConf names the host resolv.conf that sandboxes' files
// start from (tests and embedders with their own file).
func OptionHostResolvConf(path string) Option {
	return func(c *Config) { c.Daemon.DNS.ResolvConf = path }
}

// OptionFallbackDNS sets the nameservers a sandbox gets when none of the
// host's is usable there.
func OptionFallbackDNS(servers []string) Option {
	return func(c *Config) { c.Daemon.DNS.Fallback = append([]string(nil), servers...) }
}

// OptionDNSForwardTimeout bounds one query the embedded DNS server forwards.
func OptionDNSForwardTimeout(d time.Duration) Option {
	return func(c *Config) { c.Daemon.DNS.ForwardTimeout = d }
}

// OptionDNSDirectBind makes the embedded DNS server bind port 53 itself
// instead of using DNAT rules.
func OptionDNSDirectBind(direct bool) Option {
	return func(c *Config) { c.Daemon.DNS.DirectBind = direct }
}
