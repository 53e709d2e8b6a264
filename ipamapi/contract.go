// Package ipamapi is the contract between the controller and IPAM drivers:
// the Ipam interface a driver implements, the Callback through which it
// registers, and the well-known errors and option keys.
package ipamapi

import (
	"net"

	"github.com/cnmkit/libnetwork/discoverapi"
)

// Well-known driver names, plugin type and option keys.
const (
	// DefaultIPAM is the name of the built-in IPAM driver.
	DefaultIPAM = "default"
	// NullIPAM is the name of the IPAM driver that allocates nothing.
	NullIPAM = "null"
	// PluginEndpointType is the plugin type of remote IPAM drivers.
	PluginEndpointType = "IpamDriver"
	// RequestAddressType is the RequestAddress option key saying what the
	// address is for; the value netlabel.Gateway asks for the gateway.
	RequestAddressType = "RequestAddressType"
	// AllocSerialPrefix is the option key that, set to "true", asks for
	// serial allocation: the next free address after the last one handed
	// out, instead of the lowest free one.
	AllocSerialPrefix = "com.docker.network.ipam.serial"
)

// Callback is the interface through which IPAM drivers register.
type Callback interface {
	// RegisterIpamDriver registers driver under name with default capabilities.
	RegisterIpamDriver(name string, driver Ipam) error
	// RegisterIpamDriverWithCapabilities registers driver under name with capability.
	RegisterIpamDriverWithCapabilities(name string, driver Ipam, capability *Capability) error
}

// Ipam is the interface every IPAM driver implements.
type Ipam interface {
	discoverapi.Discover

	// GetDefaultAddressSpaces returns the local and global default address spaces.
	GetDefaultAddressSpaces() (string, string, error)
	// RequestPool reserves a pool (an explicit pool, optionally restricted
	// to subPool, or, when pool is empty, one the driver chooses) and returns
	// its ID, the pool and driver metadata.
	RequestPool(addressSpace, pool, subPool string, options map[string]string, v6 bool) (string, *net.IPNet, map[string]string, error)
	// ReleasePool releases the pool with the given ID.
	ReleasePool(poolID string) error
	// RequestAddress reserves an address of the pool: the given one, or any
	// when it is nil. It returns the address with the pool's mask.
	RequestAddress(string, net.IP, map[string]string) (*net.IPNet, map[string]string, error)
	// ReleaseAddress releases an address of the pool.
	ReleaseAddress(string, net.IP) error
}

// Capability describes what an IPAM driver needs from the controller.
type Capability struct {
	// RequiresMACAddress asks for the endpoint's MAC address in RequestAddress options.
	RequiresMACAddress bool
	// RequiresRequestReplay asks the controller to replay its pool and
	// address requests after a restart.
	RequiresRequestReplay bool
}
