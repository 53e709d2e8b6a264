// Package config holds the controller's configuration and its options.
package config

import (
	"net"
	"strings"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/docker/libkv/store"
	"github.com/sirupsen/logrus"
)

// Defaults chosen so that the SDK can run beside Docker on one host.
const (
	// DefaultDataDir holds the local store.
	DefaultDataDir = "/var/lib/cnmkit"
	// DefaultExecRoot holds run-time state: pinned namespaces, proxy records.
	DefaultExecRoot = "/run/cnmkit"
	// DefaultNetwork is the name of the default network.
	DefaultNetwork = "bridge"
	// DefaultDriver is the driver of the default network.
	DefaultDriver = "bridge"
)

// Config is the controller's configuration.
type Config struct {
	Daemon          DaemonCfg
	Cluster         ClusterCfg
	Scopes          map[string]*datastore.ScopeCfg
	ActiveSandboxes map[string]interface{}

	errs []error
}

// DaemonCfg is the host-local part of the configuration.
type DaemonCfg struct {
	Debug          bool
	DataDir        string
	ExecRoot       string
	DefaultNetwork string
	DefaultDriver  string
	// CreateDefaultNetwork makes the controller create the default network
	// (DefaultNetwork with DefaultDriver) at start when it does not exist.
	CreateDefaultNetwork bool
	Labels               []string
	DriverCfg            map[string]interface{}
	// DefaultAddressPools replaces the IPAM's predefined local pools.
	DefaultAddressPools []*net.IPNet
	// GlobalAddressPools replaces the IPAM's predefined global pools.
	GlobalAddressPools []*net.IPNet
	// DNS configures the sandboxes' resolv.conf and embedded DNS server.
	DNS DNSCfg
	// Plugins says where network and IPAM plugins are found.
	Plugins PluginCfg
	// Drivers are in-process network drivers (OptionDriver).
	Drivers []DriverInit
}

// ClusterCfg configures the gossip agent (multi-host networking); any
// field set starts it.
type ClusterCfg struct {
	// NodeName is this host's unique name in the cluster (default: the
	// host name). A restarted host keeps its name.
	NodeName string
	// BindAddr is the IP address the gossip listens on (default: all).
	BindAddr string
	// AdvertiseAddr is the IP address announced to the other hosts and
	// given to drivers as this host's address (default: BindAddr, or a
	// private address of the host when BindAddr is unspecified).
	AdvertiseAddr string
	// BindPort is the gossip TCP and UDP port (default 7947).
	BindPort int
	// Peers are hosts of the cluster to join ("ip" or "ip:port").
	Peers []string
	// Keys encrypt the gossip (16, 24 or 32 bytes each; the first one
	// encrypts). None: no encryption.
	Keys [][]byte
	// Address is the seed's name for this host's address in the cluster
	// (config.OptionDiscoveryAddress): the advertise address when
	// AdvertiseAddr is not set.
	Address string
	// Discovery names the peers to join, as a "nodes://ip:port,ip:port"
	// URL or a bare comma-separated list; they add to Peers.
	Discovery string
	// Heartbeat is how often, in seconds, a host alone in the cluster
	// looks again whether it must rejoin its peers (0: the default, 10 s).
	Heartbeat uint64
}

// Option sets a part of the configuration.
type Option func(c *Config)

// New returns the default configuration with opts applied; it is
// ParseConfigOptions.
func New(opts ...Option) *Config { return ParseConfigOptions(opts...) }

// ParseConfigOptions returns the default configuration with cfgOptions
// applied and the default store scopes filled in.
func ParseConfigOptions(cfgOptions ...Option) *Config {
	c := defaults()
	c.ProcessOptions(cfgOptions...)
	c.LoadDefaultScopes(c.Daemon.DataDir)
	return c
}

func defaults() *Config {
	return &Config{
		Daemon: DaemonCfg{
			DataDir:        DefaultDataDir,
			ExecRoot:       DefaultExecRoot,
			DefaultNetwork: DefaultNetwork,
			DefaultDriver:  DefaultDriver,
			DriverCfg:      map[string]interface{}{},
		},
		Scopes: map[string]*datastore.ScopeCfg{},
	}
}

// LoadDefaultScopes fills in the default store of each scope that has
// none configured (today the local boltdb file under dataDir).
func (c *Config) LoadDefaultScopes(dataDir string) {
	if c.Scopes == nil {
		c.Scopes = map[string]*datastore.ScopeCfg{}
	}
	for k, v := range datastore.DefaultScopes(dataDir) {
		if _, ok := c.Scopes[k]; !ok {
			c.Scopes[k] = v
		}
	}
}

// ProcessOptions applies opts to c.
func (c *Config) ProcessOptions(opts ...Option) {
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
}

// OptionDataDir sets the data directory (the local store lives there).
func OptionDataDir(dir string) Option {
	return func(c *Config) { c.Daemon.DataDir = dir }
}

// OptionExecRoot sets the run-time directory (pinned namespaces live there).
func OptionExecRoot(dir string) Option {
	return func(c *Config) { c.Daemon.ExecRoot = dir }
}

// OptionDefaultNetwork sets the name of the default network.
func OptionDefaultNetwork(name string) Option {
	return func(c *Config) { c.Daemon.DefaultNetwork = strings.TrimSpace(name) }
}

// OptionDefaultDriver sets the driver of the default network.
func OptionDefaultDriver(name string) Option {
	return func(c *Config) { c.Daemon.DefaultDriver = strings.TrimSpace(name) }
}

// OptionCreateDefaultNetwork asks the controller to create the default network.
func OptionCreateDefaultNetwork(create bool) Option {
	return func(c *Config) { c.Daemon.CreateDefaultNetwork = create }
}

// OptionDefaultAddressPoolConfig replaces the IPAM's predefined local pools.
func OptionDefaultAddressPoolConfig(pools []*net.IPNet) Option {
	return func(c *Config) { c.Daemon.DefaultAddressPools = pools }
}

// OptionGlobalAddressPoolConfig replaces the IPAM's predefined global pools.
func OptionGlobalAddressPoolConfig(pools []*net.IPNet) Option {
	return func(c *Config) { c.Daemon.GlobalAddressPools = pools }
}

// OptionDriverConfig sets the configuration of the driver networkType.
func OptionDriverConfig(networkType string, config map[string]interface{}) Option {
	return func(c *Config) { c.Daemon.DriverCfg[networkType] = config }
}

// OptionLabels sets the daemon labels ("key=value"), all of them; those
// under netlabel.DriverPrefix+"."+driver also go to that driver's config.
func OptionLabels(labels []string) Option {
	return func(c *Config) { c.Daemon.Labels = append([]string(nil), labels...) }
}

// OptionLocalKVProvider sets the local store's libkv provider.
func OptionLocalKVProvider(provider string) Option {
	return func(c *Config) { localScope(c).Client.Provider = strings.TrimSpace(provider) }
}

// OptionLocalKVProviderURL sets the local store's address.
func OptionLocalKVProviderURL(url string) Option {
	return func(c *Config) { localScope(c).Client.Address = strings.TrimSpace(url) }
}

// OptionLocalKVProviderConfig sets the local store's libkv config.
func OptionLocalKVProviderConfig(cfg *store.Config) Option {
	return func(c *Config) { localScope(c).Client.Config = cfg }
}

// OptionKVProvider sets the global store's libkv provider.
func OptionKVProvider(provider string) Option {
	return func(c *Config) { globalScope(c).Client.Provider = strings.TrimSpace(provider) }
}

// OptionKVProviderURL sets the global store's address.
func OptionKVProviderURL(url string) Option {
	return func(c *Config) { globalScope(c).Client.Address = strings.TrimSpace(url) }
}

// OptionKVConfig sets the global store's libkv config.
func OptionKVConfig(cfg *store.Config) Option {
	return func(c *Config) { globalScope(c).Client.Config = cfg }
}

// OptionActiveSandboxes names the sandboxes (by container ID) still alive at
// restart; the others are removed.
func OptionActiveSandboxes(sandboxes map[string]interface{}) Option {
	return func(c *Config) { c.ActiveSandboxes = sandboxes }
}

// OptionDebug turns on debug logging of the controller.
func OptionDebug(on bool) Option {
	return func(c *Config) {
		c.Daemon.Debug = on
		if on {
			logrus.SetLevel(logrus.DebugLevel)
		}
	}
}

// OptionCluster configures the gossip agent.
func OptionCluster(cl ClusterCfg) Option {
	return func(c *Config) { c.Cluster = cl }
}

// OptionDiscoveryAddress sets this host's address in the cluster
// (ClusterCfg.Address); it starts the gossip agent.
func OptionDiscoveryAddress(address string) Option {
	return func(c *Config) { c.Cluster.Address = strings.TrimSpace(address) }
}

func localScope(c *Config) *datastore.ScopeCfg {
	s, ok := c.Scopes[datastore.LocalScope]
	if !ok {
		s = &datastore.ScopeCfg{}
		c.Scopes[datastore.LocalScope] = s
	}
	return s
}

func globalScope(c *Config) *datastore.ScopeCfg {
	s, ok := c.Scopes[datastore.GlobalScope]
	if !ok {
		s = &datastore.ScopeCfg{}
		c.Scopes[datastore.GlobalScope] = s
	}
	return s
}
