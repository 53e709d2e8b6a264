package libnetwork

import (
	"net"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/cnmkit/libnetwork/osl"
	"github.com/cnmkit/libnetwork/types"
)

// Sandbox provides the control over the network container entity. It is a one to one mapping with the container.
//
// For a runtime: the container's network namespace is the file at Key();
// its /etc/hosts and /etc/resolv.conf are the files the controller keeps
// up to date at OptionHostsPath and OptionResolvConfPath (default
// EXEC-ROOT/files/<sandbox ID>/hosts and .../resolv.conf), to be
// bind-mounted into the container; the resolv.conf names the embedded DNS
// server (127.0.0.11) on networks that have it.
type Sandbox interface {
	// ID returns the ID of the sandbox
	ID() string
	// Key returns the sandbox's key: the path of its network namespace
	// (a pinned nsfs file, EXEC-ROOT/netns/ and 12 characters of the
	// container ID), which a runtime gives the container (setns(2), or the
	// OCI spec's network namespace path). With OptionUseExternalKey the runtime makes the namespace and
	// SetKey binds it onto this path; the path does not change.
	Key() string
	// ContainerID returns the container id associated to this sandbox
	ContainerID() string
	// Labels returns the sandbox's labels
	Labels() map[string]interface{}
	// Statistics retrieves the interfaces' statistics for the sandbox
	Statistics() (map[string]*types.InterfaceStatistics, error)
	// Refresh leaves all the endpoints, resets and re-applies the options,
	// re-joins all the endpoints without destroying the osl sandbox
	Refresh(options ...SandboxOption) error
	// SetKey updates the Sandbox Key
	SetKey(key string) error
	// Rename changes the name of all attached Endpoints
	Rename(name string) error
	// Delete destroys this container after detaching it from all connected endpoints.
	Delete() error
	// Endpoints returns all the endpoints connected to the sandbox
	Endpoints() []Endpoint
	// ResolveName resolves a name to the IPv4 (iplen net.IPv4len) or IPv6
	// (net.IPv6len) addresses of an endpoint on the sandbox's networks; the
	// bool reports a name that exists without an address of that family.
	ResolveName(name string, iplen int) ([]net.IP, bool)
	// ResolveIP returns "name.network" of an endpoint address on the
	// sandbox's networks, or "".
	ResolveIP(ip string) string
}

// SandboxOption is an option setter function type used to pass various options to
// NewNetContainer method. The various setter functions of type SandboxOption are
// provided by libnetwork, they look like ContainerOptionXXXX(...)
type SandboxOption func(sb *sandbox)

// sandbox implements Sandbox. opMu serializes operations on the sandbox
// (join, leave, set key, refresh, rename, delete) and is held across
// driver and kernel work; mu guards the fields and is held only briefly.
type sandbox struct {
	ctrl        *controller
	id          string
	containerID string
	optErr      error

	opMu sync.Mutex

	mu        sync.Mutex
	config    containerConfig
	osSb      osl.Sandbox
	ownNS     bool        // the namespace was created by us (destroyed with the sandbox)
	endpoints []*endpoint // joined endpoints
	gwEp      *endpoint   // endpoint giving the default gateway and external connectivity
	pending   []osl.Interface
	// retiredMACs are the left macvlan links of pending (see retiredMACs).
	retiredMACs []retiredMAC
	reapArmed   bool
	inDelete    bool
	gwHold      bool // Refresh in progress: the gateway endpoint is left alone
	deleted     bool
	kv          kvMeta

	dns     sandboxDNS              // hosts file, resolv.conf and resolver
	dnsView atomic.Pointer[dnsView] // what name lookups search
}

func (sb *sandbox) ID() string          { return sb.id }
func (sb *sandbox) ContainerID() string { return sb.containerID }

// Key returns the path of the sandbox's namespace.
func (sb *sandbox) Key() string {
	sb.mu.Lock()
	def := sb.config.useDefaultSandbox
	sb.mu.Unlock()
	if def {
		return osl.GenerateKeyAt(sb.ctrl.execRoot(), "default")
	}
	return osl.GenerateKeyAt(sb.ctrl.execRoot(), sb.id)
}

// Labels returns a copy of the sandbox's generic options.
func (sb *sandbox) Labels() map[string]interface{} {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	opts := make(map[string]interface{}, len(sb.config.generic))
	for k, v := range sb.config.generic {
		opts[k] = v
	}
	return opts
}

// Statistics returns the counters of the sandbox's interfaces.
func (sb *sandbox) Statistics() (map[string]*types.InterfaceStatistics, error) {
	osSb := sb.osSandbox()
	if osSb == nil {
		return map[string]*types.InterfaceStatistics{}, nil
	}
	return osSb.Statistics()
}

// Endpoints returns the endpoints joined to the sandbox, gateway order
// first; its endpoint on the default gateway network is not among them
// (GatewayEndpoint returns it).
func (sb *sandbox) Endpoints() []Endpoint {
	eps := sb.userEndpoints()
	out := make([]Endpoint, 0, len(eps))
	for _, ep := range eps {
		out = append(out, ep)
	}
	return out
}

// userEndpoints returns sortedEndpoints without the gateway endpoint.
func (sb *sandbox) userEndpoints() []*endpoint {
	var out []*endpoint
	for _, ep := range sb.sortedEndpoints() {
		if !ep.network.gwBridge {
			out = append(out, ep)
		}
	}
	return out
}

func (sb *sandbox) osSandbox() osl.Sandbox {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.osSb
}

// sortedEndpoints returns the joined endpoints by join priority (highest
// first), then network name, then endpoint ID.
func (sb *sandbox) sortedEndpoints() []*endpoint {
	sb.mu.Lock()
	eps := append([]*endpoint(nil), sb.endpoints...)
	sb.mu.Unlock()
	type key struct {
		prio int
		net  string
	}
	keys := make(map[*endpoint]key, len(eps))
	for _, ep := range eps {
		keys[ep] = key{ep.priority(), ep.network.name}
	}
	sort.SliceStable(eps, func(i, j int) bool {
		ki, kj := keys[eps[i]], keys[eps[j]]
		if ki.prio != kj.prio {
			return ki.prio > kj.prio
		}
		if ki.net != kj.net {
			return ki.net < kj.net
		}
		return eps[i].id < eps[j].id
	})
	return eps
}

// gatewayEndpoint returns the endpoint that gives the sandbox its default
// gateway: the first, in priority order, that has one.
func (sb *sandbox) gatewayEndpoint() *endpoint {
	for _, ep := range sb.sortedEndpoints() {
		if ep.network.hasSpecialDriver() {
			continue
		}
		if gw, gw6 := ep.gateways(); gw != nil || gw6 != nil {
			return ep
		}
	}
	return nil
}

func (sb *sandbox) addEndpoint(ep *endpoint) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	sb.endpoints = append(sb.endpoints, ep)
}

func (sb *sandbox) removeEndpoint(ep *endpoint) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	for i, e := range sb.endpoints {
		if e == ep {
			sb.endpoints = append(sb.endpoints[:i], sb.endpoints[i+1:]...)
			return
		}
	}
}

// checkUsable refuses operations on a deleted sandbox; the caller holds opMu.
func (sb *sandbox) checkUsable() error {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.deleted {
		return types.NotFoundErrorf("sandbox %s (container %s) was deleted", sb.id, sb.containerID)
	}
	return nil
}
