package main

import (
	"fmt"
	"net"

	"github.com/containernetworking/cni/pkg/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// inNetns runs fn with a netlink handle in the namespace at path.
func inNetns(path string, fn func(nl *netlink.Handle) error) error {
	h, err := netns.GetFromPath(path)
	if err != nil {
		return err
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return err
	}
	defer nl.Close()
	return fn(nl)
}

// routesVia lists the routes of the main table that go through ifname
// and a gateway, or to the default destination: the routes a result
// reports (the connected ones come with the addresses).
func routesVia(path, ifname string) ([]*types.Route, error) {
	var out []*types.Route
	err := inNetns(path, func(nl *netlink.Handle) error {
		link, err := nl.LinkByName(ifname)
		if err != nil {
			return fmt.Errorf("interface %s: %w", ifname, err)
		}
		rs, err := nl.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{LinkIndex: link.Attrs().Index, Table: unix.RT_TABLE_MAIN},
			netlink.RT_FILTER_OIF|netlink.RT_FILTER_TABLE)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Gw == nil && r.Dst != nil && r.Protocol == unix.RTPROT_KERNEL {
				continue
			}
			if r.Dst != nil && r.Dst.IP.IsLinkLocalUnicast() || r.Dst != nil && r.Dst.IP.IsMulticast() {
				continue
			}
			dst := r.Dst
			if dst == nil {
				if r.Family == unix.AF_INET6 {
					dst = &net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}
				} else {
					dst = &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}
				}
			}
			out = append(out, &types.Route{Dst: *dst, GW: r.Gw})
		}
		return nil
	})
	return out, err
}
