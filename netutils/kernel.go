package netutils

import (
	"errors"
	"net"
	"strings"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// The functions in this file read the network namespace of the calling
// thread, as libnetwork's did; GenerateIfaceNameAt takes a handle instead.

// CheckNameserverOverlaps returns an error wrapping
// ErrNetworkOverlapsWithNameservers when toCheck overlaps one of
// nameservers, given in CIDR form ("10.0.0.2/32"); a nameserver that is not
// a CIDR is a BadRequestError naming it.
func CheckNameserverOverlaps(nameservers []string, toCheck *net.IPNet) error {
	for _, ns := range nameservers {
		_, nsNet, err := net.ParseCIDR(ns)
		if err != nil {
			return types.BadRequestErrorf("nameserver %q is not in CIDR form: %w", ns, err)
		}
		if NetworkOverlaps(toCheck, nsNet) {
			return types.ForbiddenErrorf("network %s holds nameserver %s: %w", toCheck, ns, ErrNetworkOverlapsWithNameservers)
		}
	}
	return nil
}

// CheckRouteOverlaps returns an error wrapping ErrNetworkOverlaps when
// toCheck overlaps the destination of a route (other than a default route)
// of its family in the main table of the current namespace.
func CheckRouteOverlaps(toCheck *net.IPNet) error {
	routes, err := routeDstsAt(nil, toCheck)
	if err != nil {
		return err
	}
	return routesOverlap(toCheck, routes)
}

// routeDstsAt returns the destinations of the routes of n's family, other
// than default routes, in the main table of nlh's namespace (nil: the
// current one).
func routeDstsAt(nlh *netlink.Handle, n *net.IPNet) ([]*net.IPNet, error) {
	if nlh == nil {
		nlh = &netlink.Handle{}
	}
	routes, err := nlh.RouteList(nil, familyOf(n))
	if err != nil {
		return nil, types.InternalErrorf("list routes to check %s: %w", n, err)
	}
	var dsts []*net.IPNet
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		if ones, _ := r.Dst.Mask.Size(); ones == 0 {
			continue
		}
		dsts = append(dsts, r.Dst)
	}
	return dsts, nil
}

func familyOf(n *net.IPNet) int {
	if n.IP.To4() != nil {
		return netlink.FAMILY_V4
	}
	return netlink.FAMILY_V6
}

func routesOverlap(n *net.IPNet, dsts []*net.IPNet) error {
	for _, d := range dsts {
		if NetworkOverlaps(n, d) {
			return types.ForbiddenErrorf("network %s overlaps route to %s: %w", n, d, ErrNetworkOverlaps)
		}
	}
	return nil
}

// FindAvailableNetwork returns the first network of list that holds no
// nameserver of the host's resolv.conf and overlaps no route of the
// current namespace; a NotFoundError when there is none.
func FindAvailableNetwork(list []*net.IPNet) (*net.IPNet, error) {
	nameservers := hostNameservers()
	routes := map[bool][]*net.IPNet{}
	for _, nw := range list {
		if CheckNameserverOverlaps(nameservers, nw) != nil {
			continue
		}
		v4 := nw.IP.To4() != nil
		dsts, ok := routes[v4]
		if !ok {
			var err error
			if dsts, err = routeDstsAt(nil, nw); err != nil {
				return nil, err
			}
			routes[v4] = dsts
		}
		if routesOverlap(nw, dsts) == nil {
			return nw, nil
		}
	}
	return nil, types.NotFoundErrorf("no available network among %d candidates", len(list))
}

// GetIfaceAddr returns the first IPv4 address and every IPv6 address of
// the interface name in the current namespace (each a *net.IPNet). An
// absent interface, or one without IPv4 address, is a NotFoundError.
func GetIfaceAddr(name string) (net.Addr, []net.Addr, error) {
	link, err := netlink.LinkByName(name)
	if err != nil {
		return nil, nil, linkError(name, err)
	}
	v4, v6, err := linkAddrs(link)
	if err != nil {
		return nil, nil, err
	}
	if len(v4) == 0 {
		return nil, nil, types.NotFoundErrorf("interface %s has no IPv4 addresses", name)
	}
	addrs6 := make([]net.Addr, 0, len(v6))
	for _, a := range v6 {
		addrs6 = append(addrs6, a)
	}
	return v4[0], addrs6, nil
}

// ElectInterfaceAddresses returns the first IPv4 and every IPv6 address of
// the link name in the current namespace. When the link is absent or has
// no IPv4 address, the IPv4 network is the first of libnetwork's predefined
// broad networks that FindAvailableNetwork accepts.
func ElectInterfaceAddresses(name string) (*net.IPNet, []*net.IPNet, error) {
	var v4Net *net.IPNet
	var v6Nets []*net.IPNet
	link, err := netlink.LinkByName(name)
	switch {
	case err == nil:
		v4, v6, err := linkAddrs(link)
		if err != nil {
			return nil, nil, err
		}
		if len(v4) > 0 {
			v4Net = v4[0]
		}
		v6Nets = v6
	case !isLinkNotFound(err):
		return nil, nil, linkError(name, err)
	}
	if v4Net == nil {
		if v4Net, err = FindAvailableNetwork(broadNetworks); err != nil {
			return nil, nil, err
		}
		v4Net = types.GetIPNetCopy(v4Net)
	}
	return v4Net, v6Nets, nil
}

func linkAddrs(link netlink.Link) (v4, v6 []*net.IPNet, err error) {
	addrs, err := netlink.AddrList(link, netlink.FAMILY_ALL)
	if err != nil {
		return nil, nil, types.InternalErrorf("list addresses of %s: %w", link.Attrs().Name, err)
	}
	for _, a := range addrs {
		if a.IP.To4() != nil {
			v4 = append(v4, a.IPNet)
		} else {
			v6 = append(v6, a.IPNet)
		}
	}
	return v4, v6, nil
}

func isLinkNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf)
}

func linkError(name string, err error) error {
	if isLinkNotFound(err) {
		return types.NotFoundErrorf("interface %s not found: %w", name, err)
	}
	return types.InternalErrorf("look up interface %s: %w", name, err)
}

// GenerateIfaceName returns prefix followed by size random hex characters,
// a name no interface of the current namespace has.
func GenerateIfaceName(prefix string, len int) (string, error) {
	return GenerateIfaceNameAt(nil, prefix, len)
}

// GenerateIfaceNameAt is GenerateIfaceName for the namespace of nlh (nil:
// the current namespace).
func GenerateIfaceNameAt(nlh *netlink.Handle, prefix string, size int) (string, error) {
	if nlh == nil {
		nlh = &netlink.Handle{}
	}
	if size <= 0 {
		return "", types.BadRequestErrorf("interface name %q needs at least one random character, got %d", prefix, size)
	}
	if err := ValidateIfaceName(prefix + strings.Repeat("0", size)); err != nil {
		return "", err
	}
	for i := 0; i < 3; i++ {
		name, err := GenerateRandomName(prefix, size)
		if err != nil {
			return "", err
		}
		_, err = nlh.LinkByName(name)
		if isLinkNotFound(err) {
			return name, nil
		}
		if err != nil {
			return "", types.InternalErrorf("look up interface %s: %w", name, err)
		}
	}
	return "", types.InternalErrorf("could not generate a free interface name with prefix %q", prefix)
}
