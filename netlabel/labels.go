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
	// HostIP is the host address a driver binds published ports to.
	HostIP = Prefix + ".host_ipv4"
	// LocalKVProvider and friends configure the local store.
	LocalKVProvider = "local-kv-provider"
	// LocalKVProviderURL is the local store's address.
	LocalKVProviderURL = "local-kv-provider-url"
	// LocalKVProviderConfig is the local store's configuration.
	LocalKVProviderConfig = "local-kv-provider-config"
	// GlobalKVProvider names the global store's backend.
	GlobalKVProvider = "global-kv-provider"
	// GlobalKVProviderURL is the global store's address.
	GlobalKVProviderURL = "global-kv-provider-url"
	// GlobalKVProviderConfig is the global store's configuration.
	GlobalKVProviderConfig = "global-kv-provider-config"
	// LocalKVClient and GlobalKVClient hand a datastore to a driver.
	LocalKVClient = "local-kv-client"
	// GlobalKVClient hands the global datastore to a driver.
	GlobalKVClient = "global-kv-client"
	// HostNetNS hands a driver the controller's host network namespace (a
	// netns.NsHandle); all host-side kernel work goes through it.
	HostNetNS = "cnmkit.host-netns"
	// ExecRoot hands a driver the controller's run-time directory.
	ExecRoot = "cnmkit.exec-root"
)

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
