package osl

import (
	"net"

	"github.com/cnmkit/libnetwork/types"
)

// IfaceOption sets one property of an interface given to AddInterface.
// Options are plain functions: AddInterface(src, "eth", WithAddress(a), WithMTU(1450)),
// or the seed's setters: AddInterface(src, "eth", sb.InterfaceOptions().Address(a)).
// A nil or zero argument leaves the property unset.
type IfaceOption func(i *nwIface)

// WithAddress sets the interface's IPv4 address and prefix.
func WithAddress(addr *net.IPNet) IfaceOption {
	return func(i *nwIface) { i.addr = types.GetIPNetCopy(addr) }
}

// WithIPv6Address sets the interface's IPv6 address and prefix. It is added
// without duplicate address detection, so it is usable at once.
func WithIPv6Address(addr *net.IPNet) IfaceOption {
	return func(i *nwIface) { i.addr6 = types.GetIPNetCopy(addr) }
}

// WithLinkLocalAddresses adds link-local addresses (169.254.0.0/16 or fe80::/10).
func WithLinkLocalAddresses(addrs []*net.IPNet) IfaceOption {
	return func(i *nwIface) { i.llAddrs = copyNets(addrs) }
}

// WithoutIPv6LinkLocal keeps the interface from generating its IPv6
// link-local address: without it there is no duplicate address detection,
// router solicitation or multicast listener report, which a bridge would
// flood to every port. For interfaces of IPv4-only networks; IPv6 stays
// enabled for addresses set explicitly.
func WithoutIPv6LinkLocal() IfaceOption {
	return func(i *nwIface) { i.noLL6 = true }
}

// WithMacAddress sets the interface's MAC address.
func WithMacAddress(mac net.HardwareAddr) IfaceOption {
	return func(i *nwIface) { i.mac = types.GetMacCopy(mac) }
}

// WithName gives the interface exactly this name in the sandbox instead
// of the lowest free prefix+N; "" keeps the prefix rule.
func WithName(name string) IfaceOption {
	return func(i *nwIface) { i.exactName = name }
}

// WithMTU sets the interface's MTU; 0 keeps the one it has.
func WithMTU(mtu int) IfaceOption {
	return func(i *nwIface) { i.mtu = mtu }
}

// WithMaster enslaves the interface to a bridge of the same sandbox, named
// by the source name it was added with (or its name inside the sandbox).
func WithMaster(name string) IfaceOption {
	return func(i *nwIface) { i.master = name }
}

// WithRoutes adds routes to the given destinations straight out of the
// interface (connected routes, no gateway).
func WithRoutes(routes []*net.IPNet) IfaceOption {
	return func(i *nwIface) { i.routes = copyNets(routes) }
}

// WithBridge makes AddInterface create a bridge named srcName inside the
// sandbox (when none is there yet) instead of adopting an existing link.
func WithBridge(isBridge bool) IfaceOption {
	return func(i *nwIface) { i.bridge = isBridge }
}

// NeighOption sets one property of a neighbour entry given to AddNeighbor.
type NeighOption func(nh *neigh)

// WithNeighLinkName names the interface the entry belongs to: the source
// name it was added with, or its name inside the sandbox. Required.
func WithNeighLinkName(name string) NeighOption {
	return func(n *neigh) { n.linkName = name }
}

// WithNeighFamily sets the entry's address family; unix.AF_BRIDGE makes it a
// forwarding-database entry (for vxlan). The default is IP neighbour (ARP/ND).
func WithNeighFamily(family int) NeighOption {
	return func(n *neigh) { n.family = family }
}
