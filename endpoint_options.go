package libnetwork

import (
	"net"

	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
)

var (
	linkLocalMask     = net.CIDRMask(16, 32)
	linkLocalMaskIPv6 = net.CIDRMask(64, 128)
)

// EndpointOptionGeneric function returns an option setter for a Generic option defined
// in a Dictionary of Key-Value pair. netlabel.MacAddress, netlabel.PortMap and
// netlabel.ExposedPorts, when present, must be a net.HardwareAddr, a
// []types.PortBinding and a []types.TransportPort.
func EndpointOptionGeneric(generic map[string]interface{}) EndpointOption {
	return func(ep *endpoint) {
		if ep.generic == nil {
			ep.generic = make(map[string]interface{})
		}
		for k, v := range generic {
			switch k {
			case netlabel.MacAddress:
				if _, ok := v.(net.HardwareAddr); !ok {
					ep.setOptErr(wrongType(k, "net.HardwareAddr", v))
					continue
				}
			case netlabel.PortMap:
				if _, ok := v.([]types.PortBinding); !ok {
					ep.setOptErr(wrongType(k, "[]types.PortBinding", v))
					continue
				}
			case netlabel.ExposedPorts:
				if _, ok := v.([]types.TransportPort); !ok {
					ep.setOptErr(wrongType(k, "[]types.TransportPort", v))
					continue
				}
			}
			ep.generic[k] = v
		}
	}
}

// CreateOptionIpam function returns an option setter for the ipam configuration for this endpoint
func CreateOptionIpam(ipV4, ipV6 net.IP, ipamOptions map[string]string) EndpointOption {
	return CreateOptionIpamLinkLocal(ipV4, ipV6, nil, ipamOptions)
}

// CreateOptionIpamLinkLocal is CreateOptionIpam with link-local addresses
// (169.254.0.0/16, fe80::/10) the interface gets beside its own.
func CreateOptionIpamLinkLocal(ipV4, ipV6 net.IP, llIPs []net.IP, ipamOptions map[string]string) EndpointOption {
	return func(ep *endpoint) {
		ep.prefAddress = types.GetIPCopy(ipV4)
		ep.prefAddressV6 = types.GetIPCopy(ipV6)
		if ipV4 != nil && ipV4.To4() == nil {
			ep.setOptErr(types.BadRequestErrorf("preferred IPv4 address %s is not an IPv4 address", ipV4))
		}
		if ipV6 != nil && ipV6.To4() != nil {
			ep.setOptErr(types.BadRequestErrorf("preferred IPv6 address %s is not an IPv6 address", ipV6))
		}
		for _, ip := range llIPs {
			if !ip.IsLinkLocalUnicast() {
				ep.setOptErr(types.BadRequestErrorf("invalid link local IP address: %v", ip))
				continue
			}
			nw := &net.IPNet{IP: types.GetIPCopy(ip), Mask: linkLocalMask}
			if ip.To4() == nil {
				nw.Mask = linkLocalMaskIPv6
			} else {
				nw.IP = ip.To4()
			}
			ep.iface.llAddrs = append(ep.iface.llAddrs, nw)
		}
		ep.ipamOptions = copyStringMap(ipamOptions)
	}
}

// CreateOptionExposedPorts function returns an option setter for the container exposed
// ports option to be passed to network.CreateEndpoint() method.
func CreateOptionExposedPorts(exposedPorts []types.TransportPort) EndpointOption {
	return func(ep *endpoint) {
		if ep.generic == nil {
			ep.generic = make(map[string]interface{})
		}
		// Defensive copy
		eps := make([]types.TransportPort, len(exposedPorts))
		copy(eps, exposedPorts)
		// Store endpoint label and in generic because driver needs it
		ep.exposedPorts = eps
		ep.generic[netlabel.ExposedPorts] = eps
	}
}

// CreateOptionPortMapping function returns an option setter for the mapping
// ports option to be passed to network.CreateEndpoint() method.
func CreateOptionPortMapping(portBindings []types.PortBinding) EndpointOption {
	return func(ep *endpoint) {
		if ep.generic == nil {
			ep.generic = make(map[string]interface{})
		}
		// Store a copy of the bindings as generic data to pass to the driver
		pbs := make([]types.PortBinding, 0, len(portBindings))
		for _, b := range portBindings {
			pbs = append(pbs, b.GetCopy())
		}
		ep.generic[netlabel.PortMap] = pbs
	}
}

// CreateOptionDNS function returns an option setter for dns entry option to
// be passed to container Create method.
func CreateOptionDNS(dns []string) EndpointOption {
	return func(ep *endpoint) {
		ep.dnsServers = append([]string(nil), dns...)
	}
}

// CreateOptionAnonymous function returns an option setter for setting
// this endpoint as anonymous
func CreateOptionAnonymous() EndpointOption {
	return func(ep *endpoint) {
		ep.anonymous = true
	}
}

// CreateOptionDisableResolution function returns an option setter to indicate
// this endpoint doesn't want embedded DNS server functionality
func CreateOptionDisableResolution() EndpointOption {
	return func(ep *endpoint) {
		ep.disableResolution = true
	}
}

// CreateOptionAlias function returns an option setter for setting endpoint alias
func CreateOptionAlias(name string, alias string) EndpointOption {
	return func(ep *endpoint) {
		if ep.aliases == nil {
			ep.aliases = make(map[string]string)
		}
		ep.aliases[alias] = name
	}
}

// CreateOptionMyAlias function returns an option setter for setting endpoint's self alias
func CreateOptionMyAlias(alias string) EndpointOption {
	return func(ep *endpoint) {
		ep.myAliases = append(ep.myAliases, alias)
	}
}

// JoinOptionPriority function returns an option setter for priority option to
// be passed to the endpoint.Join() method: among the endpoints of a sandbox
// that provide a gateway, the one with the highest priority gives the
// sandbox its default gateway (ties go to the network name first in order).
func JoinOptionPriority(ep Endpoint, prio int) EndpointOption {
	return func(ep *endpoint) {
		ep.joinPrio = prio
		ep.hasJoinPrio = true
	}
}
