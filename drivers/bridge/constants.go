package bridge

// Keys of IPAM auxiliary addresses: an address under one of them is the
// default gateway the network's containers get, instead of the bridge's own
// address (a router on the bridged segment, for example). It must be a host
// address of the pool.
const (
	// DefaultGatewayV4AuxKey names the IPv4 default gateway.
	DefaultGatewayV4AuxKey = "DefaultGatewayIPv4"
	// DefaultGatewayV6AuxKey names the IPv6 default gateway.
	DefaultGatewayV6AuxKey = "DefaultGatewayIPv6"
)

// The driver's iptables chains under the default chain prefix
// (iptables.DefaultChainPrefix, "CNMKIT"; not Docker's "DOCKER", so that
// both can run on one host).
const (
	// DockerChain is the chain of the published ports' DNAT rules.
	DockerChain = "CNMKIT-PORTMAP"
	// IsolationChain is the first chain of the isolation between networks.
	IsolationChain = "CNMKIT-" + chainIsolation1
)
