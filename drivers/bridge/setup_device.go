package bridge

import (
	"net"
	"strings"

	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// setupDevice finds or creates the bridge device and brings it up. An
// existing bridge is adopted: the driver deletes it later only if it made
// it (in this or an earlier run). A device of another kind is an error.
func setupDevice(c *setupCtx) error {
	cfg, nlh := c.cfg, c.d.nlh
	link, err := nlh.LinkByName(cfg.BridgeName)
	switch {
	case err == nil:
		if _, ok := link.(*netlink.Bridge); !ok {
			return types.ForbiddenErrorf("device %q exists and is a %s, not a bridge", cfg.BridgeName, link.Type())
		}
		if !c.restoring && ownBridgeName(cfg.BridgeName) {
			// Left by an earlier run of ours that lost its record.
			cfg.BridgeCreated = true
		}
		if link.Attrs().Flags&net.FlagUp == 0 {
			if err := nlh.LinkSetUp(link); err != nil {
				return types.InternalErrorf("set bridge %s up: %w", cfg.BridgeName, err)
			}
		}
		c.setBridge(link.Attrs().Index)
		return nil
	case !isGone(err):
		return types.InternalErrorf("look up bridge %s: %w", cfg.BridgeName, err)
	}
	la := netlink.NewLinkAttrs()
	la.Name = cfg.BridgeName
	la.Flags = net.FlagUp
	la.TxQLen = -1
	if cfg.Mtu > 0 {
		la.MTU = cfg.Mtu
	}
	// A fixed MAC: otherwise the bridge takes the lowest MAC of its ports
	// and changes it as containers come and go.
	la.HardwareAddr = netutils.GenerateMACFromIP(cfg.AddressIPv4.IP)
	// No multicast snooping: with it, every port added makes the kernel
	// re-arm the multicast timers of every port (the cost of an attach
	// would grow with the containers on the bridge), and without a querier
	// on the network it floods unknown groups anyway.
	snooping := false
	br := &netlink.Bridge{LinkAttrs: la, MulticastSnooping: &snooping}
	if err := nlh.LinkAdd(br); err != nil {
		return types.InternalErrorf("create bridge %s: %w", cfg.BridgeName, err)
	}
	cfg.BridgeCreated = true
	c.created = true
	c.setBridge(br.Index)
	return nil
}

// removeDevice deletes the bridge if the driver made it.
func removeDevice(c *setupCtx) error {
	if !c.cfg.BridgeCreated {
		return nil
	}
	l, err := c.d.nlh.LinkByName(c.cfg.BridgeName)
	if err != nil {
		if isGone(err) {
			return nil
		}
		return types.InternalErrorf("look up bridge %s: %w", c.cfg.BridgeName, err)
	}
	if _, ok := l.(*netlink.Bridge); !ok {
		return types.ForbiddenErrorf("device %q is a %s, not the bridge the driver made", c.cfg.BridgeName, l.Type())
	}
	if err := c.d.nlh.LinkDel(l); err != nil && !isGone(err) {
		return types.InternalErrorf("delete bridge %s: %w", c.cfg.BridgeName, err)
	}
	return nil
}

func (c *setupCtx) setBridge(index int) {
	c.bridgeIndex = index
	c.n.mu.Lock()
	c.n.bridgeIndex = index
	c.n.mu.Unlock()
}

// ownBridgeName reports a name the driver gives by default.
func ownBridgeName(name string) bool {
	return name == DefaultBridgeName || strings.HasPrefix(name, bridgePrefix)
}

// bridgeLink is the index-only link used for requests on the bridge.
func (c *setupCtx) bridgeLink() netlink.Link {
	return &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: c.bridgeIndex, Name: c.cfg.BridgeName}}
}
