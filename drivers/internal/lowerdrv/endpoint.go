package lowerdrv

import (
	"fmt"
	"net"
	"sync"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/types"
)

// endpoint is an endpoint: its addresses and MAC, and while joined the
// interface made for its sandbox.
type endpoint struct {
	id, nid string
	addr    *net.IPNet
	addr6   *net.IPNet
	mac     net.HardwareAddr // nil for ipvlan: the parent's

	mu     sync.Mutex
	joined bool
	// restored: rebuilt from the store, joined or not (the interface is in
	// a sandbox the driver does not see); Leave accepts it either way.
	restored bool
	// hostName is the interface made in the host namespace for a sandbox
	// that had no namespace yet ("" otherwise).
	hostName string
	rec      *endpointRecord
}

// CreateEndpoint checks the endpoint's addresses against the network's
// pools and, for a driver whose endpoints have a MAC of their own, gives
// it one derived from its IPv4 address when none was asked for. It
// creates no kernel object.
func (d *Driver) CreateEndpoint(nid, eid string, ifInfo driverapi.InterfaceInfo, epOptions map[string]interface{}) error {
	if eid == "" {
		return types.BadRequestErrorf("%s: endpoint ID is empty", d.kind.Name)
	}
	if ifInfo == nil {
		return types.BadRequestErrorf("%s: endpoint %s has no interface info", d.kind.Name, eid)
	}
	n, err := d.network(nid)
	if err != nil {
		return err
	}
	addr, addr6 := ifInfo.Address(), ifInfo.AddressIPv6()
	if addr == nil && addr6 == nil {
		return types.BadRequestErrorf("%s: endpoint %s has no address", d.kind.Name, eid)
	}
	if addr != nil && !inPools(n.v4, addr.IP) {
		return types.BadRequestErrorf("%s: address %s of endpoint %s is outside the subnets of network %s", d.kind.Name, addr, eid, nid)
	}
	if addr6 != nil && !inPools(n.v6, addr6.IP) {
		return types.BadRequestErrorf("%s: address %s of endpoint %s is outside the subnets of network %s", d.kind.Name, addr6, eid, nid)
	}
	mac := ifInfo.MacAddress()
	if mac == nil {
		if v, ok := epOptions[netlabel.MacAddress]; ok {
			m, ok := v.(net.HardwareAddr)
			if !ok {
				return types.BadRequestErrorf("%s: endpoint %s option %s: want a net.HardwareAddr, got %T", d.kind.Name, eid, netlabel.MacAddress, v)
			}
			mac = m
		}
	}
	if !d.kind.OwnMAC {
		if mac != nil {
			return types.BadRequestErrorf("%s: endpoint %s: interfaces share the parent's MAC; MAC %s cannot be set", d.kind.Name, eid, mac)
		}
	} else {
		if mac == nil {
			if addr != nil {
				mac = netutils.GenerateMACFromIP(addr.IP)
			} else {
				mac = netutils.GenerateRandomMAC()
			}
		}
		if len(mac) != 6 || mac[0]&1 != 0 {
			return types.BadRequestErrorf("%s: endpoint %s: invalid MAC address %s", d.kind.Name, eid, mac)
		}
		if ifInfo.MacAddress() == nil {
			if err := ifInfo.SetMacAddress(mac); err != nil {
				return err
			}
		}
	}
	ep := &endpoint{id: eid, nid: nid, addr: types.GetIPNetCopy(addr), addr6: types.GetIPNetCopy(addr6), mac: types.GetMacCopy(mac)}
	n.mu.Lock()
	if _, ok := n.endpoints[eid]; ok {
		n.mu.Unlock()
		return types.ConflictErrorf("%s: endpoint %s already exists in network %s", d.kind.Name, eid, nid)
	}
	n.endpoints[eid] = ep
	n.mu.Unlock()
	if err := d.storeEndpoint(ep); err != nil {
		n.mu.Lock()
		delete(n.endpoints, eid)
		n.mu.Unlock()
		return err
	}
	return nil
}

// endpoint returns endpoint eid of network nid.
func (d *Driver) endpoint(nid, eid string) (*network, *endpoint, error) {
	n, err := d.network(nid)
	if err != nil {
		return nil, nil, err
	}
	n.mu.Lock()
	ep, ok := n.endpoints[eid]
	n.mu.Unlock()
	if !ok {
		return nil, nil, types.NotFoundErrorf("%s network %s: endpoint %s not found", d.kind.Name, nid, eid)
	}
	return n, ep, nil
}

// DeleteEndpoint undoes what is left of the endpoint's join and forgets it.
func (d *Driver) DeleteEndpoint(nid, eid string) error {
	n, ep, err := d.endpoint(nid, eid)
	if err != nil {
		return err
	}
	ep.mu.Lock()
	d.detach(ep)
	ep.mu.Unlock()
	if err := d.deleteEndpointRecord(ep); err != nil {
		return err
	}
	n.mu.Lock()
	delete(n.endpoints, eid)
	n.mu.Unlock()
	return nil
}

// EndpointOperInfo returns the endpoint's MAC (netlabel.MacAddress) when
// it has one of its own.
func (d *Driver) EndpointOperInfo(nid, eid string) (map[string]interface{}, error) {
	_, ep, err := d.endpoint(nid, eid)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if ep.mac != nil {
		m[netlabel.MacAddress] = types.GetMacCopy(ep.mac)
	}
	return m, nil
}

func (ep *endpoint) String() string { return fmt.Sprintf("endpoint %s of network %s", ep.id, ep.nid) }
