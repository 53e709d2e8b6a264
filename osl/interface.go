package osl

import (
	"net"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// Interface is a link of a sandbox added by AddInterface (or found on restore).
// Its properties are fixed once added; accessors return copies.
type Interface interface {
	// Name returns the interface's name inside the sandbox (same as DstName).
	Name() string
	// SrcName returns the name the link had when it was handed to AddInterface.
	SrcName() string
	// DstName returns the interface's name inside the sandbox (prefix+index).
	DstName() string
	// MacAddress returns the interface's MAC address.
	MacAddress() net.HardwareAddr
	// Address returns the IPv4 address, or nil.
	Address() *net.IPNet
	// AddressIPv6 returns the IPv6 address, or nil.
	AddressIPv6() *net.IPNet
	// LinkLocalAddresses returns the link-local addresses given with WithLinkLocalAddresses.
	LinkLocalAddresses() []*net.IPNet
	// Routes returns the connected routes given with WithRoutes.
	Routes() []*net.IPNet
	// MTU returns the interface's MTU.
	MTU() int
	// Bridge reports whether the interface is a bridge.
	Bridge() bool
	// Master returns the name given to WithMaster, or "".
	Master() string
	// MasterName returns the master's name inside the sandbox, or "".
	MasterName() string
	// Remove deletes the link from the sandbox (for a veth, both ends go).
	// Removing twice, or after the sandbox is destroyed, does nothing.
	Remove() error
	// Statistics returns the interface's counters.
	Statistics() (*types.InterfaceStatistics, error)
}

// nwIface implements Interface. IfaceOptions fill the requested properties
// of a fresh nwIface in AddInterface; the published one is built from that
// request and the kernel's answers and not changed after, except removed
// (under ns.mu).
type nwIface struct {
	ns        *namespace
	index     int
	srcName   string
	dstName   string
	master    string
	dstMaster string
	mac       net.HardwareAddr
	addr      *net.IPNet
	addr6     *net.IPNet
	llAddrs   []*net.IPNet
	routes    []*net.IPNet
	mtu       int
	bridge    bool
	noLL6     bool   // requested: no IPv6 link-local address
	exactName string // requested: this name rather than prefix+N
	removed   bool
}

func (i *nwIface) Name() string                 { return i.dstName }
func (i *nwIface) SrcName() string              { return i.srcName }
func (i *nwIface) DstName() string              { return i.dstName }
func (i *nwIface) MacAddress() net.HardwareAddr { return types.GetMacCopy(i.mac) }
func (i *nwIface) Address() *net.IPNet          { return types.GetIPNetCopy(i.addr) }
func (i *nwIface) AddressIPv6() *net.IPNet      { return types.GetIPNetCopy(i.addr6) }
func (i *nwIface) LinkLocalAddresses() []*net.IPNet {
	return copyNets(i.llAddrs)
}
func (i *nwIface) Routes() []*net.IPNet { return copyNets(i.routes) }
func (i *nwIface) MTU() int             { return i.mtu }
func (i *nwIface) Bridge() bool         { return i.bridge }
func (i *nwIface) Master() string       { return i.master }
func (i *nwIface) MasterName() string   { return i.dstMaster }

func copyNets(in []*net.IPNet) []*net.IPNet {
	if in == nil {
		return nil
	}
	out := make([]*net.IPNet, len(in))
	for k, n := range in {
		out[k] = types.GetIPNetCopy(n)
	}
	return out
}

func (i *nwIface) Remove() error {
	n := i.ns
	n.mu.Lock()
	defer n.mu.Unlock()
	if i.removed || n.destroyed {
		i.removed = true
		return nil
	}
	err := n.nlh.LinkDel(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: i.index}})
	if err != nil && !isGone(err) {
		return kernelErr(err, "remove interface %s from sandbox %s", i.dstName, n.key)
	}
	i.removed = true
	n.forget(i)
	logrus.WithFields(logrus.Fields{"key": n.key, "iface": i.dstName}).Debug("osl: removed interface")
	return nil
}

func (i *nwIface) Statistics() (*types.InterfaceStatistics, error) {
	n := i.ns
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return nil, errDestroyed(n.key)
	}
	if i.removed {
		return nil, types.NotFoundErrorf("interface %s was removed from sandbox %s", i.dstName, n.key)
	}
	l, err := n.nlh.LinkByIndex(i.index)
	if err != nil {
		return nil, kernelErr(err, "statistics of interface %s in sandbox %s", i.dstName, n.key)
	}
	return toStats(l.Attrs().Statistics), nil
}

// forget drops i and the neighbour entries on it; the caller holds n.mu.
func (n *namespace) forget(i *nwIface) {
	for k, x := range n.ifaces {
		if x == i {
			n.ifaces = append(n.ifaces[:k], n.ifaces[k+1:]...)
			break
		}
	}
	kept := n.neighbors[:0]
	for _, nh := range n.neighbors {
		if nh.linkIndex != i.index {
			kept = append(kept, nh)
		}
	}
	n.neighbors = kept
}

// findIface returns the live interface whose source or sandbox name is name,
// preferring a source-name match; the caller holds n.mu.
func (n *namespace) findIface(name string) *nwIface {
	for _, i := range n.ifaces {
		if i.srcName == name {
			return i
		}
	}
	for _, i := range n.ifaces {
		if i.dstName == name {
			return i
		}
	}
	return nil
}
