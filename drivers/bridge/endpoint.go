package bridge

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"sync"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/types"
)

// bridgeEndpoint is an endpoint: addresses and MAC from creation, a veth
// pair while joined, port mappings while connected to the outside.
type bridgeEndpoint struct {
	id, nid  string
	addr     *net.IPNet
	addrv6   *net.IPNet
	mac      net.HardwareAddr
	hostName string // host end of the veth pair, derived from the ID
	hostIdx  int    // its index while joined (0: look it up by name)

	mu sync.Mutex
	// joined says the veth pair exists (set by Join, cleared by Leave).
	joined bool
	// Port bindings and exposed ports given at creation; those given to
	// ProgramExternalConnectivity take precedence.
	cfgBindings []types.PortBinding
	cfgExposed  []types.TransportPort
	exposed     []types.TransportPort
	// portMapping is what is installed, with the host ports chosen.
	portMapping []types.PortBinding
	// unpublished says why bindings asked for were not published.
	unpublished string
	rec         *endpointRecord
}

// hostVethName returns the host-side veth name of endpoint eid: the prefix
// and 11 hex characters of the ID (or of its hash when the ID is not hex).
func hostVethName(eid string) string {
	const n = 11
	if len(eid) >= n && isHex(eid[:n]) {
		return hostVethPrefix + eid[:n]
	}
	sum := sha256.Sum256([]byte(eid))
	return hostVethPrefix + hex.EncodeToString(sum[:])[:n]
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// CreateEndpoint records the endpoint and gives it its MAC (from the
// options, else derived from the IPv4 address). It creates no kernel object.
func (d *driver) CreateEndpoint(nid, eid string, ifInfo driverapi.InterfaceInfo, epOptions map[string]interface{}) error {
	if eid == "" {
		return InvalidEndpointIDError(eid)
	}
	if ifInfo == nil {
		return types.BadRequestErrorf("bridge: endpoint %s has no interface info: %w", eid, &ErrInvalidEndpointConfig{})
	}
	n, err := d.network(nid)
	if err != nil {
		return err
	}
	opts, err := parseEndpointOptions(eid, epOptions)
	if err != nil {
		return err
	}
	addr, addr6 := ifInfo.Address(), ifInfo.AddressIPv6()
	if addr == nil {
		return types.BadRequestErrorf("bridge: endpoint %s needs an IPv4 address", eid)
	}
	if !n.config.PoolIPv4.Contains(addr.IP) {
		return types.BadRequestErrorf("bridge: address %s of endpoint %s is outside pool %s of network %s", addr, eid, n.config.PoolIPv4, nid)
	}
	if addr6 != nil && n.config.PoolIPv6 != nil && !n.config.PoolIPv6.Contains(addr6.IP) {
		return types.BadRequestErrorf("bridge: address %s of endpoint %s is outside pool %s of network %s", addr6, eid, n.config.PoolIPv6, nid)
	}
	mac := ifInfo.MacAddress()
	if mac == nil {
		mac = opts.mac
		if mac == nil {
			mac = netutils.GenerateMACFromIP(addr.IP)
		}
		if err := ifInfo.SetMacAddress(mac); err != nil {
			return err
		}
	}
	if err := validMAC(mac); err != nil {
		return types.BadRequestErrorf("bridge: endpoint %s: %w", eid, err)
	}
	ep := &bridgeEndpoint{id: eid, nid: nid, addr: types.GetIPNetCopy(addr), addrv6: types.GetIPNetCopy(addr6),
		mac: types.GetMacCopy(mac), hostName: hostVethName(eid), cfgBindings: opts.bindings, cfgExposed: opts.exposed}
	n.mu.Lock()
	if _, ok := n.endpoints[eid]; ok {
		n.mu.Unlock()
		return types.ConflictErrorf("bridge: endpoint %s already exists in network %s", eid, nid)
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

func validMAC(mac net.HardwareAddr) error {
	if len(mac) != 6 {
		return types.BadRequestErrorf("invalid MAC address %s: want 6 bytes", mac)
	}
	if mac[0]&1 != 0 {
		return types.BadRequestErrorf("invalid MAC address %s: multicast", mac)
	}
	return nil
}

// endpoint returns endpoint eid of network nid.
func (d *driver) endpoint(nid, eid string) (*bridgeNetwork, *bridgeEndpoint, error) {
	n, err := d.network(nid)
	if err != nil {
		return nil, nil, err
	}
	n.mu.Lock()
	ep, ok := n.endpoints[eid]
	n.mu.Unlock()
	if !ok {
		return nil, nil, fmt.Errorf("bridge network %s: %w", nid, EndpointNotFoundError(eid))
	}
	return n, ep, nil
}

// DeleteEndpoint forgets the endpoint after undoing what is left of its
// join and of its port mappings.
func (d *driver) DeleteEndpoint(nid, eid string) error {
	n, ep, err := d.endpoint(nid, eid)
	if err != nil {
		return err
	}
	ep.mu.Lock()
	if ep.joined {
		d.detach(n, ep)
		ep.joined = false
	}
	if len(ep.portMapping) > 0 {
		d.ports.revoke(ep)
		ep.portMapping = nil
	}
	ep.mu.Unlock()
	if err := d.deleteEndpointRecord(ep); err != nil {
		return err
	}
	n.mu.Lock()
	delete(n.endpoints, eid)
	n.mu.Unlock()
	return nil
}

// EndpointOperInfo returns the endpoint's MAC (netlabel.MacAddress), its
// installed port mappings (netlabel.PortMap) and its exposed ports
// (netlabel.ExposedPorts).
func (d *driver) EndpointOperInfo(nid, eid string) (map[string]interface{}, error) {
	_, ep, err := d.endpoint(nid, eid)
	if err != nil {
		return nil, err
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	pm := make([]types.PortBinding, 0, len(ep.portMapping))
	for _, p := range ep.portMapping {
		pm = append(pm, p.GetCopy())
	}
	m := map[string]interface{}{
		netlabel.MacAddress: types.GetMacCopy(ep.mac),
		netlabel.PortMap:    pm,
	}
	if len(ep.exposed) > 0 {
		m[netlabel.ExposedPorts] = append([]types.TransportPort(nil), ep.exposed...)
	}
	if ep.unpublished != "" {
		m[UnpublishedKey] = ep.unpublished
	}
	return m, nil
}
