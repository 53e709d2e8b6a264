package overlay

import (
	"encoding/json"
	"net"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

// endpointKeyPrefix is the store key prefix of the driver's endpoint records.
// EndpointKeyPrefix is the kind of the driver's endpoint records in the
// store: run-time state, gone with the host's kernel state.
const EndpointKeyPrefix = "overlay-endpoint"

const endpointKeyPrefix = EndpointKeyPrefix

// endpointRecord is an endpoint in the local store: what CreateEndpoint
// was given, since the controller does not replay it after a restart.
// Whether the endpoint is joined is read back from the kernel.
type endpointRecord struct {
	datastore.LocalMeta
	ID        string
	NetworkID string
	Addr      string `json:",omitempty"`
	AddrV6    string `json:",omitempty"`
	MAC       string
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
		return types.InternalErrorf("decode overlay endpoint record: %w", err)
	}
	v.LocalMeta = r.LocalMeta
	*r = v
	return nil
}

func (r *endpointRecord) CopyTo(o datastore.KVObject) error {
	dst, ok := o.(*endpointRecord)
	if !ok {
		return types.InternalErrorf("copy overlay endpoint record into %T", o)
	}
	*dst = *r
	return nil
}

func newEndpointRecord(nid string, ep *endpoint) *endpointRecord {
	r := &endpointRecord{ID: ep.id, NetworkID: nid, MAC: ep.mac.String()}
	if ep.addr != nil {
		r.Addr = ep.addr.String()
	}
	if ep.addr6 != nil {
		r.AddrV6 = ep.addr6.String()
	}
	return r
}

// endpoint rebuilds the endpoint of a record, checked against network n.
func (r *endpointRecord) endpoint(n *network) (*endpoint, error) {
	ep := &endpoint{id: r.ID, hostName: vethName(r.ID)}
	var err error
	if ep.addr, err = parseRecordNet(r.Addr); err != nil {
		return nil, err
	}
	if ep.addr6, err = parseRecordNet(r.AddrV6); err != nil {
		return nil, err
	}
	if ep.mac, err = net.ParseMAC(r.MAC); err != nil || len(ep.mac) != 6 {
		return nil, types.InternalErrorf("overlay endpoint record %s: bad MAC %q", r.ID, r.MAC)
	}
	if ep.seg, err = n.segmentOf(ep.addr, ep.addr6); err != nil {
		return nil, err
	}
	return ep, nil
}

func parseRecordNet(s string) (*net.IPNet, error) {
	if s == "" {
		return nil, nil
	}
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, types.InternalErrorf("bad address %q in overlay endpoint record: %w", s, err)
	}
	return canonAddr(&net.IPNet{IP: ip, Mask: n.Mask}), nil
}

// storeEndpoint writes the endpoint's record (no store: nothing).
func (d *driver) storeEndpoint(nid string, ep *endpoint) error {
	if d.store == nil {
		return nil
	}
	rec := newEndpointRecord(nid, ep)
	err := d.store.PutObjectAtomic(rec)
	if types.IsConflict(err) {
		// A record left by an earlier endpoint of the same ID.
		old := &endpointRecord{}
		if gerr := d.store.GetObject(datastore.Key(rec.Key()...), old); gerr == nil {
			rec.SetIndex(old.Index())
			err = d.store.PutObjectAtomic(rec)
		}
	}
	if err != nil {
		return types.InternalErrorf("overlay: store endpoint %s: %w", ep.id, err)
	}
	return nil
}

func (d *driver) deleteEndpointRecord(eid string) error {
	if d.store == nil {
		return nil
	}
	if err := d.store.DeleteObject(&endpointRecord{ID: eid}); err != nil && !types.IsNotFound(err) {
		return types.InternalErrorf("overlay: delete endpoint %s from the store: %w", eid, err)
	}
	return nil
}

// loadEndpoints reads the endpoint records of the store, by network.
func (d *driver) loadEndpoints() error {
	if d.store == nil {
		return nil
	}
	objs, err := d.store.List(datastore.Key(endpointKeyPrefix), &endpointRecord{})
	if err != nil && !types.IsNotFound(err) {
		return types.InternalErrorf("overlay: list endpoints in the store: %w", err)
	}
	for _, o := range objs {
		r := o.(*endpointRecord)
		d.pending[r.NetworkID] = append(d.pending[r.NetworkID], r)
	}
	return nil
}
