package bridge

import "github.com/cnmkit/libnetwork/iptables"

// setupNAT describes the masquerade rule of the network's IPv4 pool:
// traffic from the pool leaving through another interface takes the
// host's address. Internal networks and networks with masquerade off get
// none. IPv6 is routed, not masqueraded.
func setupNAT(c *setupCtx) error {
	cfg := c.cfg
	if c.d.fw == nil || cfg.Internal || !cfg.EnableIPMasquerade {
		return nil
	}
	c.rules.add(false, iptables.Nat, chainPostrouting,
		"-s", cfg.PoolIPv4.String(), "!", "-o", cfg.BridgeName, "-j", "MASQUERADE")
	return nil
}
