package main

import (
	"bytes"
	"fmt"
	"net"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"github.com/containernetworking/cni/pkg/version"
	"github.com/vishvananda/netlink"
)

// cmdCheck verifies that the container is still attached and that its
// namespace has the interface, addresses and routes of the previous result.
func cmdCheck(args *skel.CmdArgs) error {
	s, done, cerr := newSession(args)
	if cerr != nil {
		return cerr
	}
	defer done()
	if len(s.conf.RawPrev) == 0 {
		return cniErr(types.ErrInvalidNetworkConfig, "prevResult", "required by CHECK")
	}
	r, err := version.NewResult(s.conf.CNIVersion, s.conf.RawPrev)
	if err != nil {
		return cniErr(types.ErrDecodingFailure, "prevResult", "%v", err)
	}
	prev, err := current.NewResultFromResult(r)
	if err != nil {
		return cniErr(types.ErrDecodingFailure, "prevResult", "%v", err)
	}
	ep, err := s.cl.Endpoint(s.ctx, s.conf.Name, endpointName(args.ContainerID, args.IfName))
	if isNotFound(err) {
		return cniErr(types.ErrUnknownContainer, "CNI_CONTAINERID", "container %s has no interface %s on network %s", args.ContainerID, args.IfName, s.conf.Name)
	}
	if err != nil {
		return daemonErr("endpoint", "endpoint of container "+args.ContainerID, err)
	}
	if ep.Sandbox != args.ContainerID {
		return cniErr(types.ErrUnknownContainer, "CNI_CONTAINERID", "interface %s of container %s is not attached", args.IfName, args.ContainerID)
	}
	if err := checkKernel(args.Netns, args.IfName, prev); err != nil {
		return cniErr(errPluginState, "CNI_NETNS", "%v", err)
	}
	return nil
}

// checkKernel compares the interface ifname in the namespace at path with
// what prev says of it.
func checkKernel(path, ifname string, prev *current.Result) error {
	idx := -1
	for i, itf := range prev.Interfaces {
		if itf.Name == ifname && itf.Sandbox != "" {
			idx = i
		}
	}
	if idx < 0 {
		return fmt.Errorf("prevResult has no interface %s in a sandbox", ifname)
	}
	want := prev.Interfaces[idx]
	return inNetns(path, func(nl *netlink.Handle) error {
		link, err := nl.LinkByName(ifname)
		if err != nil {
			return fmt.Errorf("interface %s: %w", ifname, err)
		}
		a := link.Attrs()
		if a.Flags&net.FlagUp == 0 {
			return fmt.Errorf("interface %s is down", ifname)
		}
		if want.Mac != "" {
			if m, err := net.ParseMAC(want.Mac); err != nil || !bytes.Equal(m, a.HardwareAddr) {
				return fmt.Errorf("interface %s has MAC %s, prevResult %s", ifname, a.HardwareAddr, want.Mac)
			}
		}
		addrs, err := nl.AddrList(link, netlink.FAMILY_ALL)
		if err != nil {
			return err
		}
		for _, ip := range prev.IPs {
			if ip.Interface == nil || *ip.Interface != idx {
				continue
			}
			if !hasAddr(addrs, ip.Address) {
				return fmt.Errorf("interface %s lacks address %s", ifname, ip.Address.String())
			}
		}
		routes, err := nl.RouteList(link, netlink.FAMILY_ALL)
		if err != nil {
			return err
		}
		for _, r := range prev.Routes {
			if !hasRoute(routes, r) {
				return fmt.Errorf("route to %s via %v through %s is missing", r.Dst.String(), r.GW, ifname)
			}
		}
		return nil
	})
}

func hasAddr(addrs []netlink.Addr, want net.IPNet) bool {
	for _, a := range addrs {
		if a.IP.Equal(want.IP) && bytes.Equal(a.Mask, want.Mask) {
			return true
		}
	}
	return false
}

func hasRoute(routes []netlink.Route, want *types.Route) bool {
	wantOnes, _ := want.Dst.Mask.Size()
	for _, r := range routes {
		if want.GW != nil && !want.GW.Equal(r.Gw) {
			continue
		}
		if r.Dst == nil {
			if wantOnes == 0 {
				return true
			}
			continue
		}
		ones, _ := r.Dst.Mask.Size()
		if ones == wantOnes && r.Dst.IP.Equal(want.Dst.IP) {
			return true
		}
	}
	return false
}
