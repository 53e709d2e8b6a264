// Package api holds the wire format of the remote network driver: the
// request and response bodies of Docker's NetworkDriver plugin protocol.
package api

import (
	"net"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
)

// Response is the part every answer has: Err set means the call failed.
type Response struct {
	Err string
}

// GetError returns the error the plugin answered with ("" for none).
func (r *Response) GetError() string { return r.Err }

// GetCapabilityResponse answers NetworkDriver.GetCapabilities.
type GetCapabilityResponse struct {
	Response
	Scope string
}

// CreateNetworkRequest asks the plugin to create a network.
type CreateNetworkRequest struct {
	// A network ID that remote plugins are expected to store for future
	// reference.
	NetworkID string

	// A free form map->object interface for communication of options.
	Options map[string]interface{}

	// IPAMData contains the address pool information for this network.
	IPv4Data, IPv6Data []driverapi.IPAMData
}

// CreateNetworkResponse answers CreateNetwork.
type CreateNetworkResponse struct {
	Response
}

// DeleteNetworkRequest asks the plugin to delete a network.
type DeleteNetworkRequest struct {
	NetworkID string
}

// DeleteNetworkResponse answers DeleteNetwork.
type DeleteNetworkResponse struct {
	Response
}

// CreateEndpointRequest asks the plugin to create an endpoint.
type CreateEndpointRequest struct {
	// Provided at create time, this will be the network id referenced.
	NetworkID string
	// The ID of the endpoint for later reference.
	EndpointID string
	Interface  *EndpointInterface
	Options    map[string]interface{}
}

// EndpointInterface is the interface of an endpoint, addresses in CIDR
// form and the MAC address as text.
type EndpointInterface struct {
	Address     string
	AddressIPv6 string
	MacAddress  string
}

// CreateEndpointResponse answers CreateEndpoint; Interface holds what the
// plugin filled in, when the controller left it empty.
type CreateEndpointResponse struct {
	Response
	Interface *EndpointInterface
}

// Interface is an endpoint interface decoded from its wire form.
type Interface struct {
	Address     *net.IPNet
	AddressIPv6 *net.IPNet
	MacAddress  net.HardwareAddr
}

// DeleteEndpointRequest asks the plugin to delete an endpoint.
type DeleteEndpointRequest struct {
	NetworkID  string
	EndpointID string
}

// DeleteEndpointResponse answers DeleteEndpoint.
type DeleteEndpointResponse struct {
	Response
}

// EndpointInfoRequest asks the plugin for an endpoint's operational data.
type EndpointInfoRequest struct {
	NetworkID  string
	EndpointID string
}

// EndpointInfoResponse answers EndpointOperInfo.
type EndpointInfoResponse struct {
	Response
	Value map[string]interface{}
}

// JoinRequest asks the plugin to join an endpoint to a sandbox.
type JoinRequest struct {
	NetworkID  string
	EndpointID string
	SandboxKey string
	Options    map[string]interface{}
}

// InterfaceName names the link the plugin made (SrcName, in the host
// namespace) and the prefix of its name in the sandbox (DstPrefix).
type InterfaceName struct {
	SrcName   string
	DstName   string
	DstPrefix string
}

// StaticRoute is a route the plugin wants in the sandbox; RouteType is
// types.NEXTHOP or types.CONNECTED.
type StaticRoute struct {
	Destination string
	RouteType   int
	NextHop     string
}

// JoinResponse answers Join.
type JoinResponse struct {
	Response
	InterfaceName         *InterfaceName
	Gateway               string
	GatewayIPv6           string
	StaticRoutes          []StaticRoute
	DisableGatewayService bool
}

// LeaveRequest asks the plugin to take an endpoint out of its sandbox.
type LeaveRequest struct {
	NetworkID  string
	EndpointID string
}

// LeaveResponse answers Leave.
type LeaveResponse struct {
	Response
}

// ProgramExternalConnectivityRequest asks the plugin to give an endpoint
// its outside connectivity (port mappings, exposed ports in Options).
type ProgramExternalConnectivityRequest struct {
	NetworkID  string
	EndpointID string
	Options    map[string]interface{}
}

// ProgramExternalConnectivityResponse answers ProgramExternalConnectivity.
type ProgramExternalConnectivityResponse struct {
	Response
}

// RevokeExternalConnectivityRequest asks the plugin to take an endpoint's
// outside connectivity away.
type RevokeExternalConnectivityRequest struct {
	NetworkID  string
	EndpointID string
}

// RevokeExternalConnectivityResponse answers RevokeExternalConnectivity.
type RevokeExternalConnectivityResponse struct {
	Response
}

// DiscoveryNotification carries a DiscoverNew or DiscoverDelete event.
type DiscoveryNotification struct {
	DiscoveryType discoverapi.DiscoveryType
	DiscoveryData interface{}
}

// DiscoveryResponse answers DiscoverNew and DiscoverDelete.
type DiscoveryResponse struct {
	Response
}
