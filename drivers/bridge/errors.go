package bridge

import (
	"fmt"
	"net"
)

// The bridge driver's error types, with libnetwork's names and classes
// (BadRequest, Forbidden, NotFound, ...). Those libnetwork marked with
// InternalError() also have Internal(), so types.IsInternal sees them, and
// those carrying an Err unwrap to it.

// ErrConfigExists: the driver configuration is applied only once.
type ErrConfigExists struct{}

func (ece *ErrConfigExists) Error() string {
	return "bridge driver configuration already exists: it can be applied only once"
}

// Forbidden marks ErrConfigExists as a types.ForbiddenError.
func (ece *ErrConfigExists) Forbidden() {}

// ErrInvalidDriverConfig: the driver configuration is not usable.
type ErrInvalidDriverConfig struct{}

func (eidc *ErrInvalidDriverConfig) Error() string {
	return "invalid configuration passed to the bridge driver"
}

// BadRequest marks ErrInvalidDriverConfig as a types.BadRequestError.
func (eidc *ErrInvalidDriverConfig) BadRequest() {}

// ErrInvalidNetworkConfig: a network is created on a driver without a
// valid configuration.
type ErrInvalidNetworkConfig struct{}

func (einc *ErrInvalidNetworkConfig) Error() string {
	return "bridge network cannot be created: the driver has no valid configuration"
}

// Forbidden marks ErrInvalidNetworkConfig as a types.ForbiddenError.
func (einc *ErrInvalidNetworkConfig) Forbidden() {}

// ErrInvalidContainerConfig: a join carries no usable configuration.
type ErrInvalidContainerConfig struct{}

func (eicc *ErrInvalidContainerConfig) Error() string {
	return "cannot join the container: invalid configuration"
}

// BadRequest marks ErrInvalidContainerConfig as a types.BadRequestError.
func (eicc *ErrInvalidContainerConfig) BadRequest() {}

// ErrInvalidEndpointConfig: an endpoint is created with an invalid
// configuration.
type ErrInvalidEndpointConfig struct{}

func (eiec *ErrInvalidEndpointConfig) Error() string {
	return "cannot create the endpoint: invalid endpoint configuration"
}

// BadRequest marks ErrInvalidEndpointConfig as a types.BadRequestError.
func (eiec *ErrInvalidEndpointConfig) BadRequest() {}

// ErrNetworkExists: the network already exists.
type ErrNetworkExists struct{}

func (ene *ErrNetworkExists) Error() string { return "bridge network already exists" }

// Forbidden marks ErrNetworkExists as a types.ForbiddenError.
func (ene *ErrNetworkExists) Forbidden() {}

// ErrIfaceName: no free name could be found for a new interface.
type ErrIfaceName struct{}

func (ein *ErrIfaceName) Error() string { return "failed to find a name for the new interface" }

// InternalError marks ErrIfaceName as internal (libnetwork's marker).
func (ein *ErrIfaceName) InternalError() {}

// Internal marks ErrIfaceName as a types.InternalError.
func (ein *ErrIfaceName) Internal() {}

// ErrNoIPAddr: the bridge has no IPv4 address.
type ErrNoIPAddr struct{}

func (enip *ErrNoIPAddr) Error() string { return "bridge has no IPv4 address configured" }

// InternalError marks ErrNoIPAddr as internal (libnetwork's marker).
func (enip *ErrNoIPAddr) InternalError() {}

// Internal marks ErrNoIPAddr as a types.InternalError.
func (enip *ErrNoIPAddr) Internal() {}

// ErrInvalidGateway: a gateway address is not usable in its network.
type ErrInvalidGateway struct{}

func (eig *ErrInvalidGateway) Error() string {
	return "default gateway IP must be a host address of the network"
}

// BadRequest marks ErrInvalidGateway as a types.BadRequestError.
func (eig *ErrInvalidGateway) BadRequest() {}

// ErrInvalidContainerSubnet: the container subnet is not inside the bridge
// network.
type ErrInvalidContainerSubnet struct{}

func (eis *ErrInvalidContainerSubnet) Error() string {
	return "container subnet must be a subset of the bridge network"
}

// BadRequest marks ErrInvalidContainerSubnet as a types.BadRequestError.
func (eis *ErrInvalidContainerSubnet) BadRequest() {}

// ErrInvalidMtu: the MTU is out of range; the value is the MTU asked for.
type ErrInvalidMtu int

func (eim ErrInvalidMtu) Error() string {
	return fmt.Sprintf("invalid MTU %d: want %d to %d", int(eim), minMTU, maxMTU)
}

// BadRequest marks ErrInvalidMtu as a types.BadRequestError.
func (eim ErrInvalidMtu) BadRequest() {}

// ErrInvalidPort: a transport port is not valid; the value names it.
type ErrInvalidPort string

func (ip ErrInvalidPort) Error() string { return fmt.Sprintf("invalid transport port: %s", string(ip)) }

// BadRequest marks ErrInvalidPort as a types.BadRequestError.
func (ip ErrInvalidPort) BadRequest() {}

// ErrUnsupportedAddressType: an address of an unsupported type; the value
// names it.
type ErrUnsupportedAddressType string

func (uat ErrUnsupportedAddressType) Error() string {
	return fmt.Sprintf("unsupported address type: %s", string(uat))
}

// BadRequest marks ErrUnsupportedAddressType as a types.BadRequestError.
func (uat ErrUnsupportedAddressType) BadRequest() {}

// ErrInvalidAddressBinding: a port binding's host address is not valid; the
// value names it.
type ErrInvalidAddressBinding string

func (iab ErrInvalidAddressBinding) Error() string {
	return fmt.Sprintf("invalid host address in port binding: %s", string(iab))
}

// BadRequest marks ErrInvalidAddressBinding as a types.BadRequestError.
func (iab ErrInvalidAddressBinding) BadRequest() {}

// ActiveEndpointsError: the network still has endpoints; the value is the
// network's ID.
type ActiveEndpointsError string

func (aee ActiveEndpointsError) Error() string {
	return fmt.Sprintf("bridge network %s has active endpoints", string(aee))
}

// Forbidden marks ActiveEndpointsError as a types.ForbiddenError.
func (aee ActiveEndpointsError) Forbidden() {}

// InvalidNetworkIDError: no network has this ID; the value is the ID.
type InvalidNetworkIDError string

func (inie InvalidNetworkIDError) Error() string {
	return fmt.Sprintf("invalid network id %q: no such bridge network", string(inie))
}

// NotFound marks InvalidNetworkIDError as a types.NotFoundError.
func (inie InvalidNetworkIDError) NotFound() {}

// InvalidEndpointIDError: an endpoint ID is not valid; the value is the ID.
type InvalidEndpointIDError string

func (ieie InvalidEndpointIDError) Error() string {
	return fmt.Sprintf("invalid endpoint id: %q", string(ieie))
}

// BadRequest marks InvalidEndpointIDError as a types.BadRequestError.
func (ieie InvalidEndpointIDError) BadRequest() {}

// InvalidSandboxIDError: a sandbox ID is not valid; the value is the ID.
type InvalidSandboxIDError string

func (isie InvalidSandboxIDError) Error() string {
	return fmt.Sprintf("invalid sandbox id: %q", string(isie))
}

// BadRequest marks InvalidSandboxIDError as a types.BadRequestError.
func (isie InvalidSandboxIDError) BadRequest() {}

// EndpointNotFoundError: the network has no endpoint with this ID; the
// value is the ID.
type EndpointNotFoundError string

func (enfe EndpointNotFoundError) Error() string {
	return fmt.Sprintf("endpoint not found: %s", string(enfe))
}

// NotFound marks EndpointNotFoundError as a types.NotFoundError.
func (enfe EndpointNotFoundError) NotFound() {}

// NonDefaultBridgeExistError: a bridge with a non-default name must be made
// by the user; the value is the name.
type NonDefaultBridgeExistError string

func (ndbee NonDefaultBridgeExistError) Error() string {
	return fmt.Sprintf("bridge device with non default name %s must be created manually", string(ndbee))
}

// Forbidden marks NonDefaultBridgeExistError as a types.ForbiddenError.
func (ndbee NonDefaultBridgeExistError) Forbidden() {}

// NonDefaultBridgeNeedsIPError: a bridge with a non-default name must
// already have an address; the value is the name.
type NonDefaultBridgeNeedsIPError string

func (ndbee NonDefaultBridgeNeedsIPError) Error() string {
	return fmt.Sprintf("bridge device with non default name %s must have a valid IP address", string(ndbee))
}

// Forbidden marks NonDefaultBridgeNeedsIPError as a types.ForbiddenError.
func (ndbee NonDefaultBridgeNeedsIPError) Forbidden() {}

// FixedCIDRv4Error: the fixed IPv4 container subnet could not be set up.
type FixedCIDRv4Error struct {
	Net    *net.IPNet
	Subnet *net.IPNet
	Err    error
}

func (fcv4 *FixedCIDRv4Error) Error() string {
	return fmt.Sprintf("set up fixed IPv4 CIDR %s in %s: %v", fcv4.Subnet, fcv4.Net, fcv4.Err)
}

// Unwrap returns the cause.
func (fcv4 *FixedCIDRv4Error) Unwrap() error { return fcv4.Err }

// InternalError marks FixedCIDRv4Error as internal (libnetwork's marker).
func (fcv4 *FixedCIDRv4Error) InternalError() {}

// Internal marks FixedCIDRv4Error as a types.InternalError.
func (fcv4 *FixedCIDRv4Error) Internal() {}

// FixedCIDRv6Error: the fixed IPv6 container subnet could not be set up.
type FixedCIDRv6Error struct {
	Net *net.IPNet
	Err error
}

func (fcv6 *FixedCIDRv6Error) Error() string {
	return fmt.Sprintf("set up fixed IPv6 CIDR %s: %v", fcv6.Net, fcv6.Err)
}

// Unwrap returns the cause.
func (fcv6 *FixedCIDRv6Error) Unwrap() error { return fcv6.Err }

// InternalError marks FixedCIDRv6Error as internal (libnetwork's marker).
func (fcv6 *FixedCIDRv6Error) InternalError() {}

// Internal marks FixedCIDRv6Error as a types.InternalError.
func (fcv6 *FixedCIDRv6Error) Internal() {}

// IPTableCfgError: iptables set-up was asked for an interface it does not
// apply to; the value names the interface.
type IPTableCfgError string

func (name IPTableCfgError) Error() string {
	return fmt.Sprintf("unexpected request to set IP tables for interface: %s", string(name))
}

// BadRequest marks IPTableCfgError as a types.BadRequestError.
func (name IPTableCfgError) BadRequest() {}

// InvalidIPTablesCfgError: an invalid iptables configuration was asked for;
// the value says which.
type InvalidIPTablesCfgError string

func (action InvalidIPTablesCfgError) Error() string {
	return fmt.Sprintf("invalid IPTables configuration requested: %s", string(action))
}

// BadRequest marks InvalidIPTablesCfgError as a types.BadRequestError.
func (action InvalidIPTablesCfgError) BadRequest() {}

// IPv4AddrRangeError: no address range could be found for an interface;
// the value names it.
type IPv4AddrRangeError string

func (name IPv4AddrRangeError) Error() string {
	return fmt.Sprintf("cannot find an address range for interface %q", string(name))
}

// BadRequest marks IPv4AddrRangeError as a types.BadRequestError.
func (name IPv4AddrRangeError) BadRequest() {}

// IPv4AddrAddError: an IPv4 address could not be added to the bridge.
type IPv4AddrAddError struct {
	IP  *net.IPNet
	Err error
}

func (ipv4 *IPv4AddrAddError) Error() string {
	return fmt.Sprintf("failed to add IPv4 address %s to bridge: %v", ipv4.IP, ipv4.Err)
}

// Unwrap returns the cause.
func (ipv4 *IPv4AddrAddError) Unwrap() error { return ipv4.Err }

// InternalError marks IPv4AddrAddError as internal (libnetwork's marker).
func (ipv4 *IPv4AddrAddError) InternalError() {}

// Internal marks IPv4AddrAddError as a types.InternalError.
func (ipv4 *IPv4AddrAddError) Internal() {}

// IPv6AddrAddError: an IPv6 address could not be added to the bridge.
type IPv6AddrAddError struct {
	IP  *net.IPNet
	Err error
}

func (ipv6 *IPv6AddrAddError) Error() string {
	return fmt.Sprintf("failed to add IPv6 address %s to bridge: %v", ipv6.IP, ipv6.Err)
}

// Unwrap returns the cause.
func (ipv6 *IPv6AddrAddError) Unwrap() error { return ipv6.Err }

// InternalError marks IPv6AddrAddError as internal (libnetwork's marker).
func (ipv6 *IPv6AddrAddError) InternalError() {}

// Internal marks IPv6AddrAddError as a types.InternalError.
func (ipv6 *IPv6AddrAddError) Internal() {}

// IPv4AddrNoMatchError: the bridge's IPv4 address is not the configured one.
type IPv4AddrNoMatchError struct {
	IP    net.IP
	CfgIP net.IP
}

func (ipv4 *IPv4AddrNoMatchError) Error() string {
	return fmt.Sprintf("bridge IPv4 (%s) does not match requested configuration %s", ipv4.IP, ipv4.CfgIP)
}

// BadRequest marks IPv4AddrNoMatchError as a types.BadRequestError.
func (ipv4 *IPv4AddrNoMatchError) BadRequest() {}

// IPv6AddrNoMatchError: the bridge's IPv6 addresses do not hold the
// configured one (the value).
type IPv6AddrNoMatchError net.IPNet

func (ipv6 *IPv6AddrNoMatchError) Error() string {
	return fmt.Sprintf("bridge IPv6 addresses do not match the expected bridge configuration %s", (*net.IPNet)(ipv6))
}

// BadRequest marks IPv6AddrNoMatchError as a types.BadRequestError.
func (ipv6 *IPv6AddrNoMatchError) BadRequest() {}

// InvalidLinkIPAddrError: a container to link to has an invalid address;
// the value is the address.
type InvalidLinkIPAddrError string

func (address InvalidLinkIPAddrError) Error() string {
	return fmt.Sprintf("cannot link to a container with invalid IP address %q", string(address))
}

// BadRequest marks InvalidLinkIPAddrError as a types.BadRequestError.
func (address InvalidLinkIPAddrError) BadRequest() {}
