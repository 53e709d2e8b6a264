package libnetwork

import (
	"encoding/json"
	"net"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// The records below are the stored form of networks, endpoints and
// sandboxes. Each points at its object's store bookkeeping (meta), so a
// write updates the object's index.

type ipamInfoRecord struct {
	PoolID string
	Meta   map[string]string `json:",omitempty"`
	Data   *driverapi.IPAMData
}

type netRecord struct {
	meta *kvMeta

	ID           string
	Name         string
	Type         string
	Scope        string
	IpamType     string
	AddrSpace    string
	IpamOptions  map[string]string `json:",omitempty"`
	IpamV4Config []*IpamConf       `json:",omitempty"`
	IpamV6Config []*IpamConf       `json:",omitempty"`
	IpamV4Info   []ipamInfoRecord  `json:",omitempty"`
	IpamV6Info   []ipamInfoRecord  `json:",omitempty"`
	EnableIPv6   bool
	Internal     bool
	PostIPv6     bool `json:",omitempty"`
	Attachable   bool `json:",omitempty"`
	Persist      bool
	GwBridge     bool                       `json:",omitempty"`
	Labels       map[string]string          `json:",omitempty"`
	Generic      map[string]json.RawMessage `json:",omitempty"`
	Created      time.Time
	Tables       []string `json:",omitempty"`
}

func (r *netRecord) Key() []string           { return []string{networkKeyPrefix, r.ID} }
func (r *netRecord) KeyPrefix() []string     { return []string{networkKeyPrefix} }
func (r *netRecord) Value() []byte           { b, _ := json.Marshal(r); return b }
func (r *netRecord) SetValue(b []byte) error { return json.Unmarshal(b, r) }
func (r *netRecord) Index() uint64           { return r.meta.Index() }
func (r *netRecord) SetIndex(i uint64)       { r.meta.SetIndex(i) }
func (r *netRecord) Exists() bool            { return r.meta.Exists() }
func (r *netRecord) DataScope() string {
	if r.Scope == datastore.GlobalScope || r.Scope == datastore.SwarmScope {
		return datastore.GlobalScope
	}
	return datastore.LocalScope
}
func (r *netRecord) Skip() bool                        { return !r.Persist }
func (r *netRecord) New() datastore.KVObject           { return &netRecord{meta: &kvMeta{}} }
func (r *netRecord) CopyTo(o datastore.KVObject) error { return copyRecord(r, o) }

// record returns the network's stored form.
func (n *network) record() *netRecord {
	n.mu.Lock()
	defer n.mu.Unlock()
	return &netRecord{
		meta: &n.kv, ID: n.id, Name: n.name, Type: n.networkType, Scope: n.scope,
		IpamType: n.ipamType, AddrSpace: n.addrSpace, IpamOptions: n.ipamOptions,
		IpamV4Config: n.ipamV4Cfg, IpamV6Config: n.ipamV6Cfg,
		IpamV4Info: toIpamRecords(n.ipamV4Info), IpamV6Info: toIpamRecords(n.ipamV6Info),
		EnableIPv6: n.enableIPv6, Internal: n.internal, PostIPv6: n.postIPv6, Attachable: n.attachable, Persist: n.persist, GwBridge: n.gwBridge, Labels: n.labels,
		Generic: marshalGeneric(n.generic, n.id), Created: n.created, Tables: append([]string(nil), n.tables...),
	}
}

// networkFromRecord rebuilds a network from its stored form.
func (c *controller) networkFromRecord(r *netRecord) (*network, error) {
	n := &network{
		ctrl: c, id: r.ID, name: r.Name, networkType: r.Type, scope: r.Scope, ipamType: r.IpamType,
		addrSpace: r.AddrSpace, ipamOptions: r.IpamOptions, ipamV4Cfg: r.IpamV4Config, ipamV6Cfg: r.IpamV6Config,
		enableIPv6: r.EnableIPv6, internal: r.Internal, postIPv6: r.PostIPv6, attachable: r.Attachable, persist: r.Persist, gwBridge: r.GwBridge, labels: r.Labels, created: r.Created,
		tables: r.Tables, endpoints: map[string]*endpoint{}, epNames: map[string]string{},
		kv: *r.meta,
	}
	var err error
	if n.ipamV4Info, err = fromIpamRecords(r.IpamV4Info); err != nil {
		return nil, err
	}
	if n.ipamV6Info, err = fromIpamRecords(r.IpamV6Info); err != nil {
		return nil, err
	}
	n.generic = unmarshalGeneric(r.Generic)
	if _, ok := n.generic[netlabel.GenericData]; !ok {
		n.generic[netlabel.GenericData] = map[string]string{}
	}
	return n, nil
}

func toIpamRecords(infos []*IpamInfo) []ipamInfoRecord {
	out := make([]ipamInfoRecord, 0, len(infos))
	for _, d := range infos {
		c := copyIpamInfo(d)
		out = append(out, ipamInfoRecord{PoolID: c.PoolID, Meta: c.Meta, Data: &c.IPAMData})
	}
	return out
}

func fromIpamRecords(recs []ipamInfoRecord) ([]*IpamInfo, error) {
	var out []*IpamInfo
	for _, r := range recs {
		if r.Data == nil {
			return nil, types.InternalErrorf("stored IPAM info of pool %s has no data", r.PoolID)
		}
		out = append(out, &IpamInfo{PoolID: r.PoolID, Meta: r.Meta, IPAMData: *r.Data})
	}
	return out, nil
}

// marshalGeneric keeps the generic options that have a JSON form.
func marshalGeneric(g map[string]interface{}, id string) map[string]json.RawMessage {
	if len(g) == 0 {
		return nil
	}
	out := make(map[string]json.RawMessage, len(g))
	for k, v := range g {
		b, err := json.Marshal(v)
		if err != nil {
			logrus.WithFields(logrus.Fields{"id": id, "option": k}).Debug("generic option not stored: no JSON form")
			continue
		}
		out[k] = b
	}
	return out
}

// unmarshalGeneric restores generic options; driver options come back in
// their map[string]string form.
func unmarshalGeneric(raw map[string]json.RawMessage) map[string]interface{} {
	out := make(map[string]interface{}, len(raw))
	for k, b := range raw {
		if k == netlabel.GenericData {
			var m map[string]string
			if err := json.Unmarshal(b, &m); err == nil {
				out[k] = m
				continue
			}
		}
		var v interface{}
		if err := json.Unmarshal(b, &v); err == nil {
			out[k] = v
		}
	}
	return out
}

type joinRecord struct {
	Gateway               string        `json:",omitempty"`
	GatewayIPv6           string        `json:",omitempty"`
	StaticRoutes          []routeRecord `json:",omitempty"`
	DisableGatewayService bool          `json:",omitempty"`
	TableEntries          []TableEntry  `json:",omitempty"`
	Priority              int           `json:",omitempty"`
}

type routeRecord struct {
	Destination string
	RouteType   int
	NextHop     string `json:",omitempty"`
}

type epRecord struct {
	meta  *kvMeta
	scope string

	ID            string
	Name          string
	NetworkID     string
	MAC           string   `json:",omitempty"`
	Addr          string   `json:",omitempty"`
	AddrV6        string   `json:",omitempty"`
	LLAddrs       []string `json:",omitempty"`
	V4PoolID      string   `json:",omitempty"`
	V6PoolID      string   `json:",omitempty"`
	SrcName       string   `json:",omitempty"`
	DstPrefix     string   `json:",omitempty"`
	DstName       string   `json:",omitempty"`
	Routes        []string `json:",omitempty"`
	SandboxID     string   `json:",omitempty"`
	Join          *joinRecord
	Anonymous     bool                       `json:",omitempty"`
	DisableRes    bool                       `json:",omitempty"`
	ExposedPorts  []types.TransportPort      `json:",omitempty"`
	PrefAddress   string                     `json:",omitempty"`
	PrefAddressV6 string                     `json:",omitempty"`
	IpamOptions   map[string]string          `json:",omitempty"`
	MyAliases     []string                   `json:",omitempty"`
	Aliases       map[string]string          `json:",omitempty"`
	DNSServers    []string                   `json:",omitempty"`
	Generic       map[string]json.RawMessage `json:",omitempty"`
	Persist       bool
	// Host is the cluster node name of the host that made the endpoint,
	// for an endpoint in the cluster store.
	Host string `json:",omitempty"`
}

func (r *epRecord) Key() []string           { return []string{endpointKeyPrefix, r.NetworkID, r.ID} }
func (r *epRecord) KeyPrefix() []string     { return []string{endpointKeyPrefix, r.NetworkID} }
func (r *epRecord) Value() []byte           { b, _ := json.Marshal(r); return b }
func (r *epRecord) SetValue(b []byte) error { return json.Unmarshal(b, r) }
func (r *epRecord) Index() uint64           { return r.meta.Index() }
func (r *epRecord) SetIndex(i uint64)       { r.meta.SetIndex(i) }
func (r *epRecord) Exists() bool            { return r.meta.Exists() }
func (r *epRecord) DataScope() string       { return r.scope }
func (r *epRecord) Skip() bool              { return !r.Persist }
func (r *epRecord) New() datastore.KVObject {
	return &epRecord{meta: &kvMeta{}, scope: r.scope, NetworkID: r.NetworkID}
}
func (r *epRecord) CopyTo(o datastore.KVObject) error { return copyRecord(r, o) }

// record returns the endpoint's stored form; the caller holds ep.opMu.
func (ep *endpoint) record() *epRecord {
	n := ep.network
	ep.mu.Lock()
	defer ep.mu.Unlock()
	r := &epRecord{
		meta: &ep.kv, scope: n.storeScope(), ID: ep.id, Name: ep.name, NetworkID: n.id,
		MAC: macString(ep.iface.mac), Addr: netString(ep.iface.addr), AddrV6: netString(ep.iface.addrv6),
		V4PoolID: ep.iface.v4PoolID, V6PoolID: ep.iface.v6PoolID,
		SrcName: ep.iface.srcName, DstPrefix: ep.iface.dstPrefix, DstName: ep.iface.dstName,
		SandboxID: ep.sandboxID, Anonymous: ep.anonymous, DisableRes: ep.disableResolution,
		ExposedPorts: ep.exposedPorts, PrefAddress: ipString(ep.prefAddress), PrefAddressV6: ipString(ep.prefAddressV6),
		IpamOptions: ep.ipamOptions, MyAliases: ep.myAliases, Aliases: ep.aliases, DNSServers: ep.dnsServers,
		Generic: marshalGeneric(ep.generic, ep.id), Persist: n.persist,
	}
	if n.shared() {
		r.Host = n.ctrl.nodeName()
	}
	for _, a := range ep.iface.llAddrs {
		r.LLAddrs = append(r.LLAddrs, a.String())
	}
	for _, a := range ep.iface.routes {
		r.Routes = append(r.Routes, a.String())
	}
	if ji := ep.joinInfo; ji != nil {
		j := &joinRecord{Gateway: ipString(ji.gw), GatewayIPv6: ipString(ji.gw6), DisableGatewayService: ji.disableGatewayService,
			TableEntries: ji.tableEntries, Priority: ji.priority}
		for _, sr := range ji.staticRoutes {
			j.StaticRoutes = append(j.StaticRoutes, routeRecord{Destination: netString(sr.Destination), RouteType: sr.RouteType, NextHop: ipString(sr.NextHop)})
		}
		r.Join = j
	}
	return r
}

// endpointFromRecord rebuilds an endpoint of n from its stored form.
func endpointFromRecord(n *network, r *epRecord) (*endpoint, error) {
	ep := &endpoint{network: n, id: r.ID, name: r.Name, sandboxID: r.SandboxID, anonymous: r.Anonymous,
		disableResolution: r.DisableRes, exposedPorts: r.ExposedPorts, ipamOptions: r.IpamOptions,
		myAliases: r.MyAliases, aliases: r.Aliases, dnsServers: r.DNSServers, kv: *r.meta}
	ep.generic = unmarshalGeneric(r.Generic)
	var err error
	p := &parser{}
	ep.iface.mac = p.mac(r.MAC)
	ep.iface.addr = p.cidr(r.Addr)
	ep.iface.addrv6 = p.cidr(r.AddrV6)
	for _, s := range r.LLAddrs {
		ep.iface.llAddrs = append(ep.iface.llAddrs, p.cidr(s))
	}
	for _, s := range r.Routes {
		ep.iface.routes = append(ep.iface.routes, p.cidr(s))
	}
	ep.iface.v4PoolID, ep.iface.v6PoolID = r.V4PoolID, r.V6PoolID
	ep.iface.srcName, ep.iface.dstPrefix, ep.iface.dstName = r.SrcName, r.DstPrefix, r.DstName
	ep.prefAddress, ep.prefAddressV6 = p.ip(r.PrefAddress), p.ip(r.PrefAddressV6)
	if j := r.Join; j != nil {
		ji := &endpointJoinInfo{gw: p.ip(j.Gateway), gw6: p.ip(j.GatewayIPv6), disableGatewayService: j.DisableGatewayService,
			tableEntries: j.TableEntries, priority: j.Priority}
		for _, sr := range j.StaticRoutes {
			ji.staticRoutes = append(ji.staticRoutes, &types.StaticRoute{Destination: p.cidr(sr.Destination), RouteType: sr.RouteType, NextHop: p.ip(sr.NextHop)})
		}
		ep.joinInfo = ji
	}
	if err = p.err; err != nil {
		return nil, types.InternalErrorf("stored endpoint %s: %w", r.ID, err)
	}
	return ep, nil
}

type extraHostRecord struct {
	Name string
	IP   string
}

type sbRecord struct {
	meta *kvMeta

	ID                   string
	ContainerID          string
	Hostname             string            `json:",omitempty"`
	Domainname           string            `json:",omitempty"`
	HostsPath            string            `json:",omitempty"`
	OriginHostsPath      string            `json:",omitempty"`
	ResolvConfPath       string            `json:",omitempty"`
	OriginResolvConfPath string            `json:",omitempty"`
	DNS                  []string          `json:",omitempty"`
	DNSSearch            []string          `json:",omitempty"`
	DNSOptions           []string          `json:",omitempty"`
	ExtraHosts           []extraHostRecord `json:",omitempty"`
	UseDefaultSandbox    bool              `json:",omitempty"`
	UseExternalKey       bool              `json:",omitempty"`
	HostsPeers           bool              `json:",omitempty"`
	ResolvConfHash       string            `json:",omitempty"`
}

func (r *sbRecord) Key() []string           { return []string{sandboxKeyPrefix, r.ID} }
func (r *sbRecord) KeyPrefix() []string     { return []string{sandboxKeyPrefix} }
func (r *sbRecord) Value() []byte           { b, _ := json.Marshal(r); return b }
func (r *sbRecord) SetValue(b []byte) error { return json.Unmarshal(b, r) }
func (r *sbRecord) Index() uint64           { return r.meta.Index() }
func (r *sbRecord) SetIndex(i uint64)       { r.meta.SetIndex(i) }
func (r *sbRecord) Exists() bool            { return r.meta.Exists() }
func (r *sbRecord) DataScope() string       { return datastore.LocalScope }
func (r *sbRecord) Skip() bool              { return false }
func (r *sbRecord) New() datastore.KVObject { return &sbRecord{meta: &kvMeta{}} }
func (r *sbRecord) CopyTo(o datastore.KVObject) error {
	return copyRecord(r, o)
}

// record returns the sandbox's stored form.
func (sb *sandbox) record() *sbRecord {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.recordLocked()
}

func (sb *sandbox) recordLocked() *sbRecord {
	c := sb.config
	r := &sbRecord{meta: &sb.kv, ID: sb.id, ContainerID: sb.containerID, Hostname: c.hostName, Domainname: c.domainName,
		HostsPath: c.hostsPath, OriginHostsPath: c.originHostsPath, ResolvConfPath: c.resolvConfPath,
		OriginResolvConfPath: c.originResolvConfPath, DNS: c.dnsList, DNSSearch: c.dnsSearchList, DNSOptions: c.dnsOptionsList,
		UseDefaultSandbox: c.useDefaultSandbox, UseExternalKey: c.useExternalKey, HostsPeers: c.hostsPeers,
		ResolvConfHash: sb.dns.rcHash}
	for _, h := range c.extraHosts {
		r.ExtraHosts = append(r.ExtraHosts, extraHostRecord{Name: h.name, IP: h.IP})
	}
	return r
}

// configFromRecord returns the stored configuration of a sandbox.
func configFromRecord(r *sbRecord) containerConfig {
	c := containerConfig{hostName: r.Hostname, domainName: r.Domainname, hostsPath: r.HostsPath,
		originHostsPath: r.OriginHostsPath, resolvConfPath: r.ResolvConfPath, originResolvConfPath: r.OriginResolvConfPath,
		dnsList: r.DNS, dnsSearchList: r.DNSSearch, dnsOptionsList: r.DNSOptions,
		useDefaultSandbox: r.UseDefaultSandbox, useExternalKey: r.UseExternalKey, hostsPeers: r.HostsPeers}
	for _, h := range r.ExtraHosts {
		c.extraHosts = append(c.extraHosts, extraHost{name: h.Name, IP: h.IP})
	}
	return c
}

// copyRecord copies src into dst, a record of the same kind.
func copyRecord(src, dst datastore.KVObject) error {
	if err := dst.SetValue(src.Value()); err != nil {
		return types.InternalErrorf("copy store record %s: %w", datastore.Key(src.Key()...), err)
	}
	if src.Exists() {
		dst.SetIndex(src.Index())
	}
	return nil
}

// parser decodes stored strings, remembering the first error.
type parser struct{ err error }

func (p *parser) cidr(s string) *net.IPNet {
	if s == "" || p.err != nil {
		return nil
	}
	n, err := types.ParseCIDR(s)
	if err != nil {
		p.err = err
		return nil
	}
	if v4 := n.IP.To4(); v4 != nil && len(n.Mask) == net.IPv4len {
		n.IP = v4
	}
	return n
}

func (p *parser) ip(s string) net.IP {
	if s == "" || p.err != nil {
		return nil
	}
	ip := net.ParseIP(s)
	if ip == nil {
		p.err = types.BadRequestErrorf("invalid IP %q", s)
		return nil
	}
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

func (p *parser) mac(s string) net.HardwareAddr {
	if s == "" || p.err != nil {
		return nil
	}
	m, err := net.ParseMAC(s)
	if err != nil {
		p.err = types.BadRequestErrorf("invalid MAC %q: %w", s, err)
		return nil
	}
	return m
}

func netString(n *net.IPNet) string {
	if n == nil {
		return ""
	}
	return n.String()
}

func ipString(ip net.IP) string {
	if ip == nil {
		return ""
	}
	return ip.String()
}

func macString(m net.HardwareAddr) string {
	if m == nil {
		return ""
	}
	return m.String()
}
