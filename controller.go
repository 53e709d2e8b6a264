package libnetwork

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cnmkit/libnetwork/internal/journal"
	"github.com/cnmkit/libnetwork/internal/opstats"
	"github.com/cnmkit/libnetwork/resolver"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drvregistry"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/osl"
	"github.com/cnmkit/libnetwork/plugins"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// HostNetNSKey is the key, in a driver's configuration map, of the
// netns.NsHandle of the controller's host namespace. Drivers do their work
// for the host side through handles for it, never through the namespace of
// whatever thread they run on. The handle stays owned by the controller.
const HostNetNSKey = netlabel.HostNetNS

// NetworkController provides the interface for controller instance which
// manages networks.
type NetworkController interface {
	// ID provides a unique identity for the controller.
	ID() string

	// Config returns the bootup configuration for the controller.
	Config() config.Config

	// NewNetwork creates a new network of the specified network type. The
	// options are network specific and modeled in a generic way.
	NewNetwork(networkType, name string, id string, options ...NetworkOption) (Network, error)

	// Networks returns the list of Network(s) managed by this controller.
	Networks() []Network

	// WalkNetworks uses the provided function to walk the Network(s)
	// managed by this controller.
	WalkNetworks(walker NetworkWalker)

	// NetworkByName returns the Network which has the passed name. If not
	// found, the error ErrNoSuchNetwork is returned.
	NetworkByName(name string) (Network, error)

	// NetworkByID returns the Network which has the passed id. If not
	// found, the error ErrNoSuchNetwork is returned.
	NetworkByID(id string) (Network, error)

	// NewSandbox creates a new network sandbox for the passed container id.
	NewSandbox(containerID string, options ...SandboxOption) (Sandbox, error)

	// Sandboxes returns the list of Sandbox(s) managed by this controller.
	Sandboxes() []Sandbox

	// WalkSandboxes uses the provided function to walk the Sandbox(s)
	// managed by this controller.
	WalkSandboxes(walker SandboxWalker)

	// SandboxByID returns the Sandbox which has the passed id. If not found,
	// a types.NotFoundError is returned.
	SandboxByID(id string) (Sandbox, error)

	// SandboxDestroy destroys the sandbox of the given container id; a
	// missing sandbox is not an error.
	SandboxDestroy(id string) error

	// Stop network controller.
	Stop()

	// ReloadConfiguration updates the controller configuration.
	ReloadConfiguration(cfgOptions ...config.Option) error
}

// NetworkWalker is a client provided function which will be used to walk the
// Networks. When the function returns true, the walk will stop.
type NetworkWalker func(nw Network) bool

// SandboxWalker is a client provided function which will be used to walk the
// Sandboxes. When the function returns true, the walk will stop.
type SandboxWalker func(sb Sandbox) bool

// controller is the NetworkController. Its mutex guards only the registries
// (maps); no kernel work or store I/O happens under it.
type controller struct {
	id     string
	hostNS netns.NsHandle
	reg    *drvregistry.DrvRegistry
	// plugins finds the remote drivers' plugins (config.OptionPluginDirs)
	plugins *plugins.Registry
	// stores by scope; set in New (global may be added by ReloadConfiguration)
	storeMu sync.RWMutex
	stores  map[string]datastore.DataStore
	tables  tableBackend
	// journal records the operations in flight (intent.go)
	journal *journal.Journal
	agent   *agent // gossip agent (agent.go); nil without a cluster
	keyL    *externalKeyListener
	// hostNL reads the host namespace for the default IPAM's pool filter
	// (pool_filter.go); nil once stopped. Guarded by hostNLMu.
	hostNLMu sync.Mutex
	hostNL   *netlink.Handle
	// gwMu serializes the creation and removal of the default gateway
	// network with the creation of endpoints on it (gateway_network.go).
	gwMu      sync.Mutex
	gwStopped bool           // under gwMu: no more background removals
	gwWG      sync.WaitGroup // background removals of the gateway network
	// global holds the cluster-store state (global_store.go): the watch
	// of the networks and the cluster's VXLAN IDs.
	global globalState

	mu         sync.RWMutex
	cfg        *config.Config
	networks   map[string]*network // by ID, committed only
	netNames   map[string]string   // name -> ID, including networks being created
	netIDs     map[string]bool     // IDs in use or being created
	sandboxes  map[string]*sandbox // by ID
	containers map[string]string   // container ID -> sandbox ID, including sandboxes being created
	// ops counts the API operations; dnsStats the queries of every
	// sandbox's embedded DNS server (metrics.go).
	ops      opstats.Recorder
	dnsStats resolver.Stats
	// peerHosts counts the registered sandboxes with OptionHostsPeers.
	peerHosts atomic.Int32
	stopped   bool

	defSbox defaultSandbox
}

// defaultSandbox is the OS sandbox of the host namespace, shared by every
// sandbox made with OptionUseDefaultSandbox and pinned while any exists.
type defaultSandbox struct {
	mu   sync.Mutex
	osSb osl.Sandbox
	refs int
}

// ID returns the controller's unique identity.
func (c *controller) ID() string { return c.id }

// Config returns a copy of the controller's configuration.
func (c *controller) Config() config.Config {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.cfg == nil {
		return config.Config{}
	}
	return *c.cfg
}

func (c *controller) config() *config.Config {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.cfg
}

func (c *controller) execRoot() string { return c.config().Daemon.ExecRoot }

// checkRunning refuses work on a stopped controller.
func (c *controller) checkRunning() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.stopped {
		return types.NoServiceErrorf("network controller %s is stopped", c.id)
	}
	return nil
}

// driver returns the network driver named networkType and its capability.
// A driver not registered is looked for as a plugin, and registered.
func (c *controller) driver(networkType string) (driverapi.Driver, driverapi.Capability, error) {
	d, cap := c.reg.Driver(networkType)
	if d == nil {
		if err := c.loadPlugin(networkType, driverapi.NetworkPluginEndpointType); err != nil {
			if types.IsNotFound(err) {
				return nil, driverapi.Capability{}, fmt.Errorf("%w: %w", NetworkTypeError(networkType), err)
			}
			return nil, driverapi.Capability{}, err
		}
		if d, cap = c.reg.Driver(networkType); d == nil {
			return nil, driverapi.Capability{}, NetworkTypeError(networkType)
		}
	}
	return d, *cap, nil
}

// ipamDriver returns the IPAM driver named name and its capability. A
// driver not registered is looked for as a plugin, and registered.
func (c *controller) ipamDriver(name string) (ipamapi.Ipam, *ipamapi.Capability, error) {
	d, cap := c.reg.IPAM(name)
	if d == nil {
		if err := c.loadPlugin(name, ipamapi.PluginEndpointType); err != nil {
			return nil, nil, types.BadRequestErrorf("invalid IPAM driver %q: %w", name, err)
		}
		if d, cap = c.reg.IPAM(name); d == nil {
			return nil, nil, types.BadRequestErrorf("invalid IPAM driver %q: not registered", name)
		}
	}
	if cap == nil {
		cap = &ipamapi.Capability{}
	}
	return d, cap, nil
}

// Stop releases what the controller holds (stores, namespace handles, and
// the resources of drivers that have a Close method) without deleting
// networks, endpoints or sandboxes: a new controller on the same data dir
// finds them again.
func (c *controller) Stop() {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	c.stopped = true
	sbs := make([]*sandbox, 0, len(c.sandboxes))
	for _, sb := range c.sandboxes {
		sbs = append(sbs, sb)
	}
	c.mu.Unlock()
	c.stopGatewayRemovals()

	c.keyL.close()
	c.stopGlobalWatch()
	c.stopAgent()
	for _, sb := range sbs {
		sb.release()
	}
	c.defSbox.mu.Lock()
	if c.defSbox.osSb != nil {
		closeOSSandbox(c.defSbox.osSb)
		c.defSbox.osSb = nil
	}
	c.defSbox.mu.Unlock()
	c.closeDrivers()
	c.closeStores()
	c.closeHostPools()
	if c.hostNS.IsOpen() {
		c.hostNS.Close()
	}
	logrus.WithField("controller", c.id).Debug("controller stopped")
}

// closeOSSandbox releases an OS sandbox's handles without unpinning its
// namespace, when the osl implementation offers it.
func closeOSSandbox(s osl.Sandbox) {
	switch cl := s.(type) {
	case interface{ Close() error }:
		_ = cl.Close()
	case interface{ Close() }:
		cl.Close()
	}
}

// closeDrivers lets drivers that hold resources of their own (handles,
// sockets) release them; none deletes user objects.
func (c *controller) closeDrivers() {
	if c.reg == nil {
		return
	}
	c.reg.WalkDrivers(func(name string, d driverapi.Driver, _ driverapi.Capability) bool {
		switch cl := d.(type) {
		case interface{ Close() error }:
			if err := cl.Close(); err != nil {
				logrus.WithField("driver", name).WithError(err).Warn("close driver")
			}
		case interface{ Close() }:
			cl.Close()
		}
		return false
	})
}

// loadPlugin activates plugin name for kind (NetworkDriver or IpamDriver);
// the remote drivers' handlers register it in c.reg.
func (c *controller) loadPlugin(name, kind string) error {
	if c.plugins == nil {
		return types.NotFoundErrorf("%s %q is not registered and plugins are not enabled", kind, name)
	}
	_, err := c.plugins.Get(name, kind)
	return err
}
