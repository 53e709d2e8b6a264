package libnetwork

import (
	"encoding/binary"
	"net"
	"strings"
	"unicode"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// endpointTable is the networkdb table in which every host publishes the
// names and addresses of its joined endpoints, keyed by endpoint ID.
const endpointTable = "endpoint_table"

// endpointRecordV1 is the first version of the endpoint-table value:
//
//	version byte (1)
//	network ID, host, name: uvarint length + bytes each
//	aliases: uvarint count, then uvarint length + bytes each
//	IPv4, IPv6: one length byte (0, 4 / 0, 16) + bytes each
//
// Bytes after these are ignored (room for fields added within version 1).
const endpointRecordV1 = 1

// Bounds of a decoded record: anything larger is malformed.
const (
	maxRecordValue   = 16 << 10
	maxRecordString  = 255
	maxRecordAliases = 64
)

// endpointRecord is what a host publishes about one of its joined
// endpoints: the names it answers to (Name, empty for an anonymous
// endpoint, then Aliases) and its addresses.
type endpointRecord struct {
	NetworkID string
	Host      string
	Name      string
	Aliases   []string
	IP        net.IP
	IP6       net.IP
}

// names returns the names the endpoint answers to, its name first.
func (r *endpointRecord) names() []string {
	var out []string
	if r.Name != "" {
		out = append(out, r.Name)
	}
	for _, a := range r.Aliases {
		if a != "" && !containsFold(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func (r *endpointRecord) encode() []byte {
	b := []byte{endpointRecordV1}
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(r.NetworkID)
	str(r.Host)
	str(r.Name)
	b = binary.AppendUvarint(b, uint64(len(r.Aliases)))
	for _, a := range r.Aliases {
		str(a)
	}
	ip := func(ip net.IP) {
		b = append(b, byte(len(ip)))
		b = append(b, ip...)
	}
	ip(r.IP.To4())
	v6 := r.IP6
	if v6 != nil {
		v6 = v6.To16()
	}
	ip(v6)
	return b
}

// decodeEndpointRecord parses an endpoint-table value; any malformed or
// out-of-bounds value is a types.BadRequestError.
func decodeEndpointRecord(b []byte) (*endpointRecord, error) {
	bad := func(what string) (*endpointRecord, error) {
		return nil, types.BadRequestErrorf("malformed endpoint record (%d bytes): %s", len(b), what)
	}
	if len(b) == 0 {
		return bad("empty")
	}
	if len(b) > maxRecordValue {
		return bad("too long")
	}
	if b[0] != endpointRecordV1 {
		return bad("unknown version")
	}
	p := b[1:]
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			return 0, false
		}
		p = p[n:]
		return v, true
	}
	str := func() (string, bool) {
		l, ok := uv()
		if !ok || l > maxRecordString || l > uint64(len(p)) {
			return "", false
		}
		s := string(p[:l])
		p = p[l:]
		return s, true
	}
	r := &endpointRecord{}
	var ok bool
	if r.NetworkID, ok = str(); !ok || r.NetworkID == "" {
		return bad("network ID")
	}
	if r.Host, ok = str(); !ok || r.Host == "" {
		return bad("host")
	}
	if r.Name, ok = str(); !ok || (r.Name != "" && !validRecordName(r.Name)) {
		return bad("name")
	}
	count, ok := uv()
	if !ok || count > maxRecordAliases {
		return bad("alias count")
	}
	for i := uint64(0); i < count; i++ {
		a, ok := str()
		if !ok || !validRecordName(a) {
			return bad("alias")
		}
		r.Aliases = append(r.Aliases, a)
	}
	ip := func(want int) (net.IP, bool) {
		if len(p) == 0 {
			return nil, false
		}
		l := int(p[0])
		if (l != 0 && l != want) || len(p) < 1+l {
			return nil, false
		}
		var out net.IP
		if l > 0 {
			out = append(net.IP(nil), p[1:1+l]...)
		}
		p = p[1+l:]
		return out, true
	}
	if r.IP, ok = ip(net.IPv4len); !ok {
		return bad("IPv4 address")
	}
	if r.IP6, ok = ip(net.IPv6len); !ok {
		return bad("IPv6 address")
	}
	if r.IP == nil && r.IP6 == nil {
		return bad("no address")
	}
	if len(r.names()) == 0 {
		return bad("no name")
	}
	return r, nil
}

// validRecordName accepts a DNS-ish name: printable, no blanks.
func validRecordName(s string) bool {
	return s != "" && strings.IndexFunc(s, func(c rune) bool {
		return unicode.IsSpace(c) || unicode.IsControl(c) || c == unicode.ReplacementChar
	}) < 0
}

// endpointEntry returns the endpoint-table entry of joined endpoint ep,
// and false when it has no name or no address to publish.
func (a *agent) endpointEntry(ep *endpoint) (TableEntry, bool) {
	fits := func(s string) bool { return len(s) <= maxRecordString && validRecordName(s) }
	ep.mu.Lock()
	r := endpointRecord{NetworkID: ep.network.id, Host: a.node}
	if !ep.anonymous && fits(ep.name) {
		r.Name = ep.name
	}
	for _, al := range ep.myAliases {
		if fits(al) && len(r.Aliases) < maxRecordAliases {
			r.Aliases = append(r.Aliases, al)
		}
	}
	if ep.iface.addr != nil {
		r.IP = ep.iface.addr.IP
	}
	if ep.iface.addrv6 != nil {
		r.IP6 = ep.iface.addrv6.IP
	}
	ep.mu.Unlock()
	if (r.IP == nil && r.IP6 == nil) || len(r.names()) == 0 {
		return TableEntry{}, false
	}
	return TableEntry{TableName: endpointTable, Key: ep.id, Value: r.encode()}, true
}

// feedRecords applies a remote endpoint-table change to the network's
// service records. Records of this node's endpoints are never touched.
func (na *netAgent) feedRecords(typ driverapi.EventType, eid string, value []byte) {
	n := na.n
	n.mu.Lock()
	_, local := n.endpoints[eid]
	n.mu.Unlock()
	lg := na.log.WithField("eid", eid)
	if local {
		lg.Debug("endpoint record of another host names a local endpoint: ignored")
		return
	}
	if typ == driverapi.Delete {
		n.dropRemoteSvcRecord(eid)
		return
	}
	r, err := decodeEndpointRecord(value)
	if err == nil && r.NetworkID != n.id {
		err = types.BadRequestErrorf("endpoint record of network %q in network %q", r.NetworkID, n.id)
	}
	if err != nil {
		lg.WithError(err).Warn("endpoint record dropped")
		n.dropRemoteSvcRecord(eid)
		return
	}
	n.putRemoteSvcRecord(svcRecord{EID: eid, Source: r.Host, Names: r.names(), PTR: true, IP: r.IP, IP6: r.IP6})
	lg.WithFields(logrus.Fields{"host": r.Host, "names": r.names()}).Debug("remote endpoint record")
}
