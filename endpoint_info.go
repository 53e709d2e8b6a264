package libnetwork

import (
	"github.com/cnmkit/libnetwork/osl"
	"net"
	"strings"
	"sync"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/types"
)

// EndpointInfo provides an interface to retrieve network resources bound to the endpoint.
type EndpointInfo interface {
	// Iface returns InterfaceInfo, go interface that can be used
	// to get more information on the interface which was assigned to
	// the endpoint by the driver. This can be used after the
	// endpoint has been created.
	Iface() InterfaceInfo

	// Gateway returns the IPv4 gateway assigned by the driver.
	// This will only return a valid value if a container has joined the endpoint.
	Gateway() net.IP

	// GatewayIPv6 returns the IPv6 gateway assigned by the driver.
	// This will only return a valid value if a container has joined the endpoint.
	GatewayIPv6() net.IP

	// StaticRoutes returns the list of static routes configured by the network
	// driver when the container joins a network
	StaticRoutes() []*types.StaticRoute

	// Sandbox returns the attached sandbox if there, nil otherwise.
	Sandbox() Sandbox
}

// InterfaceInfo provides an interface to retrieve interface addresses bound to the endpoint.
type InterfaceInfo interface {
	// MacAddress returns the MAC address assigned to the endpoint.
	MacAddress() net.HardwareAddr

	// Address returns the IPv4 address assigned to the endpoint.
	Address() *net.IPNet

	// AddressIPv6 returns the IPv6 address assigned to the endpoint.
	AddressIPv6() *net.IPNet

	// LinkLocalAddresses returns the list of link-local (IPv4/IPv6) addresses assigned to the endpoint.
	LinkLocalAddresses() []*net.IPNet
}

// Iface returns a snapshot of the endpoint's interface.
func (ep *endpoint) Iface() InterfaceInfo {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return &ifaceSnapshot{
		mac:     types.GetMacCopy(ep.iface.mac),
		addr:    types.GetIPNetCopy(ep.iface.addr),
		addrv6:  types.GetIPNetCopy(ep.iface.addrv6),
		llAddrs: copyNets(ep.iface.llAddrs),
	}
}

// Gateway returns the IPv4 gateway the driver set at join.
func (ep *endpoint) Gateway() net.IP {
	gw, _ := ep.gateways()
	return types.GetIPCopy(gw)
}

// GatewayIPv6 returns the IPv6 gateway the driver set at join.
func (ep *endpoint) GatewayIPv6() net.IP {
	_, gw6 := ep.gateways()
	return types.GetIPCopy(gw6)
}

// StaticRoutes returns the routes the driver set at join.
func (ep *endpoint) StaticRoutes() []*types.StaticRoute {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.joinInfo == nil {
		return nil
	}
	out := make([]*types.StaticRoute, 0, len(ep.joinInfo.staticRoutes))
	for _, r := range ep.joinInfo.staticRoutes {
		out = append(out, r.GetCopy())
	}
	return out
}

// Sandbox returns the sandbox the endpoint is joined to, or nil.
func (ep *endpoint) Sandbox() Sandbox {
	sid := ep.getSandboxID()
	if sid == "" {
		return nil
	}
	sb := ep.network.ctrl.sandboxByID(sid)
	if sb == nil {
		return nil
	}
	return sb
}

// TableEntries returns the table entries the driver published while joined.
func (ep *endpoint) tableEntries() []TableEntry {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.joinInfo == nil {
		return nil
	}
	return copyTableEntries(ep.joinInfo.tableEntries)
}

// ifaceSnapshot is the InterfaceInfo handed to users.
type ifaceSnapshot struct {
	mac     net.HardwareAddr
	addr    *net.IPNet
	addrv6  *net.IPNet
	llAddrs []*net.IPNet
}

func (i *ifaceSnapshot) MacAddress() net.HardwareAddr     { return types.GetMacCopy(i.mac) }
func (i *ifaceSnapshot) Address() *net.IPNet              { return types.GetIPNetCopy(i.addr) }
func (i *ifaceSnapshot) AddressIPv6() *net.IPNet          { return types.GetIPNetCopy(i.addrv6) }
func (i *ifaceSnapshot) LinkLocalAddresses() []*net.IPNet { return copyNets(i.llAddrs) }

// driverIface is the driverapi.InterfaceInfo handed to the driver's
// CreateEndpoint: it reads and sets the endpoint's interface.
type driverIface struct{ ep *endpoint }

var _ driverapi.InterfaceInfo = driverIface{}

func (d driverIface) SetMacAddress(mac net.HardwareAddr) error {
	if mac == nil {
		return types.BadRequestErrorf("tried to set a nil MAC address on endpoint %s", d.ep.id)
	}
	d.ep.mu.Lock()
	defer d.ep.mu.Unlock()
	if d.ep.iface.mac != nil {
		return types.ForbiddenErrorf("endpoint %s interface MAC address present (%s): cannot be modified with %s", d.ep.id, d.ep.iface.mac, mac)
	}
	d.ep.iface.mac = types.GetMacCopy(mac)
	return nil
}

func (d driverIface) SetIPAddress(address *net.IPNet) error {
	if address == nil || address.IP == nil {
		return types.BadRequestErrorf("tried to set a nil IP address on endpoint %s", d.ep.id)
	}
	d.ep.mu.Lock()
	defer d.ep.mu.Unlock()
	slot := &d.ep.iface.addr
	if address.IP.To4() == nil {
		slot = &d.ep.iface.addrv6
	}
	if *slot != nil {
		return types.ForbiddenErrorf("endpoint %s interface IP present (%s): cannot be modified with %s", d.ep.id, *slot, address)
	}
	*slot = types.GetIPNetCopy(address)
	return nil
}

func (d driverIface) MacAddress() net.HardwareAddr {
	d.ep.mu.Lock()
	defer d.ep.mu.Unlock()
	return types.GetMacCopy(d.ep.iface.mac)
}

func (d driverIface) Address() *net.IPNet {
	d.ep.mu.Lock()
	defer d.ep.mu.Unlock()
	return types.GetIPNetCopy(d.ep.iface.addr)
}

func (d driverIface) AddressIPv6() *net.IPNet {
	d.ep.mu.Lock()
	defer d.ep.mu.Unlock()
	return types.GetIPNetCopy(d.ep.iface.addrv6)
}

// joinCtx is the driverapi.JoinInfo handed to the driver's Join. It collects
// what the driver sets; the controller applies it after the driver returns,
// so that a failed join changes nothing on the endpoint.
type joinCtx struct {
	ep   *endpoint
	osSb osl.Sandbox // the sandbox's namespace, or nil

	mu        sync.Mutex
	info      endpointJoinInfo
	srcName   string
	dstPrefix string
	routes    []*net.IPNet
}

var (
	_ driverapi.JoinInfo          = (*joinCtx)(nil)
	_ driverapi.InterfaceNameInfo = (*joinCtx)(nil)
)

func (j *joinCtx) InterfaceName() driverapi.InterfaceNameInfo { return j }

// SuggestName returns the name the sandbox will give the interface of
// dstPrefix ("" without a namespace of the sandbox's own).
func (j *joinCtx) SuggestName(dstPrefix string) string {
	if j.osSb == nil {
		return ""
	}
	j.ep.mu.Lock()
	name := j.ep.ifnameLocked()
	j.ep.mu.Unlock()
	if name != "" {
		return name
	}
	return j.osSb.NextName(dstPrefix)
}

func (j *joinCtx) SetNames(srcName, dstPrefix string) error {
	if strings.TrimSpace(srcName) == "" || strings.TrimSpace(dstPrefix) == "" {
		return types.BadRequestErrorf("endpoint %s: interface names %q/%q must not be empty", j.ep.id, srcName, dstPrefix)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.srcName, j.dstPrefix = srcName, dstPrefix
	return nil
}

func (j *joinCtx) SetGateway(gw net.IP) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.info.gw = types.GetIPCopy(gw)
	return nil
}

func (j *joinCtx) SetGatewayIPv6(gw6 net.IP) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.info.gw6 = types.GetIPCopy(gw6)
	return nil
}

// AddStaticRoute records a route: a next-hop route for the sandbox, or a
// connected route bound to the endpoint's interface.
func (j *joinCtx) AddStaticRoute(destination *net.IPNet, routeType int, nextHop net.IP) error {
	if destination == nil {
		return types.BadRequestErrorf("endpoint %s: static route without a destination", j.ep.id)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	switch routeType {
	case types.NEXTHOP:
		if nextHop == nil {
			return types.BadRequestErrorf("endpoint %s: next-hop route to %s without a next hop", j.ep.id, destination)
		}
		j.info.staticRoutes = append(j.info.staticRoutes, &types.StaticRoute{
			Destination: types.GetIPNetCopy(destination), RouteType: routeType, NextHop: types.GetIPCopy(nextHop)})
	case types.CONNECTED:
		j.routes = append(j.routes, types.GetIPNetCopy(destination))
	default:
		return types.BadRequestErrorf("endpoint %s: unknown route type %d for %s", j.ep.id, routeType, destination)
	}
	return nil
}

func (j *joinCtx) DisableGatewayService() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.info.disableGatewayService = true
}

// AddTableEntry records an entry; it is published when the join completes
// and withdrawn when the endpoint leaves.
func (j *joinCtx) AddTableEntry(tableName, key string, value []byte) error {
	if strings.TrimSpace(tableName) == "" || key == "" {
		return types.BadRequestErrorf("endpoint %s: table entry needs a table name and a key (got %q, %q)", j.ep.id, tableName, key)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, e := range j.info.tableEntries {
		if e.TableName == tableName && e.Key == key {
			j.info.tableEntries[i].Value = append([]byte(nil), value...)
			return nil
		}
	}
	j.info.tableEntries = append(j.info.tableEntries, TableEntry{TableName: tableName, Key: key, Value: append([]byte(nil), value...)})
	return nil
}

func copyNets(in []*net.IPNet) []*net.IPNet {
	if in == nil {
		return nil
	}
	out := make([]*net.IPNet, len(in))
	for i, n := range in {
		out[i] = types.GetIPNetCopy(n)
	}
	return out
}

func copyTableEntries(in []TableEntry) []TableEntry {
	if in == nil {
		return nil
	}
	out := make([]TableEntry, len(in))
	for i, e := range in {
		out[i] = TableEntry{TableName: e.TableName, Key: e.Key, Value: append([]byte(nil), e.Value...)}
	}
	return out
}
