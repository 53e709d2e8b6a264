package overlay

import (
	"crypto/sha256"
	"encoding/hex"
	"net"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/types"
)

// epState is where an endpoint is in its join cycle.
type epState uint8

const (
	epIdle epState = iota
	epJoining
	epJoined
	epLeaving
)

// endpoint is an endpoint of an overlay network on this host. Its fields
// are fixed at creation except state, guarded by its network's lock.
type endpoint struct {
	id       string
	addr     *net.IPNet
	addr6    *net.IPNet
	mac      net.HardwareAddr
	seg      int
	hostName string // the veth end on the segment's bridge
	state    epState
}

// vethName returns the name of endpoint eid's veth end in the overlay
// namespace: "veth" and 11 hex characters of a hash of the ID.
func vethName(eid string) string {
	sum := sha256.Sum256([]byte(eid))
	return "veth" + hex.EncodeToString(sum[:])[:11]
}

// CreateEndpoint records the endpoint: its addresses must be in one
// segment of the network; its MAC is the given one or derived from its IP
// (netutils.GenerateMACFromIP). No kernel object is created.
func (d *driver) CreateEndpoint(nid, eid string, ifInfo driverapi.InterfaceInfo, epOptions map[string]interface{}) error {
	if eid == "" {
		return types.BadRequestErrorf("overlay: empty endpoint ID")
	}
	if ifInfo == nil {
		return types.BadRequestErrorf("overlay: endpoint %s has no interface info", eid)
	}
	n, err := d.network(nid)
	if err != nil {
		return err
	}
	addr, addr6 := ifInfo.Address(), ifInfo.AddressIPv6()
	if addr == nil && addr6 == nil {
		return types.BadRequestErrorf("overlay: endpoint %s has no address", eid)
	}
	seg, err := n.segmentOf(addr, addr6)
	if err != nil {
		return types.BadRequestErrorf("overlay: endpoint %s: %w", eid, err)
	}
	for _, pair := range [][2]*net.IPNet{{addr, n.segs[seg].gw4}, {addr6, n.segs[seg].gw6}} {
		if pair[0] != nil && pair[1] != nil && pair[0].IP.Equal(pair[1].IP) {
			return types.BadRequestErrorf("overlay: endpoint %s: address %s is the gateway of its subnet", eid, pair[0])
		}
	}
	mac := ifInfo.MacAddress()
	if mac == nil {
		if addr != nil {
			mac = netutils.GenerateMACFromIP(addr.IP)
		} else {
			mac = netutils.GenerateMACFromIP(addr6.IP)
		}
		if err := ifInfo.SetMacAddress(mac); err != nil {
			return err
		}
	}
	if len(mac) != 6 || mac[0]&1 != 0 {
		return types.BadRequestErrorf("overlay: endpoint %s: MAC %s is not a unicast Ethernet address", eid, mac)
	}
	ep := &endpoint{id: eid, addr: canonAddr(addr), addr6: types.GetIPNetCopy(addr6), mac: types.GetMacCopy(mac),
		seg: seg, hostName: vethName(eid)}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.deleted {
		return types.NotFoundErrorf("overlay network %s not found", nid)
	}
	if _, ok := n.endpoints[eid]; ok {
		return types.ConflictErrorf("overlay: endpoint %s already exists in network %s", eid, nid)
	}
	if err := d.storeEndpoint(nid, ep); err != nil {
		return err
	}
	n.endpoints[eid] = ep
	return nil
}

// canonAddr returns a copy of an IPv4 address with 4-byte IP and mask.
func canonAddr(a *net.IPNet) *net.IPNet {
	if a == nil {
		return nil
	}
	c := types.GetIPNetCopy(a)
	if v4 := c.IP.To4(); v4 != nil {
		c.IP, c.Mask = v4, lastBytes(c.Mask, 4)
	}
	return c
}

// DeleteEndpoint forgets the endpoint, leaving first if it is joined.
func (d *driver) DeleteEndpoint(nid, eid string) error {
	n, err := d.network(nid)
	if err != nil {
		return err
	}
	n.mu.Lock()
	ep, ok := n.endpoints[eid]
	if !ok {
		n.mu.Unlock()
		return types.NotFoundErrorf("overlay: endpoint %s not found in network %s", eid, nid)
	}
	joined := ep.state == epJoined
	if ep.state == epJoining || ep.state == epLeaving {
		n.mu.Unlock()
		return types.ForbiddenErrorf("overlay: endpoint %s is joining or leaving", eid)
	}
	n.mu.Unlock()
	if joined {
		if err := d.Leave(nid, eid); err != nil && !types.IsForbidden(err) {
			return err
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if ep.state != epIdle {
		return types.ForbiddenErrorf("overlay: endpoint %s was joined again while being deleted", eid)
	}
	if err := d.deleteEndpointRecord(eid); err != nil {
		return err
	}
	delete(n.endpoints, eid)
	return nil
}

// EndpointOperInfo returns the endpoint's MAC under netlabel.MacAddress.
func (d *driver) EndpointOperInfo(nid, eid string) (map[string]interface{}, error) {
	n, err := d.network(nid)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	ep, ok := n.endpoints[eid]
	if !ok {
		return nil, types.NotFoundErrorf("overlay: endpoint %s not found in network %s", eid, nid)
	}
	return map[string]interface{}{netlabel.MacAddress: types.GetMacCopy(ep.mac)}, nil
}
