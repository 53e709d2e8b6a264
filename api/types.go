package api

import "time"

// Version is the version of the API; every route is under /<Version>/.
const Version = "v1"

// Info is the answer of GET /v1/info.
type Info struct {
	APIVersion   string `json:"api_version"`
	ControllerID string `json:"controller_id"`
	DataDir      string `json:"data_dir"`
	ExecRoot     string `json:"exec_root"`
	PID          int    `json:"pid"`
	// Version is the daemon's release ("dev" for a development build);
	// GitCommit its VCS revision when the build has one.
	Version   string `json:"version"`
	GitCommit string `json:"git_commit,omitempty"`
	GoVersion string `json:"go_version"`
	OSArch    string `json:"os_arch"`
}

// IPAMConfig is one address pool of a network: a subnet, its gateway and
// the range endpoints get their addresses from.
type IPAMConfig struct {
	Subnet  string `json:"subnet"`
	Gateway string `json:"gateway,omitempty"`
	IPRange string `json:"ip_range,omitempty"`
}

// NetworkCreate is the body of POST /v1/networks. ID, when set, is the
// network's ID (else one is generated): an orchestrator creates a
// multi-host network with the same ID and options on every host.
type NetworkCreate struct {
	ID         string       `json:"id,omitempty"`
	Name       string       `json:"name"`
	Driver     string       `json:"driver"`
	IPAMDriver string       `json:"ipam_driver,omitempty"`
	IPAM       []IPAMConfig `json:"ipam,omitempty"`
	// IPAMOptions are options of the IPAM driver.
	IPAMOptions map[string]string `json:"ipam_options,omitempty"`
	// AuxAddresses are addresses (by name) the network's driver uses,
	// which endpoints must not get; each belongs to the pool whose subnet
	// contains it.
	AuxAddresses map[string]string `json:"aux_addresses,omitempty"`
	IPv6         bool              `json:"ipv6,omitempty"`
	Internal     bool              `json:"internal,omitempty"`
	Options      map[string]string `json:"options,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
}

// Network is a network as the API shows it.
type Network struct {
	ID         string       `json:"id"`
	Name       string       `json:"name"`
	Driver     string       `json:"driver"`
	Scope      string       `json:"scope"`
	IPAMDriver string       `json:"ipam_driver"`
	IPAM       []IPAMConfig `json:"ipam"`
	// IPAMOptions are the IPAM driver's options the network was created with.
	IPAMOptions map[string]string `json:"ipam_options,omitempty"`
	// AuxAddresses are the auxiliary addresses of its pools, by name.
	AuxAddresses map[string]string `json:"aux_addresses,omitempty"`
	IPv6         bool              `json:"ipv6"`
	Internal     bool              `json:"internal"`
	Options      map[string]string `json:"options"`
	Labels       map[string]string `json:"labels"`
	Created      time.Time         `json:"created"`
	Endpoints    []EndpointSummary `json:"endpoints"`
}

// EndpointSummary names an endpoint of a network; Sandbox is the name of
// the sandbox it is attached to.
type EndpointSummary struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	IPv4Address string `json:"ipv4_address,omitempty"`
	Sandbox     string `json:"sandbox,omitempty"`
}

// Port is a transport port: a protocol ("tcp", "udp" or "sctp") and a number.
type Port struct {
	Proto string `json:"proto"`
	Port  int    `json:"port"`
}

// PortBinding publishes a container port on a host address and port (or
// the first free port of HostPort..HostPortEnd; any free port when
// HostPort is 0).
type PortBinding struct {
	Proto       string `json:"proto"`
	Port        int    `json:"port"`
	HostIP      string `json:"host_ip,omitempty"`
	HostPort    int    `json:"host_port,omitempty"`
	HostPortEnd int    `json:"host_port_end,omitempty"`
}

// EndpointCreate is the body of POST /v1/networks/{network}/endpoints.
type EndpointCreate struct {
	Name              string        `json:"name"`
	ExposedPorts      []Port        `json:"exposed_ports,omitempty"`
	PortBindings      []PortBinding `json:"port_bindings,omitempty"`
	Aliases           []string      `json:"aliases,omitempty"`
	IPv4Address       string        `json:"ipv4_address,omitempty"`
	IPv6Address       string        `json:"ipv6_address,omitempty"`
	DisableResolution bool          `json:"disable_resolution,omitempty"`
	// InterfaceName is the endpoint's interface name in the sandbox
	// (instead of the driver's prefix and an index).
	InterfaceName string `json:"interface_name,omitempty"`
}

// Endpoint is an endpoint as the API shows it. Sandbox is the name of the
// sandbox it is attached to. PortBindings are the bindings asked for;
// Published are those the driver has in place (host ports chosen), while
// the endpoint is attached.
type Endpoint struct {
	ID           string        `json:"id"`
	Name         string        `json:"name"`
	Network      string        `json:"network"`
	NetworkID    string        `json:"network_id"`
	Sandbox      string        `json:"sandbox,omitempty"`
	MacAddress   string        `json:"mac_address,omitempty"`
	IPv4Address  string        `json:"ipv4_address,omitempty"`
	IPv6Address  string        `json:"ipv6_address,omitempty"`
	Gateway      string        `json:"gateway,omitempty"`
	GatewayIPv6  string        `json:"gateway_ipv6,omitempty"`
	Aliases      []string      `json:"aliases"`
	ExposedPorts []Port        `json:"exposed_ports"`
	PortBindings []PortBinding `json:"port_bindings"`
	Published    []PortBinding `json:"published"`
	// Unpublished says why PortBindings are not published (an internal
	// network, a driver with nothing to forward them).
	Unpublished string `json:"unpublished,omitempty"`
	// InterfaceName is the interface name asked for at creation.
	InterfaceName string `json:"interface_name,omitempty"`
}

// SandboxCreate is the body of POST /v1/sandboxes. Name is the container
// the sandbox is for. Key, when set, is a network namespace the runtime
// made (a path such as /proc/PID/ns/net or /var/run/netns/NAME): the
// sandbox uses it rather than creating its own (the external-key path).
type SandboxCreate struct {
	Name       string   `json:"name"`
	Key        string   `json:"key,omitempty"`
	Hostname   string   `json:"hostname,omitempty"`
	Domainname string   `json:"domainname,omitempty"`
	DNS        []string `json:"dns,omitempty"`
	DNSSearch  []string `json:"dns_search,omitempty"`
	DNSOptions []string `json:"dns_options,omitempty"`
	ExtraHosts []string `json:"extra_hosts,omitempty"`
}

// Sandbox is a sandbox as the API shows it: its configuration, the
// endpoints attached and the interfaces found in its namespace.
type Sandbox struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Key        string            `json:"key"`
	Hostname   string            `json:"hostname,omitempty"`
	Domainname string            `json:"domainname,omitempty"`
	DNS        []string          `json:"dns"`
	DNSSearch  []string          `json:"dns_search"`
	DNSOptions []string          `json:"dns_options"`
	ExtraHosts []string          `json:"extra_hosts"`
	Endpoints  []SandboxEndpoint `json:"endpoints"`
	Interfaces []Interface       `json:"interfaces"`
}

// SandboxEndpoint is an endpoint attached to a sandbox.
type SandboxEndpoint struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Network     string `json:"network"`
	NetworkID   string `json:"network_id"`
	MacAddress  string `json:"mac_address,omitempty"`
	IPv4Address string `json:"ipv4_address,omitempty"`
	IPv6Address string `json:"ipv6_address,omitempty"`
	Gateway     string `json:"gateway,omitempty"`
}

// Interface is a network interface found in a sandbox's namespace.
type Interface struct {
	Name       string   `json:"name"`
	MacAddress string   `json:"mac_address,omitempty"`
	MTU        int      `json:"mtu"`
	Up         bool     `json:"up"`
	Addresses  []string `json:"addresses"`
}

// AttachRequest is the body of POST /v1/sandboxes/{sandbox}/attach and
// /detach: the endpoint, by network and endpoint (names or IDs).
type AttachRequest struct {
	Network  string `json:"network"`
	Endpoint string `json:"endpoint"`
}

// ErrorResponse is the body of every error answer. Field names the field
// of the request that is wrong, when one is.
type ErrorResponse struct {
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}
