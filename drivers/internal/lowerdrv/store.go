package lowerdrv

import (
	"encoding/json"
	"net"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

// networkRecord is a network in the store. Created says the parent link
// is a sub-interface or dummy link we made (its alias marks it too).
type networkRecord struct {
	datastore.LocalMeta
	prefix   string
	ID       string
	Parent   string `json:",omitempty"`
	Link     string
	Mode     string
	Internal bool     `json:",omitempty"`
	Created  bool     `json:",omitempty"`
	Pools4   []string `json:",omitempty"`
	Gws4     []string `json:",omitempty"`
	Pools6   []string `json:",omitempty"`
	Gws6     []string `json:",omitempty"`
}

func (r *networkRecord) Key() []string       { return []string{r.prefix, r.ID} }
func (r *networkRecord) KeyPrefix() []string { return []string{r.prefix} }
func (r *networkRecord) New() datastore.KVObject {
	return &networkRecord{prefix: r.prefix}
}

func (r *networkRecord) Value() []byte {
	b, _ := json.Marshal(r)
	return b
}

func (r *networkRecord) SetValue(b []byte) error {
	v := networkRecord{prefix: r.prefix}
	if err := json.Unmarshal(b, &v); err != nil {
		return types.InternalErrorf("decode %s network record: %w", r.prefix, err)
	}
	v.LocalMeta = r.LocalMeta
	*r = v
	return nil
}

func (r *networkRecord) CopyTo(o datastore.KVObject) error {
	dst, ok := o.(*networkRecord)
	if !ok {
		return types.InternalErrorf("copy %s network record into %T", r.prefix, o)
	}
	*dst = *r
	return nil
}

func subnetTexts(list []subnet) (pools, gws []string) {
	for _, s := range list {
		pools = append(pools, s.pool.String())
		gws = append(gws, ipText(s.gw))
	}
	return pools, gws
}

func parseSubnets(pools, gws []string) ([]subnet, error) {
	var out []subnet
	for i, p := range pools {
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, types.InternalErrorf("bad pool %q in network record: %w", p, err)
		}
		s := subnet{pool: n}
		if i < len(gws) && gws[i] != "" {
			if s.gw = net.ParseIP(gws[i]); s.gw == nil {
				return nil, types.InternalErrorf("bad gateway %q in network record", gws[i])
			}
			if v4 := s.gw.To4(); v4 != nil {
				s.gw = v4
			}
		}
		out = append(out, s)
	}
	return out, nil
}

func ipText(ip net.IP) string {
	if ip == nil {
		return ""
	}
	return ip.String()
}

func (d *Driver) newNetworkRecord(n *network) *networkRecord {
	r := &networkRecord{prefix: d.kind.Name, ID: n.id, Parent: n.cfg.Parent, Link: n.link.Name, Mode: n.cfg.Mode,
		Internal: n.cfg.Internal, Created: n.link.Created}
	r.Pools4, r.Gws4 = subnetTexts(n.v4)
	r.Pools6, r.Gws6 = subnetTexts(n.v6)
	return r
}

// network rebuilds a network from its record.
func (r *networkRecord) network() (*network, error) {
	n := &network{id: r.ID, cfg: netConfig{Parent: r.Parent, Mode: r.Mode, Internal: r.Internal}, rec: r,
		endpoints: map[string]*endpoint{}}
	var err error
	if n.v4, err = parseSubnets(r.Pools4, r.Gws4); err != nil {
		return nil, err
	}
	if n.v6, err = parseSubnets(r.Pools6, r.Gws6); err != nil {
		return nil, err
	}
	if r.ID == "" || r.Link == "" || (!r.Internal && r.Parent == "") {
		return nil, types.InternalErrorf("%s network record %q is incomplete", r.prefix, r.ID)
	}
	return n, nil
}

// endpointRecord is an endpoint in the store: its addresses and MAC.
type endpointRecord struct {
	datastore.LocalMeta
	prefix    string
	ID        string
	NetworkID string
	Addr      string `json:",omitempty"`
	AddrV6    string `json:",omitempty"`
	MAC       string `json:",omitempty"`
}

func (r *endpointRecord) Key() []string       { return []string{r.prefix, r.ID} }
func (r *endpointRecord) KeyPrefix() []string { return []string{r.prefix} }
func (r *endpointRecord) New() datastore.KVObject {
	return &endpointRecord{prefix: r.prefix}
}

func (r *endpointRecord) Value() []byte {
	b, _ := json.Marshal(r)
	return b
}

func (r *endpointRecord) SetValue(b []byte) error {
	v := endpointRecord{prefix: r.prefix}
	if err := json.Unmarshal(b, &v); err != nil {
		return types.InternalErrorf("decode %s record: %w", r.prefix, err)
	}
	v.LocalMeta = r.LocalMeta
	*r = v
	return nil
}

func (r *endpointRecord) CopyTo(o datastore.KVObject) error {
	dst, ok := o.(*endpointRecord)
	if !ok {
		return types.InternalErrorf("copy %s record into %T", r.prefix, o)
	}
	*dst = *r
	return nil
}

func (r *endpointRecord) endpoint() (*endpoint, error) {
	ep := &endpoint{id: r.ID, nid: r.NetworkID, rec: r}
	var err error
	if ep.addr, err = parseAddr(r.Addr); err != nil {
		return nil, err
	}
	if ep.addr6, err = parseAddr(r.AddrV6); err != nil {
		return nil, err
	}
	if r.MAC != "" {
		if ep.mac, err = net.ParseMAC(r.MAC); err != nil {
			return nil, types.InternalErrorf("%s %s: bad MAC %q", r.prefix, r.ID, r.MAC)
		}
	}
	if ep.addr == nil && ep.addr6 == nil {
		return nil, types.InternalErrorf("%s %s has no address", r.prefix, r.ID)
	}
	return ep, nil
}

func parseAddr(s string) (*net.IPNet, error) {
	if s == "" {
		return nil, nil
	}
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, types.InternalErrorf("bad address %q in endpoint record: %w", s, err)
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	n.IP = ip
	return n, nil
}

func (d *Driver) endpointPrefix() string { return d.kind.Name + "-endpoint" }

// storeNetwork writes the network's record (no store: nothing).
func (d *Driver) storeNetwork(n *network) error {
	if d.store == nil {
		return nil
	}
	rec := d.newNetworkRecord(n)
	if n.rec != nil {
		rec.LocalMeta = n.rec.LocalMeta
	}
	if err := d.store.PutObjectAtomic(rec); err != nil {
		return types.InternalErrorf("store %s network %s: %w", d.kind.Name, n.id, err)
	}
	n.rec = rec
	return nil
}

func (d *Driver) deleteNetworkRecord(n *network) error {
	if d.store == nil {
		return nil
	}
	if err := d.store.DeleteObject(d.newNetworkRecord(n)); err != nil && !types.IsNotFound(err) {
		return types.InternalErrorf("delete %s network %s from the store: %w", d.kind.Name, n.id, err)
	}
	return nil
}

// storeEndpoint writes the endpoint's record; the caller owns ep alone.
func (d *Driver) storeEndpoint(ep *endpoint) error {
	if d.store == nil {
		return nil
	}
	rec := &endpointRecord{prefix: d.endpointPrefix(), ID: ep.id, NetworkID: ep.nid, Addr: ipNetText(ep.addr), AddrV6: ipNetText(ep.addr6)}
	if ep.mac != nil {
		rec.MAC = ep.mac.String()
	}
	if ep.rec != nil {
		rec.LocalMeta = ep.rec.LocalMeta
	}
	if err := d.store.PutObjectAtomic(rec); err != nil {
		return types.InternalErrorf("store %s endpoint %s: %w", d.kind.Name, ep.id, err)
	}
	ep.rec = rec
	return nil
}

func (d *Driver) deleteEndpointRecord(ep *endpoint) error {
	if d.store == nil {
		return nil
	}
	if err := d.store.DeleteObject(&endpointRecord{prefix: d.endpointPrefix(), ID: ep.id}); err != nil && !types.IsNotFound(err) {
		return types.InternalErrorf("delete %s endpoint %s from the store: %w", d.kind.Name, ep.id, err)
	}
	return nil
}

func ipNetText(n *net.IPNet) string {
	if n == nil {
		return ""
	}
	return n.String()
}
