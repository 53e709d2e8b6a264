package main

import (
	"crypto/sha256"
	"fmt"
	"net"
	"sync"

	"github.com/docker/go-plugins-helpers/network"
	"github.com/vishvananda/netlink"
)

// netDriver makes a bridge per network and, at Join, a veth pair in its
// own (the controller's host) namespace: the host end on the bridge, the
// other end handed to the controller to move into the sandbox.
type netDriver struct {
	mu sync.Mutex
	// Networks by ID: the gateway with its prefix length.
	Networks map[string]string
}

func (d *netDriver) load() {
	d.Networks = map[string]string{}
	loadState(d)
}

func short(id string) string {
	h := sha256.Sum256([]byte(id))
	return fmt.Sprintf("%x", h[:4])
}

func bridgeName(nid string) string { return "cpb" + short(nid) }
func hostVeth(eid string) string   { return "cph" + short(eid) }
func ctrVeth(eid string) string    { return "cpc" + short(eid) }

func (d *netDriver) GetCapabilities() (*network.CapabilitiesResponse, error) {
	logCall("GetCapabilities", nil)
	return &network.CapabilitiesResponse{Scope: network.LocalScope}, nil
}

func (d *netDriver) CreateNetwork(r *network.CreateNetworkRequest) error {
	logCall("CreateNetwork", r)
	if len(r.IPv4Data) == 0 || r.IPv4Data[0].Gateway == "" {
		return fmt.Errorf("network %s: no IPv4 gateway", r.NetworkID)
	}
	gw, err := netlink.ParseAddr(r.IPv4Data[0].Gateway)
	if err != nil {
		return err
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: bridgeName(r.NetworkID)}}
	if err := netlink.LinkAdd(br); err != nil {
		return fmt.Errorf("bridge %s: %w", br.Name, err)
	}
	if err := netlink.AddrAdd(br, gw); err != nil {
		_ = netlink.LinkDel(br)
		return err
	}
	if err := netlink.LinkSetUp(br); err != nil {
		_ = netlink.LinkDel(br)
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.Networks[r.NetworkID] = r.IPv4Data[0].Gateway
	saveState(d)
	return nil
}

func (d *netDriver) AllocateNetwork(r *network.AllocateNetworkRequest) (*network.AllocateNetworkResponse, error) {
	logCall("AllocateNetwork", r)
	return &network.AllocateNetworkResponse{}, nil
}

func (d *netDriver) DeleteNetwork(r *network.DeleteNetworkRequest) error {
	logCall("DeleteNetwork", r)
	if l, err := netlink.LinkByName(bridgeName(r.NetworkID)); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			return err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.Networks, r.NetworkID)
	saveState(d)
	return nil
}

func (d *netDriver) FreeNetwork(r *network.FreeNetworkRequest) error {
	logCall("FreeNetwork", r)
	return nil
}

// CreateEndpoint fills in a MAC address derived from the endpoint ID.
func (d *netDriver) CreateEndpoint(r *network.CreateEndpointRequest) (*network.CreateEndpointResponse, error) {
	logCall("CreateEndpoint", r)
	d.mu.Lock()
	_, ok := d.Networks[r.NetworkID]
	d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no network %s", r.NetworkID)
	}
	res := &network.CreateEndpointResponse{}
	if r.Interface == nil || r.Interface.MacAddress == "" {
		h := sha256.Sum256([]byte(r.EndpointID))
		mac := net.HardwareAddr{0x02, 0xcc, h[0], h[1], h[2], h[3]}
		res.Interface = &network.EndpointInterface{MacAddress: mac.String()}
	}
	return res, nil
}

func (d *netDriver) DeleteEndpoint(r *network.DeleteEndpointRequest) error {
	logCall("DeleteEndpoint", r)
	if l, err := netlink.LinkByName(hostVeth(r.EndpointID)); err == nil {
		return netlink.LinkDel(l)
	}
	return nil
}

func (d *netDriver) EndpointInfo(r *network.InfoRequest) (*network.InfoResponse, error) {
	logCall("EndpointOperInfo", r)
	return &network.InfoResponse{Value: map[string]string{"hostVeth": hostVeth(r.EndpointID)}}, nil
}

// Join makes the veth pair (again, when a killed plugin left one).
func (d *netDriver) Join(r *network.JoinRequest) (*network.JoinResponse, error) {
	logCall("Join", r)
	d.mu.Lock()
	gw, ok := d.Networks[r.NetworkID]
	d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("no network %s", r.NetworkID)
	}
	br, err := netlink.LinkByName(bridgeName(r.NetworkID))
	if err != nil {
		return nil, err
	}
	if old, err := netlink.LinkByName(hostVeth(r.EndpointID)); err == nil {
		_ = netlink.LinkDel(old)
	}
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: hostVeth(r.EndpointID), MasterIndex: br.Attrs().Index}, PeerName: ctrVeth(r.EndpointID)}
	if err := netlink.LinkAdd(v); err != nil {
		return nil, fmt.Errorf("veth %s: %w", v.Name, err)
	}
	if err := netlink.LinkSetUp(v); err != nil {
		_ = netlink.LinkDel(v)
		return nil, err
	}
	ip, _, _ := net.ParseCIDR(gw)
	return &network.JoinResponse{
		InterfaceName: network.InterfaceName{SrcName: ctrVeth(r.EndpointID), DstPrefix: "eth"},
		Gateway:       ip.String(),
	}, nil
}

func (d *netDriver) Leave(r *network.LeaveRequest) error {
	logCall("Leave", r)
	if l, err := netlink.LinkByName(hostVeth(r.EndpointID)); err == nil {
		return netlink.LinkDel(l)
	}
	return nil
}

func (d *netDriver) DiscoverNew(r *network.DiscoveryNotification) error {
	logCall("DiscoverNew", r)
	return nil
}

func (d *netDriver) DiscoverDelete(r *network.DiscoveryNotification) error {
	logCall("DiscoverDelete", r)
	return nil
}

func (d *netDriver) ProgramExternalConnectivity(r *network.ProgramExternalConnectivityRequest) error {
	logCall("ProgramExternalConnectivity", r)
	return nil
}

func (d *netDriver) RevokeExternalConnectivity(r *network.RevokeExternalConnectivityRequest) error {
	logCall("RevokeExternalConnectivity", r)
	return nil
}
