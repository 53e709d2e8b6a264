package osl

import (
	"net"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

func isV6(ip net.IP) bool { return len(ip) == net.IPv6len && ip.To4() == nil }

func (n *namespace) SetGateway(gw net.IP) error {
	if len(gw) == 0 {
		return nil
	}
	if gw.To4() == nil {
		return types.BadRequestErrorf("IPv4 gateway %s is not an IPv4 address", gw)
	}
	return n.setGateway(gw.To4(), &n.gw)
}

// SetGatewayIPv6 sets the IPv6 default route via gw. A link-local gw
// (fe80::/10) goes out of the sandbox's only interface; with several,
// SetGatewayIPv6Via names the one.
func (n *namespace) SetGatewayIPv6(gw net.IP) error { return n.SetGatewayIPv6Via(gw, "") }

func (n *namespace) SetGatewayIPv6Via(gw net.IP, dstName string) error {
	if len(gw) == 0 {
		return nil
	}
	if !isV6(gw) {
		return types.BadRequestErrorf("IPv6 gateway %s is not an IPv6 address", gw)
	}
	if !gw.IsLinkLocalUnicast() {
		dstName = ""
	}
	return n.setGatewayVia(gw, dstName, gw.IsLinkLocalUnicast(), &n.gw6)
}

// setGateway replaces the default route of gw's family; slot is n.gw or n.gw6.
func (n *namespace) setGateway(gw net.IP, slot *net.IP) error {
	return n.setGatewayVia(gw, "", false, slot)
}

// setGatewayVia is setGateway with the route bound to an interface: the
// one named dstName, or with needDev and no name the sandbox's only one.
func (n *namespace) setGatewayVia(gw net.IP, dstName string, needDev bool, slot *net.IP) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return errDestroyed(n.key)
	}
	r := &netlink.Route{Gw: gw}
	if dstName != "" || needDev {
		idx, err := n.gatewayDevLocked(gw, dstName)
		if err != nil {
			return err
		}
		r.LinkIndex = idx
	}
	if err := n.nlh.RouteReplace(r); err != nil {
		return kernelErr(err, "set default gateway %s in sandbox %s", gw, n.key)
	}
	*slot = types.GetIPCopy(gw)
	return nil
}

// gatewayDevLocked returns the index of the interface a gateway route goes
// out of: the one named dstName, or the only interface. n.mu is held.
func (n *namespace) gatewayDevLocked(gw net.IP, dstName string) (int, error) {
	if dstName == "" {
		if len(n.ifaces) != 1 {
			return 0, types.BadRequestErrorf("link-local gateway %s in sandbox %s: name its interface (the sandbox has %d)", gw, n.key, len(n.ifaces))
		}
		dstName = n.ifaces[0].dstName
	}
	l, err := n.nlh.LinkByName(dstName)
	if err != nil {
		return 0, kernelErr(err, "gateway %s in sandbox %s: interface %s", gw, n.key, dstName)
	}
	return l.Attrs().Index, nil
}

func (n *namespace) UnsetGateway() error     { return n.unsetGateway(&n.gw) }
func (n *namespace) UnsetGatewayIPv6() error { return n.unsetGateway(&n.gw6) }

// unsetGateway deletes the default route via *slot; a route the kernel
// already dropped (its interface went away) is not an error.
func (n *namespace) unsetGateway(slot *net.IP) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return errDestroyed(n.key)
	}
	gw := *slot
	if len(gw) == 0 {
		return nil
	}
	if err := n.nlh.RouteDel(&netlink.Route{Gw: gw}); err != nil && !isGone(err) {
		return kernelErr(err, "remove default gateway %s in sandbox %s", gw, n.key)
	}
	*slot = nil
	return nil
}

func (n *namespace) Gateway() net.IP {
	n.mu.Lock()
	defer n.mu.Unlock()
	return types.GetIPCopy(n.gw)
}

func (n *namespace) GatewayIPv6() net.IP {
	n.mu.Lock()
	defer n.mu.Unlock()
	return types.GetIPCopy(n.gw6)
}

// validateStaticRoute checks r and returns its kernel form.
func validateStaticRoute(r *types.StaticRoute) (*netlink.Route, error) {
	if r == nil || r.Destination == nil || r.Destination.IP == nil || r.Destination.Mask == nil {
		return nil, types.BadRequestErrorf("static route %v has no destination", r)
	}
	if r.RouteType != types.NEXTHOP {
		return nil, types.BadRequestErrorf("static route to %s is not a next-hop route (connected routes go with the interface: WithRoutes)", r.Destination)
	}
	dst := types.GetIPNetCopy(r.Destination)
	if len(r.NextHop) == 0 {
		return nil, types.BadRequestErrorf("static route to %s has no next hop", r.Destination)
	}
	if v4 := dst.IP.To4() != nil; v4 != (r.NextHop.To4() != nil) {
		return nil, types.BadRequestErrorf("static route to %s: next hop %s is of another address family", r.Destination, r.NextHop)
	}
	if dst.IP.To4() != nil {
		dst = normV4(dst)
	}
	dst.IP = dst.IP.Mask(dst.Mask)
	return &netlink.Route{Dst: dst, Gw: r.NextHop}, nil
}

func sameRoute(a, b *types.StaticRoute) bool {
	return types.CompareIPNet(a.Destination, b.Destination) && a.NextHop.Equal(b.NextHop)
}

func (n *namespace) AddStaticRoute(r *types.StaticRoute) error {
	nr, err := validateStaticRoute(r)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return errDestroyed(n.key)
	}
	for _, x := range n.routes {
		if sameRoute(x, r) {
			return types.ConflictErrorf("static route to %s via %s is already in sandbox %s", r.Destination, r.NextHop, n.key)
		}
	}
	if err := n.nlh.RouteAdd(nr); err != nil {
		return kernelErr(err, "add static route to %s via %s in sandbox %s", r.Destination, r.NextHop, n.key)
	}
	n.routes = append(n.routes, r.GetCopy())
	return nil
}

func (n *namespace) RemoveStaticRoute(r *types.StaticRoute) error {
	nr, err := validateStaticRoute(r)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return errDestroyed(n.key)
	}
	for k, x := range n.routes {
		if !sameRoute(x, r) {
			continue
		}
		if err := n.nlh.RouteDel(nr); err != nil && !isGone(err) {
			return kernelErr(err, "remove static route to %s via %s in sandbox %s", r.Destination, r.NextHop, n.key)
		}
		n.routes = append(n.routes[:k], n.routes[k+1:]...)
		return nil
	}
	return types.NotFoundErrorf("static route to %s via %s is not in sandbox %s", r.Destination, r.NextHop, n.key)
}

func (n *namespace) StaticRoutes() []*types.StaticRoute {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*types.StaticRoute, 0, len(n.routes))
	for _, r := range n.routes {
		out = append(out, r.GetCopy())
	}
	return out
}
