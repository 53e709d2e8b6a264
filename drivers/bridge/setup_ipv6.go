package bridge

import "golang.org/x/sys/unix"

// setupIPv6 puts the IPv6 gateway address on the bridge, without duplicate
// address detection so that it is usable at once.
func setupIPv6(c *setupCtx) error {
	if c.cfg.AddressIPv6 == nil {
		return nil
	}
	added, err := c.addAddr(c.cfg.AddressIPv6, unix.IFA_F_NODAD)
	if err != nil {
		return err
	}
	if added {
		c.cfg.AddedGatewayV6 = true
	}
	return nil
}

// removeIPv6 removes the IPv6 gateway address from an adopted bridge if the
// driver added it.
func removeIPv6(c *setupCtx) error {
	if c.cfg.BridgeCreated || !c.cfg.AddedGatewayV6 {
		return nil
	}
	return c.delAddr(c.cfg.AddressIPv6)
}
