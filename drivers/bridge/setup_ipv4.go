package bridge

import (
	"errors"
	"net"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// setupIPv4 puts the gateway address on the bridge. An address already
// there is kept as it is and, if the driver did not add it, left at teardown.
func setupIPv4(c *setupCtx) error {
	added, err := c.addAddr(c.cfg.AddressIPv4, 0)
	if err != nil {
		return err
	}
	if added {
		c.cfg.AddedGatewayV4 = true
	}
	return nil
}

// removeIPv4 removes the gateway address from an adopted bridge if the
// driver added it; a bridge the driver made goes with its addresses.
func removeIPv4(c *setupCtx) error {
	if c.cfg.BridgeCreated || !c.cfg.AddedGatewayV4 {
		return nil
	}
	return c.delAddr(c.cfg.AddressIPv4)
}

// addAddr adds a to the bridge; it reports false if a was there already.
func (c *setupCtx) addAddr(a *net.IPNet, flags int) (bool, error) {
	if a == nil {
		return false, nil
	}
	err := c.d.nlh.AddrAdd(c.bridgeLink(), &netlink.Addr{IPNet: a, Flags: flags})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EEXIST):
		return false, nil
	}
	return false, types.InternalErrorf("add address %s to bridge %s: %w", a, c.cfg.BridgeName, err)
}

func (c *setupCtx) delAddr(a *net.IPNet) error {
	if a == nil || c.bridgeIndex == 0 {
		return nil
	}
	err := c.d.nlh.AddrDel(c.bridgeLink(), &netlink.Addr{IPNet: a})
	if err != nil && !isGone(err) && !errors.Is(err, unix.EADDRNOTAVAIL) {
		return types.InternalErrorf("remove address %s from bridge %s: %w", a, c.cfg.BridgeName, err)
	}
	return nil
}
