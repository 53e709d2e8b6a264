package libnetwork

import (
	"strings"
	"sync"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
)

// A Network represents a logical connectivity zone that containers may
// join using the Link method. A Network is managed by a specific driver.
type Network interface {
	// A user chosen name for this network.
	Name() string

	// A system generated id for this network.
	ID() string

	// The type of network, which corresponds to its managing driver.
	Type() string

	// Create a new endpoint to this network symbolically identified by the
	// specified unique name. The options parameter carries driver specific options.
	CreateEndpoint(name string, options ...EndpointOption) (Endpoint, error)

	// Delete the network.
	Delete() error

	// Endpoints returns the list of Endpoint(s) in this network.
	Endpoints() []Endpoint

	// WalkEndpoints uses the provided function to walk the Endpoints.
	WalkEndpoints(walker EndpointWalker)

	// EndpointByName returns the Endpoint which has the passed name. If not found, the error ErrNoSuchEndpoint is returned.
	EndpointByName(name string) (Endpoint, error)

	// EndpointByID returns the Endpoint which has the passed id. If not found, the error ErrNoSuchEndpoint is returned.
	EndpointByID(id string) (Endpoint, error)

	// Info returns certain operational data belonging to this network.
	Info() NetworkInfo
}

// NetworkInfo returns some configuration and operational information about the network.
type NetworkInfo interface {
	IpamConfig() (string, map[string]string, []*IpamConf, []*IpamConf)
	IpamInfo() ([]*IpamInfo, []*IpamInfo)
	DriverOptions() map[string]string
	Scope() string
	IPv6Enabled() bool
	Internal() bool
	Attachable() bool
	Labels() map[string]string
	Created() time.Time
}

// EndpointWalker is a client provided function which will be used to walk the Endpoints.
// When the function returns true, the walk will stop.
type EndpointWalker func(ep Endpoint) bool

// network implements Network, NetworkInfo and driverapi.NetworkInfo. The
// fields above mu are fixed once the network is created (or restored).
type network struct {
	ctrl        *controller
	id          string
	name        string
	networkType string
	scope       string
	ipamType    string
	addrSpace   string
	ipamOptions map[string]string
	ipamV4Cfg   []*IpamConf
	ipamV6Cfg   []*IpamConf
	ipamV4Info  []*IpamInfo
	ipamV6Info  []*IpamInfo
	enableIPv6  bool
	internal    bool
	postIPv6    bool // IPv6 address taken after the driver's CreateEndpoint
	attachable  bool
	persist     bool
	gwBridge    bool // the controller's default gateway network
	labels      map[string]string
	generic     map[string]interface{}
	created     time.Time
	optErr      error             // first invalid option, reported by NewNetwork
	poolRemap   map[string]string // pool IDs changed by the replay at restore
	claim       *claim            // cluster resources taken while being created (cluster store)

	mu        sync.Mutex
	endpoints map[string]*endpoint // by ID, committed only
	epNames   map[string]string    // name -> ID, including endpoints being created
	pending   int                  // endpoints being created
	deleting  bool
	deleted   bool
	tables    []string // tables registered by the driver (TableEventRegister)
	kv        kvMeta

	svc svcTable // service records of the joined endpoints (own lock)

	// countMu serialises this host's changes of the network's endpoint
	// count in the cluster store; count is its last known state.
	countMu sync.Mutex
	count   *epCountRecord
}

func (n *network) Name() string { return n.name }
func (n *network) ID() string   { return n.id }
func (n *network) Type() string { return n.networkType }

// Info returns the network's configuration and operational data.
func (n *network) Info() NetworkInfo { return n }

// IpamConfig returns the IPAM driver, its options and the v4 and v6 configurations.
func (n *network) IpamConfig() (string, map[string]string, []*IpamConf, []*IpamConf) {
	return n.ipamType, copyStringMap(n.ipamOptions), copyIpamConfs(n.ipamV4Cfg), copyIpamConfs(n.ipamV6Cfg)
}

// IpamInfo returns the pools allocated to the network.
func (n *network) IpamInfo() ([]*IpamInfo, []*IpamInfo) {
	return copyIpamInfos(n.ipamV4Info), copyIpamInfos(n.ipamV6Info)
}

// DriverOptions returns the driver options given with NetworkOptionDriverOpts
// (or in the generic options under netlabel.GenericData).
func (n *network) DriverOptions() map[string]string {
	out := map[string]string{}
	switch opts := n.generic[netlabel.GenericData].(type) {
	case map[string]string:
		for k, v := range opts {
			out[k] = v
		}
	case map[string]interface{}:
		for k, v := range opts {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
	}
	return out
}

func (n *network) Scope() string      { return n.scope }
func (n *network) IPv6Enabled() bool  { return n.enableIPv6 }
func (n *network) Internal() bool     { return n.internal }
func (n *network) Attachable() bool   { return n.attachable }
func (n *network) Created() time.Time { return n.created }

// Labels returns a copy of the network's labels.
func (n *network) Labels() map[string]string { return copyStringMap(n.labels) }

// TableEventRegister records that the driver wants events about tableName.
func (n *network) TableEventRegister(tableName string) error {
	if strings.TrimSpace(tableName) == "" {
		return types.BadRequestErrorf("table name must not be empty (network %s)", n.name)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, t := range n.tables {
		if t == tableName {
			return nil
		}
	}
	n.tables = append(n.tables, tableName)
	n.ctrl.agentTableRegistered(n.id, tableName)
	return nil
}

// driverTables returns the tables the driver registered for.
func (n *network) driverTables() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.tables...)
}

// hasSpecialDriver reports whether the network's driver takes no IPAM.
func (n *network) hasSpecialDriver() bool {
	return n.networkType == "host" || n.networkType == "null"
}

func (n *network) driver() (driverapi.Driver, error) {
	d, _, err := n.ctrl.driver(n.networkType)
	return d, err
}

// Endpoints returns the network's endpoints.
func (n *network) Endpoints() []Endpoint {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]Endpoint, 0, len(n.endpoints))
	for _, ep := range n.endpoints {
		out = append(out, ep)
	}
	return out
}

// WalkEndpoints calls walker for each endpoint until it returns true.
func (n *network) WalkEndpoints(walker EndpointWalker) {
	for _, ep := range n.Endpoints() {
		if walker(ep) {
			return
		}
	}
}

// EndpointByName returns the endpoint named name.
func (n *network) EndpointByName(name string) (Endpoint, error) {
	if name == "" {
		return nil, ErrInvalidName(name)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ep := range n.endpoints {
		if ep.Name() == name {
			return ep, nil
		}
	}
	return nil, ErrNoSuchEndpoint(name)
}

// EndpointByID returns the endpoint whose ID is id.
func (n *network) EndpointByID(id string) (Endpoint, error) {
	if id == "" {
		return nil, ErrInvalidID(id)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if ep, ok := n.endpoints[id]; ok {
		return ep, nil
	}
	return nil, ErrNoSuchEndpoint(id)
}

// storeScope is the scope of the store the network lives in.
func (n *network) storeScope() string {
	if n.scope == datastore.GlobalScope || n.scope == datastore.SwarmScope {
		return datastore.GlobalScope
	}
	return datastore.LocalScope
}

func copyStringMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
