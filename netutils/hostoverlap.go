package netutils

import (
	"net"
	"strconv"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// The checks in this file take the namespace (a netlink handle) and the
// resolv.conf to read, for callers whose host is not the calling thread's
// namespace and /etc/resolv.conf.

// CheckRouteOverlapsAt returns an error wrapping ErrNetworkOverlaps when
// toCheck overlaps the destination of a route of its family (other than a
// default route) in the main table of nlh's namespace, or the network of an
// address of a link there; nil nlh is the calling thread's namespace.
func CheckRouteOverlapsAt(nlh *netlink.Handle, toCheck *net.IPNet) error {
	if toCheck == nil {
		return types.BadRequestErrorf("no network to check for overlaps")
	}
	routes, err := routeDstsAt(nlh, toCheck)
	if err != nil {
		return err
	}
	if err := routesOverlap(toCheck, routes); err != nil {
		return err
	}
	return addrsOverlap(nlh, toCheck)
}

// addrsOverlap returns an error wrapping ErrNetworkOverlaps when n overlaps
// the network of an address of its family on a link of nlh's namespace.
func addrsOverlap(nlh *netlink.Handle, n *net.IPNet) error {
	if nlh == nil {
		nlh = &netlink.Handle{}
	}
	addrs, err := nlh.AddrList(nil, familyOf(n))
	if err != nil {
		return types.InternalErrorf("list addresses to check %s: %w", n, err)
	}
	for _, a := range addrs {
		if a.IPNet == nil || !NetworkOverlaps(n, a.IPNet) {
			continue
		}
		link := a.Label
		if l, err := nlh.LinkByIndex(a.LinkIndex); err == nil {
			link = l.Attrs().Name
		}
		if link == "" {
			link = "index " + strconv.Itoa(a.LinkIndex)
		}
		return types.ForbiddenErrorf("network %s overlaps address %s of link %s: %w", n, a.IPNet, link, ErrNetworkOverlaps)
	}
	return nil
}

// CheckResolvConfOverlaps returns an error wrapping
// ErrNetworkOverlapsWithNameservers when toCheck holds a nameserver of the
// resolv.conf at path ("" is /etc/resolv.conf). A file that cannot be read
// names no nameserver, as for FindAvailableNetwork.
func CheckResolvConfOverlaps(path string, toCheck *net.IPNet) error {
	if toCheck == nil {
		return types.BadRequestErrorf("no network to check for overlaps")
	}
	if path == "" {
		path = resolvConfPath
	}
	return CheckNameserverOverlaps(nameserversOf(path), toCheck)
}

// CheckAvailableNetworkAt returns nil when n is free on a host: it holds no
// nameserver of the resolv.conf at resolvConf (CheckResolvConfOverlaps) and
// overlaps no route or link address of nlh's namespace
// (CheckRouteOverlapsAt). It is FindAvailableNetwork's test for one
// network, with link addresses added.
func CheckAvailableNetworkAt(nlh *netlink.Handle, resolvConf string, n *net.IPNet) error {
	if err := CheckResolvConfOverlaps(resolvConf, n); err != nil {
		return err
	}
	return CheckRouteOverlapsAt(nlh, n)
}
