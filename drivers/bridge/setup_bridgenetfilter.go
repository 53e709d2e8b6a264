package bridge

const (
	bridgeNFIPv4 = "/proc/sys/net/bridge/bridge-nf-call-iptables"
	bridgeNFIPv6 = "/proc/sys/net/bridge/bridge-nf-call-ip6tables"
)

// setupBridgeNetfilter makes bridged traffic go through iptables, so that
// the ICC and port-mapping rules see traffic between containers of one
// bridge. It only acts where /proc/sys/net/bridge exists in the host
// namespace (the br_netfilter module is loaded); it never loads the module.
func setupBridgeNetfilter(c *setupCtx) error {
	if c.d.fw == nil {
		return nil
	}
	paths := []string{bridgeNFIPv4}
	if c.v6Rules() {
		paths = append(paths, bridgeNFIPv6)
	}
	return c.d.sys.ensure(c.d.hostNS, true, paths...)
}
