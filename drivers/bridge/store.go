package bridge

import (
	"encoding/json"
	"net"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

// Store key prefixes of the driver's objects.
// EndpointKeyPrefix is the kind of the driver's endpoint records in the
// store: run-time state, gone with the host's kernel state.
const EndpointKeyPrefix = "bridge-endpoint"

const (
	networkKeyPrefix  = "bridge"
	endpointKeyPrefix = EndpointKeyPrefix
)

// networkRecord is a network's configuration in the store.
type networkRecord struct {
	datastore.LocalMeta
	Config networkConfiguration
	Pool4  string `json:",omitempty"`
	Addr4  string `json:",omitempty"`
	Pool6  string `json:",omitempty"`
	Addr6  string `json:",omitempty"`
}

func (r *networkRecord) Key() []string       { return []string{networkKeyPrefix, r.Config.ID} }
func (r *networkRecord) KeyPrefix() []string { return []string{networkKeyPrefix} }
func (r *networkRecord) New() datastore.KVObject {
	return &networkRecord{}
}

func (r *networkRecord) Value() []byte {
	b, _ := json.Marshal(r)
	return b
}

func (r *networkRecord) SetValue(b []byte) error {
	var v networkRecord
	if err := json.Unmarshal(b, &v); err != nil {
		return types.InternalErrorf("decode bridge network record: %w", err)
	}
	v.LocalMeta = r.LocalMeta
	*r = v
	return nil
}

func (r *networkRecord) CopyTo(o datastore.KVObject) error {
	dst, ok := o.(*networkRecord)
	if !ok {
		return types.InternalErrorf("copy bridge network record into %T", o)
	}
	*dst = *r
	return nil
}

// config returns the configuration with its addresses parsed.
func (r *networkRecord) config() (*networkConfiguration, error) {
	c := r.Config
	var err error
	if c.PoolIPv4, err = parseNet(r.Pool4); err != nil {
		return nil, err
	}
	if c.AddressIPv4, err = parseNet(r.Addr4); err != nil {
		return nil, err
	}
	if c.PoolIPv6, err = parseNet(r.Pool6); err != nil {
		return nil, err
	}
	if c.AddressIPv6, err = parseNet(r.Addr6); err != nil {
		return nil, err
	}
	if c.PoolIPv4 == nil || c.AddressIPv4 == nil || c.ID == "" || c.BridgeName == "" {
		return nil, types.InternalErrorf("bridge network record %q is incomplete", c.ID)
	}
	return &c, nil
}

func newNetworkRecord(c *networkConfiguration) *networkRecord {
	return &networkRecord{Config: *c, Pool4: ipNetText(c.PoolIPv4), Addr4: ipNetText(c.AddressIPv4),
		Pool6: ipNetText(c.PoolIPv6), Addr6: ipNetText(c.AddressIPv6)}
}

// endpointRecord is an endpoint in the store: addresses, MAC and the
// installed port mappings.
type endpointRecord struct {
	datastore.LocalMeta
	ID          string
	NetworkID   string
	Addr        string
	AddrV6      string `json:",omitempty"`
	MAC         string
	PortMapping []string              `json:",omitempty"`
	Exposed     []types.TransportPort `json:",omitempty"`
	// The ports the endpoint was created to publish and expose, for a
	// join after a restart.
	CfgBindings []string              `json:",omitempty"`
	CfgExposed  []types.TransportPort `json:",omitempty"`
}

func (r *endpointRecord) Key() []string       { return []string{endpointKeyPrefix, r.ID} }
func (r *endpointRecord) KeyPrefix() []string { return []string{endpointKeyPrefix} }
func (r *endpointRecord) New() datastore.KVObject {
	return &endpointRecord{}
}

func (r *endpointRecord) Value() []byte {
	b, _ := json.Marshal(r)
	return b
}

func (r *endpointRecord) SetValue(b []byte) error {
	var v endpointRecord
	if err := json.Unmarshal(b, &v); err != nil {
		return types.InternalErrorf("decode bridge endpoint record: %w", err)
	}
	v.LocalMeta = r.LocalMeta
	*r = v
	return nil
}

func (r *endpointRecord) CopyTo(o datastore.KVObject) error {
	dst, ok := o.(*endpointRecord)
	if !ok {
		return types.InternalErrorf("copy bridge endpoint record into %T", o)
	}
	*dst = *r
	dst.PortMapping = append([]string(nil), r.PortMapping...)
	dst.Exposed = append([]types.TransportPort(nil), r.Exposed...)
	dst.CfgBindings = append([]string(nil), r.CfgBindings...)
	dst.CfgExposed = append([]types.TransportPort(nil), r.CfgExposed...)
	return nil
}

// endpoint rebuilds an endpoint from its record.
func (r *endpointRecord) endpoint() (*bridgeEndpoint, error) {
	ep := &bridgeEndpoint{id: r.ID, nid: r.NetworkID, hostName: hostVethName(r.ID), rec: r}
	var err error
	if ep.addr, err = parseNet(r.Addr); err != nil || ep.addr == nil {
		return nil, types.InternalErrorf("bridge endpoint record %s: bad address %q", r.ID, r.Addr)
	}
	if ep.addrv6, err = parseNet(r.AddrV6); err != nil {
		return nil, err
	}
	if ep.mac, err = net.ParseMAC(r.MAC); err != nil {
		return nil, types.InternalErrorf("bridge endpoint record %s: bad MAC %q", r.ID, r.MAC)
	}
	for _, s := range r.PortMapping {
		pb, err := types.ParsePortBinding(s)
		if err != nil {
			return nil, types.InternalErrorf("bridge endpoint record %s: %w", r.ID, err)
		}
		ep.portMapping = append(ep.portMapping, pb)
	}
	ep.exposed = append([]types.TransportPort(nil), r.Exposed...)
	for _, s := range r.CfgBindings {
		pb, err := types.ParsePortBinding(s)
		if err != nil {
			return nil, types.InternalErrorf("bridge endpoint record %s: %w", r.ID, err)
		}
		ep.cfgBindings = append(ep.cfgBindings, pb)
	}
	ep.cfgExposed = append([]types.TransportPort(nil), r.CfgExposed...)
	return ep, nil
}

func parseNet(s string) (*net.IPNet, error) {
	if s == "" {
		return nil, nil
	}
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, types.InternalErrorf("bad address %q in bridge record: %w", s, err)
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	n.IP = ip
	return n, nil
}

func ipNetText(n *net.IPNet) string {
	if n == nil {
		return ""
	}
	return n.String()
}

// storeNetwork writes the network's record (no store: nothing).
func (d *driver) storeNetwork(n *bridgeNetwork) error {
	if d.store == nil {
		return nil
	}
	rec := newNetworkRecord(n.config)
	n.mu.Lock()
	if n.rec != nil {
		rec.LocalMeta = n.rec.LocalMeta
	}
	n.mu.Unlock()
	if err := d.store.PutObjectAtomic(rec); err != nil {
		return types.InternalErrorf("store bridge network %s: %w", n.id, err)
	}
	n.mu.Lock()
	n.rec = rec
	n.mu.Unlock()
	return nil
}

func (d *driver) deleteNetworkRecord(n *bridgeNetwork) error {
	if d.store == nil {
		return nil
	}
	if err := d.store.DeleteObject(newNetworkRecord(n.config)); err != nil {
		return types.InternalErrorf("delete bridge network %s from the store: %w", n.id, err)
	}
	return nil
}

// storeEndpoint writes the endpoint's record; the caller holds ep.mu or
// owns ep alone.
func (d *driver) storeEndpoint(ep *bridgeEndpoint) error {
	if d.store == nil {
		return nil
	}
	rec := &endpointRecord{ID: ep.id, NetworkID: ep.nid, Addr: ipNetText(ep.addr), AddrV6: ipNetText(ep.addrv6),
		MAC: ep.mac.String(), Exposed: append([]types.TransportPort(nil), ep.exposed...)}
	for _, pb := range ep.portMapping {
		rec.PortMapping = append(rec.PortMapping, pb.String())
	}
	for _, pb := range ep.cfgBindings {
		rec.CfgBindings = append(rec.CfgBindings, pb.String())
	}
	rec.CfgExposed = append([]types.TransportPort(nil), ep.cfgExposed...)
	if ep.rec != nil {
		rec.LocalMeta = ep.rec.LocalMeta
	}
	if err := d.store.PutObjectAtomic(rec); err != nil {
		return types.InternalErrorf("store bridge endpoint %s: %w", ep.id, err)
	}
	ep.rec = rec
	return nil
}

func (d *driver) deleteEndpointRecord(ep *bridgeEndpoint) error {
	if d.store == nil {
		return nil
	}
	if err := d.store.DeleteObject(&endpointRecord{ID: ep.id}); err != nil {
		return types.InternalErrorf("delete bridge endpoint %s from the store: %w", ep.id, err)
	}
	return nil
}
