package bridge

import "github.com/cnmkit/libnetwork/netlabel"

// Network option labels, with libnetwork's names, for map[string]string
// driver options (NetworkOptionDriverOpts) and for options.Generic.
const (
	// BridgeName names the bridge device.
	BridgeName = "com.docker.network.bridge.name"
	// EnableIPMasquerade masquerades traffic from the network's pool.
	EnableIPMasquerade = "com.docker.network.bridge.enable_ip_masquerade"
	// EnableICC allows traffic between containers of the network.
	EnableICC = "com.docker.network.bridge.enable_icc"
	// DefaultBindingIP is the host address published ports bind to by default.
	DefaultBindingIP = "com.docker.network.bridge.host_binding_ipv4"
	// DefaultBridge marks the default bridge network.
	DefaultBridge = "com.docker.network.bridge.default_bridge"
	// HairpinMode lets a container reach itself through the bridge.
	HairpinMode = "com.docker.network.bridge.hairpin_mode"
	// MTU is the MTU of the bridge and of its veth pairs.
	MTU = netlabel.DriverMTU
)

// Names of the fields of an options.Generic of network options. Each has
// the label above as an alternative key.
const (
	fieldBridgeName           = "BridgeName"
	fieldEnableIPv6           = "EnableIPv6"
	fieldEnableIPMasquerade   = "EnableIPMasquerade"
	fieldEnableICC            = "EnableICC"
	fieldMtu                  = "Mtu"
	fieldDefaultBindingIP     = "DefaultBindingIP"
	fieldDefaultBridge        = "DefaultBridge"
	fieldInternal             = "Internal"
	fieldContainerIfacePrefix = "ContainerIfacePrefix"
	fieldHairpinMode          = "HairpinMode"
)

// optionKeys maps every accepted key (field name or label) to its field.
var optionKeys = map[string]string{
	fieldBridgeName:               fieldBridgeName,
	BridgeName:                    fieldBridgeName,
	fieldEnableIPv6:               fieldEnableIPv6,
	netlabel.EnableIPv6:           fieldEnableIPv6,
	fieldEnableIPMasquerade:       fieldEnableIPMasquerade,
	EnableIPMasquerade:            fieldEnableIPMasquerade,
	fieldEnableICC:                fieldEnableICC,
	EnableICC:                     fieldEnableICC,
	fieldMtu:                      fieldMtu,
	MTU:                           fieldMtu,
	fieldDefaultBindingIP:         fieldDefaultBindingIP,
	DefaultBindingIP:              fieldDefaultBindingIP,
	fieldDefaultBridge:            fieldDefaultBridge,
	DefaultBridge:                 fieldDefaultBridge,
	fieldInternal:                 fieldInternal,
	netlabel.Internal:             fieldInternal,
	fieldContainerIfacePrefix:     fieldContainerIfacePrefix,
	netlabel.ContainerIfacePrefix: fieldContainerIfacePrefix,
	fieldHairpinMode:              fieldHairpinMode,
	HairpinMode:                   fieldHairpinMode,
}

// Driver option names (fields of the options.Generic under
// netlabel.GenericData in the driver's configuration).
const (
	optEnableIPForwarding  = "EnableIPForwarding"
	optEnableIPTables      = "EnableIPTables"
	optEnableUserlandProxy = "EnableUserlandProxy"
	optUserlandProxyPath   = "UserlandProxyPath"
	optFirewallBackend     = "FirewallBackend"
)
