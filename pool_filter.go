package libnetwork

import (
	"net"

	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Automatic pools avoid the host's networks. The default IPAM asks
// hostPoolFilter about each candidate of an automatic LocalDefault pool
// (network creation only; never an explicit pool nor a pool replayed at
// restart): a candidate that overlaps a route or a link address of the
// controller's host namespace, or holds a nameserver of its host
// resolv.conf, is skipped, as libnetwork did with the daemon's namespace.

// openHostPools opens the netlink handle in the host namespace that the
// pool filter reads through.
func (c *controller) openHostPools() error {
	nlh, err := netlink.NewHandleAt(c.hostNS, unix.NETLINK_ROUTE)
	if err != nil {
		return types.InternalErrorf("open a netlink handle in the host namespace: %w", err)
	}
	c.hostNLMu.Lock()
	c.hostNL = nlh
	c.hostNLMu.Unlock()
	return nil
}

// closeHostPools closes the pool filter's handle; the filter then refuses
// every pool.
func (c *controller) closeHostPools() {
	c.hostNLMu.Lock()
	defer c.hostNLMu.Unlock()
	if c.hostNL != nil {
		c.hostNL.Close()
		c.hostNL = nil
	}
}

// hostPoolFilter is the default IPAM's pool filter: it refuses a pool
// that overlaps the host's networks or nameservers.
func (c *controller) hostPoolFilter(pool *net.IPNet) error {
	resolvConf := c.resolvConfSource()
	c.hostNLMu.Lock()
	defer c.hostNLMu.Unlock()
	if c.hostNL == nil {
		return types.ForbiddenErrorf("controller is stopped: pool %s cannot be checked against the host's networks", pool)
	}
	return netutils.CheckAvailableNetworkAt(c.hostNL, resolvConf, pool)
}
