package server

import (
	"net"
	"sort"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// interfacesAt lists the interfaces of the namespace pinned at key, as the
// kernel has them.
func interfacesAt(key string) ([]api.Interface, error) {
	h, err := netns.GetFromPath(key)
	if err != nil {
		return nil, types.InternalErrorf("open sandbox namespace %s: %w", key, err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		return nil, types.InternalErrorf("netlink in sandbox namespace %s: %w", key, err)
	}
	defer nl.Close()
	links, err := nl.LinkList()
	if err != nil {
		return nil, types.InternalErrorf("list links of %s: %w", key, err)
	}
	sort.Slice(links, func(i, j int) bool { return links[i].Attrs().Index < links[j].Attrs().Index })
	out := make([]api.Interface, 0, len(links))
	for _, l := range links {
		a := l.Attrs()
		itf := api.Interface{Name: a.Name, MTU: a.MTU, Up: a.Flags&net.FlagUp != 0, Addresses: []string{}}
		if len(a.HardwareAddr) > 0 {
			itf.MacAddress = a.HardwareAddr.String()
		}
		addrs, err := nl.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return nil, types.InternalErrorf("list addresses of %s in %s: %w", a.Name, key, err)
		}
		for _, ad := range addrs {
			itf.Addresses = append(itf.Addresses, ad.IPNet.String())
		}
		out = append(out, itf)
	}
	return out, nil
}
