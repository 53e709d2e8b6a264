package bridge

const (
	ipv4ForwardConf = "/proc/sys/net/ipv4/ip_forward"
	ipv6ForwardConf = "/proc/sys/net/ipv6/conf/all/forwarding"
)

// setupForwarding turns on IP forwarding in the host namespace when the
// driver option EnableIPForwarding asks for it (IPv6 forwarding for IPv6
// networks). It is not turned off again: other networks and other software
// of the host may rely on it, as with Docker.
func setupForwarding(c *setupCtx) error {
	if !c.d.config.EnableIPForwarding {
		return nil
	}
	paths := []string{ipv4ForwardConf}
	if c.cfg.AddressIPv6 != nil {
		paths = append(paths, ipv6ForwardConf)
	}
	return c.d.sys.ensure(c.d.hostNS, false, paths...)
}
