package bridge

import "github.com/cnmkit/libnetwork/iptables"

// setupIsolation describes the two-stage isolation between bridge
// networks: traffic leaving a bridge for another interface goes to stage
// 2, where traffic entering any of our bridges is dropped. Internal
// networks are isolated by setupInternal instead.
func setupIsolation(c *setupCtx) error {
	cfg := c.cfg
	if c.d.fw == nil || cfg.Internal {
		return nil
	}
	br, v6 := cfg.BridgeName, c.v6Rules()
	c.rules.both(v6, iptables.Filter, chainIsolation1, "-i", br, "!", "-o", br, "-j", c.d.fw.v4.ChainName(chainIsolation2))
	c.rules.both(v6, iptables.Filter, chainIsolation2, "-o", br, "-j", "DROP")
	return nil
}
