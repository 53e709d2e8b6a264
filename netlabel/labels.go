// Package netlabel holds the well-known label and option keys. Their values
// are libnetwork's, so option maps written for it keep working.
package netlabel

import "strings"

const (
	// Prefix is the namespace of every network label.
	Prefix = "com.docker.network"
	// DriverPrefix is the namespace of driver labels.
	DriverPrefix = Prefix + ".driver"
	// DriverPrivatePrefix marks driver labels not shown to users.
	DriverPrivatePrefix = DriverPrefix + ".private"
	// GenericData carries an options.Generic of driver-specific options.
	GenericData = Prefix + ".generic"
	// PortMap carries an endpoint's []types.PortBinding.
	PortMap = Prefix + ".portmap"
	// MacAddress carries an endpoint's MAC address.
	MacAddress = Prefix + ".endpoint.macaddress"
	// ExposedPorts carries an endpoint's []types.TransportPort.
	ExposedPorts = Prefix + ".endpoint.exposedports"
	// DNSServers carries an endpoint's DNS servers.
	DNSServers = Prefix + ".endpoint.dnsservers"
	// EnableIPv6 enables IPv6 on a network.
	EnableIPv6 = Prefix + ".enable_ipv6"
	// DriverMTU sets the MTU of a network's interfaces.
	DriverMTU = DriverPrefix + ".mtu"
	// OverlayBindInterface names the overlay driver's underlay interface.
	OverlayBindInterface = DriverPrefix + ".overlay.bind_interface"
	// OverlayNeighborIP is the overlay driver's neighbour address.
	OverlayNeighborIP = DriverPrefix + ".overlay.neighbor_ip"
	// OverlayVxlanIDList carries the VXLAN IDs the manager allocated.
	OverlayVxlanIDList = DriverPrefix + ".overlay.vxlanid_list"
	// Gateway asks IPAM for the gateway address of a pool.
	Gateway = Prefix + ".gateway"
	// Internal marks a network with no outside connectivity.
	Internal = Prefix + ".internal"
	// ContainerIfacePrefix sets the interface name prefix in the sandbox.
	ContainerIfacePrefix = Prefix + ".container_iface_prefix"
	// Ifname names an endpoint's interface in the sandbox exactly (an
	// endpoint option, string), instead of the driver's prefix plus an index.
	Ifname = Prefix + ".endpoint.ifname"
	// HostIP is the host address a driver binds published ports to.
	HostIP = Prefix + ".host_ipv4"
	// HostNetNS hands a driver the controller's host network namespace (a
	// netns.NsHandle); all host-side kernel work goes through it.
	HostNetNS = "cnmkit.host-netns"
	// ExecRoot hands a driver the controller's run-time directory.
	ExecRoot = "cnmkit.exec-root"
)

// The labels under which a controller hands drivers its stores and their
// configuration, one set per scope (datastore.LocalScope, GlobalScope).
var (
	// GlobalKVProvider names the global store's backend.
	GlobalKVProvider = MakeKVProvider("global")
	// GlobalKVProviderURL is the global store's address.
	GlobalKVProviderURL = MakeKVProviderURL("global")
	// GlobalKVProviderConfig is the global store's configuration.
	GlobalKVProviderConfig = MakeKVProviderConfig("global")
	// GlobalKVClient hands the global datastore to a driver.
	GlobalKVClient = MakeKVClient("global")
	// LocalKVProvider names the local store's backend.
	LocalKVProvider = MakeKVProvider("local")
	// LocalKVProviderURL is the local store's address.
	LocalKVProviderURL = MakeKVProviderURL("local")
	// LocalKVProviderConfig is the local store's configuration.
	LocalKVProviderConfig = MakeKVProviderConfig("local")
	// LocalKVClient hands the local datastore to a driver.
	LocalKVClient = MakeKVClient("local")
)

// MakeKVProvider returns the label naming the store backend of scope.
func MakeKVProvider(scope string) string { return DriverPrivatePrefix + scope + "kv_provider" }

// MakeKVProviderURL returns the label of the store address of scope.
func MakeKVProviderURL(scope string) string { return DriverPrivatePrefix + scope + "kv_provider_url" }

// MakeKVProviderConfig returns the label of the store configuration of scope.
func MakeKVProviderConfig(scope string) string {
	return DriverPrivatePrefix + scope + "kv_provider_config"
}

// MakeKVClient returns the label under which a driver gets the store of scope.
func MakeKVClient(scope string) string { return DriverPrivatePrefix + scope + "kv_client" }

// Key returns the key part of a "key=value" label.
func Key(label string) string {
	k, _, _ := strings.Cut(label, "=")
	return k
}

// Value returns the value part of a "key=value" label.
func Value(label string) string {
	_, v, _ := strings.Cut(label, "=")
	return v
}

// KeyValue splits a "key=value" label.
func KeyValue(label string) (key, value string) {
	key, value, _ = strings.Cut(label, "=")
	return key, value
}
