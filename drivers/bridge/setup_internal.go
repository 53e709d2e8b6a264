package bridge

import "github.com/cnmkit/libnetwork/iptables"

// setupInternal describes the rules of an internal network: nothing is
// forwarded from the bridge to another interface or from another
// interface into the bridge. Containers still reach each other (ICC
// permitting) and the gateway address, which the host answers itself.
func setupInternal(c *setupCtx) error {
	cfg := c.cfg
	if c.d.fw == nil || !cfg.Internal {
		return nil
	}
	br, v6 := cfg.BridgeName, c.v6Rules()
	c.rules.both(v6, iptables.Filter, chainIsolation1, "-i", br, "!", "-o", br, "-j", "DROP")
	c.rules.both(v6, iptables.Filter, chainIsolation1, "!", "-i", br, "-o", br, "-j", "DROP")
	return nil
}
