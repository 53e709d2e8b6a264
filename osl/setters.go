package osl

import (
	"net"

	"github.com/cnmkit/libnetwork/types"
)

// IfaceOptionSetter makes the interface options of the seed's API; each
// method returns the IfaceOption of the With* function of the same property.
type IfaceOptionSetter interface {
	// Bridge makes AddInterface create a bridge (WithBridge).
	Bridge(bool) IfaceOption
	// MacAddress sets the MAC address (WithMacAddress).
	MacAddress(net.HardwareAddr) IfaceOption
	// Address sets the IPv4 address (WithAddress).
	Address(*net.IPNet) IfaceOption
	// AddressIPv6 sets the IPv6 address (WithIPv6Address).
	AddressIPv6(*net.IPNet) IfaceOption
	// Master enslaves the interface to a bridge of the sandbox (WithMaster).
	Master(string) IfaceOption
	// Routes adds connected routes through the interface (WithRoutes).
	Routes([]*net.IPNet) IfaceOption
}

// NeighborOptionSetter makes the neighbour options of the seed's API.
type NeighborOptionSetter interface {
	// LinkName names the entry's interface (WithNeighLinkName).
	LinkName(string) NeighOption
	// Family sets the entry's address family (WithNeighFamily).
	Family(int) NeighOption
}

// optionSetter implements IfaceOptionSetter and NeighborOptionSetter.
type optionSetter struct{}

func (optionSetter) Bridge(b bool) IfaceOption                 { return WithBridge(b) }
func (optionSetter) MacAddress(m net.HardwareAddr) IfaceOption { return WithMacAddress(m) }
func (optionSetter) Address(a *net.IPNet) IfaceOption          { return WithAddress(a) }
func (optionSetter) AddressIPv6(a *net.IPNet) IfaceOption      { return WithIPv6Address(a) }
func (optionSetter) Master(name string) IfaceOption            { return WithMaster(name) }
func (optionSetter) Routes(routes []*net.IPNet) IfaceOption    { return WithRoutes(routes) }
func (optionSetter) LinkName(name string) NeighOption          { return WithNeighLinkName(name) }
func (optionSetter) Family(family int) NeighOption             { return WithNeighFamily(family) }
func (n *namespace) InterfaceOptions() IfaceOptionSetter       { return optionSetter{} }
func (n *namespace) NeighborOptions() NeighborOptionSetter     { return optionSetter{} }

// Info is what a sandbox holds: its interfaces, gateways and static routes.
type Info interface {
	// Interfaces returns the interfaces added (or found on restore).
	Interfaces() []Interface
	// Gateway returns the IPv4 default gateway, or nil.
	Gateway() net.IP
	// GatewayIPv6 returns the IPv6 default gateway, or nil.
	GatewayIPv6() net.IP
	// StaticRoutes returns the routes added by AddStaticRoute.
	StaticRoutes() []*types.StaticRoute
}

// Info returns the sandbox itself as its Info: the accessors read its
// current state at each call.
func (n *namespace) Info() Info { return n }
