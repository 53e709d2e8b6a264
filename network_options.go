package libnetwork

import (
	"fmt"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
)

// NetworkOption is an option setter function type used to pass various options to
// NewNetwork method. The various setter functions of type NetworkOption are
// provided by libnetwork, they look like NetworkOptionXXXX(...)
type NetworkOption func(n *network)

// NetworkOptionGeneric function returns an option setter for a Generic option defined
// in a Dictionary of Key-Value pair. netlabel.EnableIPv6 and netlabel.Internal,
// when present, must be booleans.
func NetworkOptionGeneric(generic map[string]interface{}) NetworkOption {
	return func(n *network) {
		if n.generic == nil {
			n.generic = make(map[string]interface{})
		}
		if val, ok := generic[netlabel.EnableIPv6]; ok {
			if b, ok := val.(bool); ok {
				n.enableIPv6 = b
			} else {
				n.setOptErr(wrongType(netlabel.EnableIPv6, "bool", val))
			}
		}
		if val, ok := generic[netlabel.Internal]; ok {
			if b, ok := val.(bool); ok {
				n.internal = b
			} else {
				n.setOptErr(wrongType(netlabel.Internal, "bool", val))
			}
		}
		if val, ok := generic[netlabel.GenericData]; ok {
			switch val.(type) {
			case map[string]string, map[string]interface{}, options.Generic:
			default:
				n.setOptErr(wrongType(netlabel.GenericData, "map[string]string or options.Generic", val))
			}
		}
		for k, v := range generic {
			n.generic[k] = v
		}
	}
}

// NetworkOptionIpam function returns an option setter for the ipam configuration for this network
func NetworkOptionIpam(ipamDriver string, addrSpace string, ipV4 []*IpamConf, ipV6 []*IpamConf, opts map[string]string) NetworkOption {
	return func(n *network) {
		if ipamDriver != "" {
			n.ipamType = ipamDriver
		}
		n.ipamOptions = copyStringMap(opts)
		n.addrSpace = addrSpace
		for _, c := range ipV4 {
			if c == nil {
				n.setOptErr(types.BadRequestErrorf("nil IPv4 IPAM configuration"))
			}
		}
		for _, c := range ipV6 {
			if c == nil {
				n.setOptErr(types.BadRequestErrorf("nil IPv6 IPAM configuration"))
			}
		}
		n.ipamV4Cfg = copyIpamConfsSafe(ipV4)
		n.ipamV6Cfg = copyIpamConfsSafe(ipV6)
	}
}

// NetworkOptionEnableIPv6 returns an option setter to explicitly configure IPv6
func NetworkOptionEnableIPv6(enableIPv6 bool) NetworkOption {
	return func(n *network) {
		if n.generic == nil {
			n.generic = make(map[string]interface{})
		}
		n.enableIPv6 = enableIPv6
		n.generic[netlabel.EnableIPv6] = enableIPv6
	}
}

// NetworkOptionDeferIPv6Alloc makes endpoints of the network take their
// IPv6 address after the driver created them, so that the driver may choose
// it (as Docker's bridge does from fixed-cidr-v6 and the MAC address).
func NetworkOptionDeferIPv6Alloc(enable bool) NetworkOption {
	return func(n *network) { n.postIPv6 = enable }
}

// NetworkOptionInternalNetwork returns an option setter to config the network
// to be internal which disables default gateway service
func NetworkOptionInternalNetwork() NetworkOption {
	return func(n *network) {
		if n.generic == nil {
			n.generic = make(map[string]interface{})
		}
		n.internal = true
		n.generic[netlabel.Internal] = true
	}
}

// NetworkOptionLabels function returns an option setter for labels specific to a network
func NetworkOptionLabels(labels map[string]string) NetworkOption {
	return func(n *network) {
		n.labels = copyStringMap(labels)
	}
}

// NetworkOptionDriverOpts function returns an option setter for any driver parameter described by a map
func NetworkOptionDriverOpts(opts map[string]string) NetworkOption {
	return func(n *network) {
		if n.generic == nil {
			n.generic = make(map[string]interface{})
		}
		if opts == nil {
			opts = make(map[string]string)
		}
		// Store the options
		n.generic[netlabel.GenericData] = copyStringMap(opts)
	}
}

// NetworkOptionPersist returns an option setter to set persistence policy for a network
func NetworkOptionPersist(persist bool) NetworkOption {
	return func(n *network) {
		n.persist = persist
	}
}

// NetworkOptionAttachable returns an option setter to set attachable for a network
func NetworkOptionAttachable(attachable bool) NetworkOption {
	return func(n *network) {
		n.attachable = attachable
	}
}

// NetworkOptionScope returns an option setter to overwrite the network's scope.
// By default the network's scope is set to the network driver's datascope.
func NetworkOptionScope(scope string) NetworkOption {
	return func(n *network) {
		switch scope {
		case datastore.LocalScope, datastore.GlobalScope, datastore.SwarmScope:
			n.scope = scope
		default:
			n.setOptErr(types.BadRequestErrorf("invalid network scope %q", scope))
		}
	}
}

func (n *network) setOptErr(err error) {
	if n.optErr == nil {
		n.optErr = err
	}
}

func (n *network) processOptions(opts ...NetworkOption) {
	for _, opt := range opts {
		if opt != nil {
			opt(n)
		}
	}
}

// copyIpamConfsSafe copies confs, skipping nil entries.
func copyIpamConfsSafe(in []*IpamConf) []*IpamConf {
	var out []*IpamConf
	for _, c := range in {
		if c != nil {
			out = append(out, copyIpamConfs([]*IpamConf{c})...)
		}
	}
	return out
}

// wrongType is the error for an option value of the wrong type.
func wrongType(key, want string, got interface{}) error {
	return types.BadRequestErrorf("option %q: want a value of type %s, got %s", key, want, fmt.Sprintf("%T", got))
}
