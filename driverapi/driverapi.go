// Package driverapi is the contract between the controller and network
// drivers, as in libnetwork (2016) at the gossip step.
package driverapi

import (
	"net"

	"github.com/cnmkit/libnetwork/discoverapi"
)

// NetworkPluginEndpointType is the plugin type of remote network drivers.
const NetworkPluginEndpointType = "NetworkDriver"

// Driver is a network driver.
type Driver interface {
	discoverapi.Discover

	// NetworkAllocate reserves cluster-wide resources (such as VXLAN IDs) for a
	// network on a manager; the returned options go to CreateNetwork on every host.
	NetworkAllocate(nid string, options map[string]string, ipV4Data, ipV6Data []IPAMData) (map[string]string, error)
	// NetworkFree releases what NetworkAllocate reserved.
	NetworkFree(nid string) error
	// CreateNetwork creates network nid on this host.
	CreateNetwork(nid string, options map[string]interface{}, nInfo NetworkInfo, ipV4Data, ipV6Data []IPAMData) error
	// DeleteNetwork deletes network nid on this host.
	DeleteNetwork(nid string) error
	// CreateEndpoint creates endpoint eid; the driver may set its MAC and addresses.
	CreateEndpoint(nid, eid string, ifInfo InterfaceInfo, options map[string]interface{}) error
	// DeleteEndpoint deletes endpoint eid.
	DeleteEndpoint(nid, eid string) error
	// EndpointOperInfo returns operational data of endpoint eid.
	EndpointOperInfo(nid, eid string) (map[string]interface{}, error)
	// Join attaches endpoint eid to the sandbox whose key is sboxKey.
	Join(nid, eid string, sboxKey string, jinfo JoinInfo, options map[string]interface{}) error
	// Leave detaches endpoint eid from its sandbox.
	Leave(nid, eid string) error
	// ProgramExternalConnectivity sets up outside access (port mappings) for eid.
	ProgramExternalConnectivity(nid, eid string, options map[string]interface{}) error
	// RevokeExternalConnectivity removes what ProgramExternalConnectivity set up.
	RevokeExternalConnectivity(nid, eid string) error
	// EventNotify tells the driver of a change in a table it registered for.
	EventNotify(event EventType, nid string, tableName string, key string, value []byte)
	// Type is the driver's name.
	Type() string
}

// NetworkInfo lets a driver act on its network during CreateNetwork.
type NetworkInfo interface {
	// TableEventRegister asks for EventNotify calls about tableName.
	TableEventRegister(tableName string) error
}

// InterfaceInfo is the endpoint's interface as the driver sees it at creation.
type InterfaceInfo interface {
	// SetMacAddress sets the MAC when none was given.
	SetMacAddress(mac net.HardwareAddr) error
	// SetIPAddress sets an address when IPAM gave none for its family.
	SetIPAddress(ip *net.IPNet) error
	// MacAddress is the interface's MAC.
	MacAddress() net.HardwareAddr
	// Address is the interface's IPv4 address.
	Address() *net.IPNet
	// AddressIPv6 is the interface's IPv6 address.
	AddressIPv6() *net.IPNet
}

// InterfaceNameInfo names the interface a driver made for a sandbox.
type InterfaceNameInfo interface {
	// SetNames gives the interface's current name and the prefix of its name in
	// the sandbox (the sandbox appends a number: eth0, eth1 …). The interface may
	// already live in the sandbox (born there) or in the host namespace.
	SetNames(srcName, dstPrefix string) error
}

// NameSuggester is implemented by the InterfaceNameInfo of a controller
// that can tell the name its sandbox will give an interface of a prefix.
// A driver creating the interface inside the sandbox may give it that name
// at once (and pass it to SetNames): the sandbox then has no rename to do.
type NameSuggester interface {
	SuggestName(dstPrefix string) string
}

// JoinInfo lets a driver shape the sandbox during Join.
type JoinInfo interface {
	// InterfaceName returns the setter for the interface names.
	InterfaceName() InterfaceNameInfo
	// SetGateway sets the IPv4 default gateway.
	SetGateway(net.IP) error
	// SetGatewayIPv6 sets the IPv6 default gateway.
	SetGatewayIPv6(net.IP) error
	// AddStaticRoute adds a route in the sandbox.
	AddStaticRoute(destination *net.IPNet, routeType int, nextHop net.IP) error
	// DisableGatewayService tells the controller not to give the sandbox
	// a default gateway of its own (the default gateway network) for this
	// endpoint: one that sets no gateway and does not call it asks for one.
	DisableGatewayService()
	// AddTableEntry publishes an entry whose lifetime is the endpoint's join.
	AddTableEntry(tableName string, key string, value []byte) error
}

// DriverCallback registers drivers with the controller.
type DriverCallback interface {
	// RegisterDriver registers driver under name.
	RegisterDriver(name string, driver Driver, capability Capability) error
}

// Capability says what a driver needs from the controller.
type Capability struct {
	// DataScope is datastore.LocalScope or datastore.GlobalScope.
	DataScope string
}

// EventType is the kind of a table event.
type EventType uint8

const (
	// Create is a new table entry.
	Create EventType = 1 + iota
	// Update is a changed table entry.
	Update
	// Delete is a removed table entry.
	Delete
)

// String returns "create", "update" or "delete".
func (e EventType) String() string {
	switch e {
	case Create:
		return "create"
	case Update:
		return "update"
	case Delete:
		return "delete"
	}
	return "unknown"
}
