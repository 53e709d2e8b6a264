package bridge

import (
	"fmt"
	"math"
	"net"
	"reflect"
	"strconv"
	"strings"

	fw "github.com/cnmkit/libnetwork/firewall"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
)

// Configuration is the bridge driver's configuration. It may be given as
// the value of netlabel.GenericData in the driver's configuration map, as
// a Configuration, a *Configuration or an options.Generic of its fields.
type Configuration struct {
	// EnableIPForwarding turns on IPv4 (and, for IPv6 networks, IPv6)
	// forwarding in the host namespace.
	EnableIPForwarding bool
	// EnableIPTables programs masquerade, ICC, isolation and port mapping rules.
	EnableIPTables bool
	// EnableUserlandProxy serves published ports to the host itself and to
	// hairpin traffic with a proxy process instead of route_localnet and
	// hairpin mode.
	EnableUserlandProxy bool
	// UserlandProxyPath is the proxy binary; empty means the default.
	UserlandProxyPath string
	// FirewallBackend chooses how EnableIPTables programs the rules:
	// "nftables" (tables of our own, no iptables binary), "iptables", or
	// "" for nf_tables where the kernel has it and iptables otherwise.
	FirewallBackend string
}

// parseDriverConfig reads the driver options from the driver's configuration map.
func parseDriverConfig(config map[string]interface{}) (Configuration, error) {
	var c Configuration
	v, ok := config[netlabel.GenericData]
	if !ok || v == nil {
		return c, nil
	}
	switch o := v.(type) {
	case Configuration:
		return o, nil
	case *Configuration:
		if o == nil {
			return c, nil
		}
		return *o, nil
	case options.Generic:
		return driverConfigFromMap(o)
	case map[string]interface{}:
		return driverConfigFromMap(o)
	}
	return c, types.BadRequestErrorf("bridge driver option %s: want options.Generic or bridge.Configuration, got %T: %w", netlabel.GenericData, v, &ErrInvalidDriverConfig{})
}

func driverConfigFromMap(m map[string]interface{}) (Configuration, error) {
	var c Configuration
	for k, v := range m {
		var err error
		switch k {
		case optEnableIPForwarding:
			c.EnableIPForwarding, err = boolOption(k, v)
		case optEnableIPTables:
			c.EnableIPTables, err = boolOption(k, v)
		case optEnableUserlandProxy:
			c.EnableUserlandProxy, err = boolOption(k, v)
		case optUserlandProxyPath:
			c.UserlandProxyPath, err = stringOption(k, v)
		case optFirewallBackend:
			if c.FirewallBackend, err = stringOption(k, v); err == nil {
				err = fw.ValidName(c.FirewallBackend)
			}
		default:
			err = types.BadRequestErrorf("unknown bridge driver option %q (value %v)", k, v)
		}
		if err != nil {
			return Configuration{}, err
		}
	}
	return c, nil
}

// networkConfiguration is the configuration of one bridge network. It is
// persisted as JSON.
type networkConfiguration struct {
	ID                   string
	BridgeName           string
	EnableIPv6           bool
	EnableIPMasquerade   bool
	EnableICC            bool
	Mtu                  int
	DefaultBindingIP     net.IP `json:",omitempty"`
	DefaultBridge        bool
	Internal             bool
	ContainerIfacePrefix string `json:",omitempty"`
	HairpinMode          bool
	// From IPAM: the pools and the gateway addresses (with the pool's mask).
	PoolIPv4    *net.IPNet `json:"-"`
	AddressIPv4 *net.IPNet `json:"-"`
	PoolIPv6    *net.IPNet `json:"-"`
	AddressIPv6 *net.IPNet `json:"-"`
	// DefaultGatewayIPv4 and DefaultGatewayIPv6 are the containers' default
	// gateways when IPAM names one (DefaultGatewayV4AuxKey,
	// DefaultGatewayV6AuxKey); nil: the bridge's address.
	DefaultGatewayIPv4 net.IP `json:",omitempty"`
	DefaultGatewayIPv6 net.IP `json:",omitempty"`
	// BridgeCreated says the driver created the device (and deletes it).
	BridgeCreated bool
	// AddedGatewayV4 and AddedGatewayV6 say the driver added the gateway
	// addresses to an adopted bridge (and removes them).
	AddedGatewayV4 bool `json:",omitempty"`
	AddedGatewayV6 bool `json:",omitempty"`
}

// parseNetworkOptions builds a network's configuration from CreateNetwork's
// options: netlabel.GenericData (options.Generic of field names or labels,
// map[string]interface{} or map[string]string of labels), then the
// well-known labels at the top level (netlabel.EnableIPv6, netlabel.Internal
// and the labels above). It does not look at the kernel.
func parseNetworkOptions(nid string, opts map[string]interface{}) (*networkConfiguration, error) {
	c := &networkConfiguration{ID: nid, EnableICC: true, EnableIPMasquerade: true}
	if g, ok := opts[netlabel.GenericData]; ok && g != nil {
		switch o := g.(type) {
		case options.Generic:
			if err := c.applyMap(o, true); err != nil {
				return nil, err
			}
		case map[string]interface{}:
			if err := c.applyMap(o, true); err != nil {
				return nil, err
			}
		case map[string]string:
			m := make(map[string]interface{}, len(o))
			for k, v := range o {
				m[k] = v
			}
			if err := c.applyMap(m, false); err != nil {
				return nil, err
			}
		default:
			return nil, types.BadRequestErrorf("bridge network option %s: want options.Generic or map[string]string, got %T", netlabel.GenericData, g)
		}
	}
	top := map[string]interface{}{}
	for k, v := range opts {
		if k != netlabel.GenericData && strings.Contains(k, ".") {
			if _, known := optionKeys[k]; known {
				top[k] = v
			}
		}
	}
	if err := c.applyMap(top, false); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.BridgeName == "" {
		if c.DefaultBridge {
			c.BridgeName = DefaultBridgeName
		} else {
			id := nid
			if len(id) > bridgeIDChars {
				id = id[:bridgeIDChars]
			}
			c.BridgeName = bridgePrefix + id
			if err := netutils.ValidateIfaceName(c.BridgeName); err != nil {
				return nil, types.BadRequestErrorf("network ID %q gives an invalid bridge name: %w", nid, err)
			}
		}
	}
	return c, nil
}

// applyMap sets the options in m. With strict, keys that are neither a
// field name nor a known label are an error; otherwise only unknown keys
// under the bridge label namespace are.
func (c *networkConfiguration) applyMap(m map[string]interface{}, strict bool) error {
	for k, v := range m {
		field, ok := optionKeys[k]
		if !ok {
			if (strict && !strings.Contains(k, ".")) || strings.HasPrefix(k, "com.docker.network.bridge.") {
				return types.BadRequestErrorf("unknown bridge network option %q (value %v)", k, v)
			}
			continue
		}
		if err := c.set(field, k, v); err != nil {
			return err
		}
	}
	return nil
}

func (c *networkConfiguration) set(field, key string, v interface{}) error {
	var err error
	switch field {
	case fieldBridgeName:
		c.BridgeName, err = stringOption(key, v)
	case fieldEnableIPv6:
		c.EnableIPv6, err = boolOption(key, v)
	case fieldEnableIPMasquerade:
		c.EnableIPMasquerade, err = boolOption(key, v)
	case fieldEnableICC:
		c.EnableICC, err = boolOption(key, v)
	case fieldMtu:
		c.Mtu, err = intOption(key, v)
	case fieldDefaultBindingIP:
		c.DefaultBindingIP, err = ipOption(key, v)
	case fieldDefaultBridge:
		c.DefaultBridge, err = boolOption(key, v)
	case fieldInternal:
		c.Internal, err = boolOption(key, v)
	case fieldContainerIfacePrefix:
		c.ContainerIfacePrefix, err = stringOption(key, v)
	case fieldHairpinMode:
		c.HairpinMode, err = boolOption(key, v)
	}
	return err
}

// validate checks the values that need no kernel.
func (c *networkConfiguration) validate() error {
	if c.BridgeName != "" {
		if err := netutils.ValidateIfaceName(c.BridgeName); err != nil {
			return types.BadRequestErrorf("invalid bridge name %q: %w", c.BridgeName, err)
		}
	}
	if c.Mtu != 0 && (c.Mtu < minMTU || c.Mtu > maxMTU) {
		return ErrInvalidMtu(c.Mtu)
	}
	if p := c.ContainerIfacePrefix; p != "" {
		if err := netutils.ValidateIfaceName(p); err != nil || len(p) > maxIfacePrefix {
			return types.BadRequestErrorf("invalid container interface prefix %q: want 1 to %d characters valid in an interface name", p, maxIfacePrefix)
		}
	}
	if ip := c.DefaultBindingIP; ip != nil && ip.To4() == nil && ip.To16() == nil {
		return types.BadRequestErrorf("invalid default binding IP %v", ip)
	}
	return nil
}

func wrongType(key string, v interface{}, want string) error {
	return types.BadRequestErrorf("bridge option %q: value %v of type %T is not a %s", key, v, v, want)
}

func boolOption(key string, v interface{}) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		r, err := strconv.ParseBool(strings.TrimSpace(b))
		if err != nil {
			return false, types.BadRequestErrorf("bridge option %q: %q is not a boolean", key, b)
		}
		return r, nil
	}
	return false, wrongType(key, v, "boolean")
}

func stringOption(key string, v interface{}) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	return "", wrongType(key, v, "string")
}

func intOption(key string, v interface{}) (int, error) {
	if s, ok := v.(string); ok {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return 0, types.BadRequestErrorf("bridge option %q: %q is not an integer", key, s)
		}
		return n, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := rv.Int()
		if n < math.MinInt32 || n > math.MaxInt32 {
			return 0, types.BadRequestErrorf("bridge option %q: %d is out of range", key, n)
		}
		return int(n), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n := rv.Uint()
		if n > math.MaxInt32 {
			return 0, types.BadRequestErrorf("bridge option %q: %d is out of range", key, n)
		}
		return int(n), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
			return 0, types.BadRequestErrorf("bridge option %q: %v is not an integer", key, f)
		}
		return int(f), nil
	}
	return 0, wrongType(key, v, "integer")
}

func ipOption(key string, v interface{}) (net.IP, error) {
	switch ip := v.(type) {
	case net.IP:
		if ip.To4() == nil && ip.To16() == nil {
			return nil, types.BadRequestErrorf("bridge option %q: %v is not an IP address", key, []byte(ip))
		}
		return types.GetIPCopy(ip), nil
	case string:
		if ip == "" {
			return nil, nil
		}
		p := net.ParseIP(strings.TrimSpace(ip))
		if p == nil {
			return nil, types.BadRequestErrorf("bridge option %q: %q is not an IP address", key, ip)
		}
		return p, nil
	}
	return nil, wrongType(key, v, "IP address")
}

// String describes the configuration for logs.
func (c *networkConfiguration) String() string {
	return fmt.Sprintf("bridge %s (icc=%t masq=%t internal=%t ipv6=%t mtu=%d)", c.BridgeName, c.EnableICC, c.EnableIPMasquerade, c.Internal, c.EnableIPv6, c.Mtu)
}

// FirewallEnabled reports whether a driver configuration map (as given to
// Init) turns EnableIPTables on: only then can a network have ICC off and
// masquerading.
func FirewallEnabled(config map[string]interface{}) bool {
	c, err := parseDriverConfig(config)
	return err == nil && c.EnableIPTables
}
