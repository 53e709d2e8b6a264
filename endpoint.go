package libnetwork

import (
	"net"
	"sync"

	"github.com/cnmkit/libnetwork/types"
)

// Endpoint represents a logical connection between a network and a sandbox.
type Endpoint interface {
	// A system generated id for this endpoint.
	ID() string

	// Name returns the name of this endpoint.
	Name() string

	// Network returns the name of the network to which this endpoint is attached.
	Network() string

	// Join joins the sandbox to the endpoint and populates into the sandbox
	// the network resources allocated for the endpoint.
	Join(sandbox Sandbox, options ...EndpointOption) error

	// Leave detaches the network resources populated in the sandbox.
	Leave(sandbox Sandbox, options ...EndpointOption) error

	// Return certain operational data belonging to this endpoint
	Info() EndpointInfo

	// DriverInfo returns a collection of driver operational data related to this endpoint retrieved from the driver
	DriverInfo() (map[string]interface{}, error)

	// Delete and detaches this endpoint from the network.
	Delete(force bool) error
}

// EndpointOption is an option setter function type used to pass various options to Network
// and Endpoint interfaces methods. The various setter functions of type EndpointOption are
// provided by libnetwork, they look like <Create|Join|Leave>Option[...](...)
type EndpointOption func(ep *endpoint)

// endpoint implements Endpoint and EndpointInfo. opMu serializes the
// operations on the endpoint (create, join, leave, delete) and is held
// across driver and kernel work; mu guards the fields and is held only
// briefly. Lock order: sandbox.opMu, endpoint.opMu, then any mu.
type endpoint struct {
	network *network
	id      string
	// claim records the cluster addresses taken while the endpoint is
	// being created on a cluster-store network (under opMu); else nil.
	claim *claim

	// Set at creation, read-only after.
	anonymous         bool
	disableResolution bool
	exposedPorts      []types.TransportPort
	prefAddress       net.IP
	prefAddressV6     net.IP
	ipamOptions       map[string]string
	myAliases         []string
	aliases           map[string]string
	dnsServers        []string
	optErr            error

	// join-time scratch: set by options given to Join, under opMu.
	joinPrio    int
	hasJoinPrio bool

	opMu sync.Mutex

	mu        sync.Mutex
	name      string
	generic   map[string]interface{}
	iface     endpointInterface
	joinInfo  *endpointJoinInfo
	sandboxID string
	deleted   bool
	kv        kvMeta
}

// endpointInterface is the endpoint's interface: its addresses (from IPAM
// or the driver) and, while joined, its names and connected routes.
type endpointInterface struct {
	mac       net.HardwareAddr
	addr      *net.IPNet
	addrv6    *net.IPNet
	llAddrs   []*net.IPNet
	srcName   string
	dstPrefix string
	dstName   string
	routes    []*net.IPNet
	v4PoolID  string
	v6PoolID  string
}

// endpointJoinInfo is what the driver set during Join.
type endpointJoinInfo struct {
	gw                    net.IP
	gw6                   net.IP
	staticRoutes          []*types.StaticRoute
	disableGatewayService bool
	tableEntries          []TableEntry
	priority              int
}

// TableEntry is an entry a driver published with JoinInfo.AddTableEntry;
// it lives as long as the endpoint's join.
type TableEntry struct {
	TableName string
	Key       string
	Value     []byte
}

func (ep *endpoint) ID() string { return ep.id }

func (ep *endpoint) Name() string {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return ep.name
}

// Network returns the name of the endpoint's network.
func (ep *endpoint) Network() string { return ep.network.name }

// Info returns the endpoint's operational data.
func (ep *endpoint) Info() EndpointInfo { return ep }

func (ep *endpoint) getSandboxID() string {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return ep.sandboxID
}

// DriverInfo returns the driver's operational data of the endpoint.
func (ep *endpoint) DriverInfo() (map[string]interface{}, error) {
	ep.mu.Lock()
	deleted := ep.deleted
	ep.mu.Unlock()
	if deleted {
		return nil, ErrNoSuchEndpoint(ep.id)
	}
	d, err := ep.network.driver()
	if err != nil {
		return nil, err
	}
	info, err := d.EndpointOperInfo(ep.network.id, ep.id)
	if err != nil {
		return nil, driverErr(err, "driver %s: operational info of endpoint %s", ep.network.networkType, ep.id)
	}
	return info, nil
}

// gateways returns the gateways the driver set at join, or nils.
func (ep *endpoint) gateways() (net.IP, net.IP) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.joinInfo == nil {
		return nil, nil
	}
	return ep.joinInfo.gw, ep.joinInfo.gw6
}

// priority is the join priority (JoinOptionPriority) of a joined endpoint.
func (ep *endpoint) priority() int {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.joinInfo == nil {
		return 0
	}
	return ep.joinInfo.priority
}

func (ep *endpoint) processOptions(options ...EndpointOption) {
	for _, opt := range options {
		if opt != nil {
			opt(ep)
		}
	}
}

func (ep *endpoint) setOptErr(err error) {
	if ep.optErr == nil {
		ep.optErr = err
	}
}
