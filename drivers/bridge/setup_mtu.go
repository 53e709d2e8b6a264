package bridge

import "github.com/cnmkit/libnetwork/types"

// defaultMTU is the MTU of a network without the MTU option.
const defaultMTU = 1500

// setupMTU gives the bridge the network's MTU, as an MTU set by the user:
// the kernel then stops recomputing the bridge's MTU over all its ports at
// every join (a cost that grows with the number of containers). A bridge
// the driver just created (no ports yet) is pinned by setting its MTU to
// one less and back; an adopted or restored bridge only gets a differing
// MTU set.
func setupMTU(c *setupCtx) error {
	mtu := c.cfg.Mtu
	if mtu == 0 {
		mtu = defaultMTU
	}
	l, err := c.d.nlh.LinkByIndex(c.bridgeIndex)
	if err != nil {
		return types.InternalErrorf("look up bridge %s: %w", c.cfg.BridgeName, err)
	}
	steps := []int{mtu}
	switch {
	case c.created:
		steps = []int{mtu - 1, mtu}
	case l.Attrs().MTU == mtu:
		return nil
	}
	for _, m := range steps {
		if err := c.d.nlh.LinkSetMTU(l, m); err != nil {
			return types.InternalErrorf("set MTU %d on bridge %s: %w", m, c.cfg.BridgeName, err)
		}
	}
	return nil
}
