package bridge

import "github.com/cnmkit/libnetwork/iptables"

// setupICC describes the forwarding rules of the bridge itself: replies
// into the bridge, traffic out of it, and traffic between its containers
// (accepted with ICC on, dropped with ICC off: the gateway, reached through
// INPUT, still answers). Anything else forwarded into the bridge (not a
// reply, not a published port) is dropped. Internal networks only get the
// rule between containers; their isolation rules drop the rest.
func setupICC(c *setupCtx) error {
	cfg := c.cfg
	if c.d.fw == nil {
		return nil
	}
	br, v6 := cfg.BridgeName, c.v6Rules()
	icc := "ACCEPT"
	if !cfg.EnableICC {
		icc = "DROP"
	}
	if cfg.Internal {
		c.rules.both(v6, iptables.Filter, chainForward, "-i", br, "-o", br, "-j", icc)
		return nil
	}
	c.rules.both(v6, iptables.Filter, chainForward, "-o", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
	c.portAcceptRules(v6)
	c.rules.both(v6, iptables.Filter, chainForward, "-i", br, "!", "-o", br, "-j", "ACCEPT")
	c.rules.both(v6, iptables.Filter, chainForward, "-i", br, "-o", br, "-j", icc)
	c.rules.both(v6, iptables.Filter, chainForward, "-o", br, "-j", "DROP")
	return nil
}

// portAcceptRules describes the jump to the port mapper's filter chain,
// which accepts traffic from outside the bridge to published ports.
func (c *setupCtx) portAcceptRules(v6 bool) {
	br := c.cfg.BridgeName
	c.rules.both(v6, iptables.Filter, chainForward, "!", "-i", br, "-o", br, "-j", c.d.ports.filterChain())
}
