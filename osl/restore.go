package osl

import (
	"net"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// restore reads the sandbox's interfaces, addresses, routes and permanent IP
// neighbours back from the kernel (four dumps). Every link but loopback
// becomes an Interface named by its name in the namespace.
func (n *namespace) restore() error {
	links, err := n.nlh.LinkList()
	if err != nil {
		return kernelErr(err, "list links of sandbox %s", n.key)
	}
	byIndex := map[int]*nwIface{}
	names := map[int]string{}
	for _, l := range links {
		a := l.Attrs()
		names[a.Index] = a.Name
		if a.Flags&net.FlagLoopback != 0 {
			continue
		}
		i := &nwIface{ns: n, index: a.Index, srcName: a.Name, dstName: a.Name, mac: types.GetMacCopy(a.HardwareAddr),
			mtu: a.MTU, bridge: l.Type() == "bridge"}
		byIndex[a.Index] = i
		n.ifaces = append(n.ifaces, i)
	}
	for _, l := range links {
		if i := byIndex[l.Attrs().Index]; i != nil && l.Attrs().MasterIndex != 0 {
			i.master = names[l.Attrs().MasterIndex]
			i.dstMaster = i.master
		}
	}
	addrs, err := n.nlh.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		return kernelErr(err, "list addresses of sandbox %s", n.key)
	}
	for _, a := range addrs {
		if i := byIndex[a.LinkIndex]; i != nil {
			i.restoreAddr(a.IPNet)
		}
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		routes, err := n.nlh.RouteList(nil, fam)
		if err != nil {
			return kernelErr(err, "list routes of sandbox %s", n.key)
		}
		for _, r := range routes {
			n.restoreRoute(r, byIndex)
		}
	}
	neighs, err := n.nlh.NeighList(0, netlink.FAMILY_ALL)
	if err != nil {
		return kernelErr(err, "list neighbours of sandbox %s", n.key)
	}
	for _, k := range neighs {
		i := byIndex[k.LinkIndex]
		if i == nil || k.State&netlink.NUD_PERMANENT == 0 || len(k.HardwareAddr) != 6 || k.IP == nil {
			continue
		}
		if k.Family != unix.AF_INET && k.Family != unix.AF_INET6 {
			continue
		}
		n.neighbors = append(n.neighbors, &neigh{dstIP: k.IP, dstMac: k.HardwareAddr, linkName: i.dstName,
			linkDst: i.dstName, linkIndex: i.index})
	}
	return nil
}

// restoreAddr files an address of the interface found on restore. The
// kernel's own EUI-64 link-local address is left out.
func (i *nwIface) restoreAddr(a *net.IPNet) {
	if a == nil {
		return
	}
	switch {
	case a.IP.IsLinkLocalUnicast():
		if !a.IP.Equal(eui64LinkLocal(i.mac)) {
			i.llAddrs = append(i.llAddrs, a)
		}
	case a.IP.To4() != nil:
		if i.addr == nil {
			i.addr = normV4(a)
		}
	default:
		if i.addr6 == nil {
			i.addr6 = a
		}
	}
}

// restoreRoute files a route of the main table found on restore: default
// routes become gateways, next-hop routes static routes, other routes through
// an interface that interface's connected routes. Routes the kernel made
// itself (subnet routes, router advertisements) are skipped.
func (n *namespace) restoreRoute(r netlink.Route, byIndex map[int]*nwIface) {
	if r.Protocol == unix.RTPROT_KERNEL || r.Protocol == unix.RTPROT_RA || r.Type != unix.RTN_UNICAST {
		return
	}
	isDefault := r.Dst == nil
	if !isDefault {
		ones, _ := r.Dst.Mask.Size()
		isDefault = ones == 0
	}
	switch {
	case isDefault && r.Gw != nil:
		if r.Gw.To4() != nil {
			n.gw = r.Gw.To4()
		} else {
			n.gw6 = r.Gw
		}
	case r.Dst == nil:
	case r.Gw != nil:
		n.routes = append(n.routes, &types.StaticRoute{Destination: r.Dst, RouteType: types.NEXTHOP, NextHop: r.Gw})
	default:
		if i := byIndex[r.LinkIndex]; i != nil {
			i.routes = append(i.routes, r.Dst)
		}
	}
}

// eui64LinkLocal returns the fe80::/64 address the kernel derives from mac.
func eui64LinkLocal(mac net.HardwareAddr) net.IP {
	if len(mac) != 6 {
		return nil
	}
	ip := make(net.IP, net.IPv6len)
	ip[0], ip[1] = 0xfe, 0x80
	ip[8], ip[9], ip[10] = mac[0]^0x02, mac[1], mac[2]
	ip[11], ip[12] = 0xff, 0xfe
	ip[13], ip[14], ip[15] = mac[3], mac[4], mac[5]
	return ip
}
