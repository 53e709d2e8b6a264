package libnetwork

import (
	"context"
	"net"
	"path/filepath"
	"strings"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drvregistry"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/plugins"
	"github.com/cnmkit/libnetwork/resolvconf"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netns"
)

// New creates a new instance of network controller. It opens the stores,
// registers the built-in drivers and restores the networks, endpoints and
// sandboxes of a previous controller on the same data dir: sandboxes not
// named in config.OptionActiveSandboxes (by sandbox or container ID) are
// removed with their endpoints, namespaces and addresses.
func New(cfgOptions ...config.Option) (NetworkController, error) {
	cfg := config.New(cfgOptions...)
	if err := cfg.Err(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.Daemon.ExecRoot) == "" || strings.TrimSpace(cfg.Daemon.DataDir) == "" {
		return nil, types.BadRequestErrorf("data dir %q and exec root %q must not be empty", cfg.Daemon.DataDir, cfg.Daemon.ExecRoot)
	}
	// Sandbox keys are absolute paths under the exec root.
	execRoot, err := filepath.Abs(cfg.Daemon.ExecRoot)
	if err != nil {
		return nil, types.BadRequestErrorf("exec root %q: %w", cfg.Daemon.ExecRoot, err)
	}
	cfg.Daemon.ExecRoot = execRoot
	if err := resolvconf.ValidateNameservers(cfg.Daemon.DNS.Fallback); err != nil {
		return nil, types.BadRequestErrorf("fallback DNS servers: %w", err)
	}
	if cfg.Daemon.DNS.ForwardTimeout < 0 {
		return nil, types.BadRequestErrorf("invalid DNS forward timeout %v: negative", cfg.Daemon.DNS.ForwardTimeout)
	}
	if err := prepareCluster(cfg); err != nil {
		return nil, err
	}
	hostNS, err := netns.Get()
	if err != nil {
		return nil, types.InternalErrorf("open the caller's network namespace: %w", err)
	}
	c := &controller{
		id:         generateID(),
		cfg:        cfg,
		hostNS:     hostNS,
		networks:   map[string]*network{},
		netNames:   map[string]string{},
		netIDs:     map[string]bool{},
		sandboxes:  map[string]*sandbox{},
		containers: map[string]string{},
	}
	if newTableBackend != nil {
		c.tables = newTableBackend()
	}
	if err := c.openHostPools(); err != nil {
		hostNS.Close()
		return nil, err
	}
	if err := c.initStores(); err != nil {
		c.closeHostPools()
		hostNS.Close()
		return nil, err
	}
	if err := c.openJournal(); err != nil {
		c.closeStores()
		c.closeHostPools()
		hostNS.Close()
		return nil, err
	}
	fail := func(err error) (NetworkController, error) {
		c.keyL.close()
		c.stopGlobalWatch()
		c.stopAgent()
		c.closeDrivers()
		c.closeStores()
		c.closeHostPools()
		hostNS.Close()
		return nil, err
	}
	// Not the seed's drvregistry.New(local, global, ...): the default IPAM
	// stays in memory with the configured pools and is rebuilt on restart
	// by request replay (initIPAMDrivers), so no address costs a disk write
	// and no second copy of the allocations can disagree with the
	// endpoints after a crash. With a cluster store its GlobalDefault
	// address space lives there, shared by every host.
	c.reg = drvregistry.NewEmpty(nil, nil)
	pc := cfg.Daemon.Plugins
	c.plugins = plugins.NewRegistry(plugins.Config{SocketDirs: pc.SocketDirs, SpecDirs: pc.SpecDirs,
		CallTimeout: pc.CallTimeout, ActivateTimeout: pc.ActivateTimeout, DialTCP: c.dialInHost})
	for _, i := range append(getInitializers(), extraDrivers...) {
		if err := c.reg.AddDriver(i.ntype, i.fn, c.makeDriverConfig(i.ntype)); err != nil {
			return fail(types.InternalErrorf("initialize %s driver: %w", i.ntype, err))
		}
	}
	if err := c.addConfiguredDrivers(); err != nil {
		return fail(err)
	}
	if err := initIPAMDrivers(c.reg, cfg, c.hostPoolFilter, c.plugins, c.sharedStore()); err != nil {
		return fail(err)
	}
	if err := c.startAgent(); err != nil {
		return fail(err)
	}
	if err := c.restore(); err != nil {
		return fail(err)
	}
	c.agentRestored()
	if c.sharedStore() != nil {
		c.reconcileCounts()
	}
	c.startGlobalWatch()
	if c.keyL, err = c.startExternalKeyListener(); err != nil {
		return fail(err)
	}
	if cfg.Daemon.CreateDefaultNetwork {
		if _, err := c.NetworkByName(cfg.Daemon.DefaultNetwork); err != nil {
			if _, err := c.NewNetwork(cfg.Daemon.DefaultDriver, cfg.Daemon.DefaultNetwork, "", defaultNetworkOptions(cfg)...); err != nil {
				c.Stop()
				return nil, err
			}
		}
	}
	logrus.WithFields(logrus.Fields{"controller": c.id, "networks": len(c.networks), "sandboxes": len(c.sandboxes)}).Debug("controller started")
	return c, nil
}

// makeDriverConfig returns the configuration of driver ntype: its daemon
// labels, its config.OptionDriverConfig map, the stores (as
// datastore.DataStore values under netlabel.LocalKVClient and
// netlabel.GlobalKVClient: the local boltdb file can be opened only once)
// and the host namespace under HostNetNSKey.
func (c *controller) makeDriverConfig(ntype string) map[string]interface{} {
	cfg := c.config()
	out := make(map[string]interface{})
	for _, label := range cfg.Daemon.Labels {
		if !strings.HasPrefix(netlabel.Key(label), netlabel.DriverPrefix+"."+ntype) {
			continue
		}
		out[netlabel.Key(label)] = netlabel.Value(label)
	}
	if dcfg, ok := cfg.Daemon.DriverCfg[ntype]; ok {
		if m, ok := dcfg.(map[string]interface{}); ok {
			for k, v := range m {
				out[k] = v
			}
		}
	}
	if s := c.getStore(datastore.LocalScope); s != nil {
		out[netlabel.LocalKVClient] = s
	}
	if s := c.getStore(datastore.GlobalScope); s != nil {
		out[netlabel.GlobalKVClient] = s
	}
	out[HostNetNSKey] = c.hostNS
	out[netlabel.ExecRoot] = cfg.Daemon.ExecRoot
	if c.plugins != nil {
		out[plugins.ConfigKey] = c.plugins
	}
	return out
}

// ReloadConfiguration applies cfgOptions on top of the current
// configuration. Existing stores cannot be changed or removed; a new global
// store is opened and announced to the drivers.
func (c *controller) ReloadConfiguration(cfgOptions ...config.Option) error {
	if err := c.checkRunning(); err != nil {
		return err
	}
	cur := c.Config()
	next := cur
	next.Scopes = make(map[string]*datastore.ScopeCfg, len(cur.Scopes))
	for k, v := range cur.Scopes {
		cp := *v
		next.Scopes[k] = &cp
	}
	next.Daemon.DriverCfg = make(map[string]interface{}, len(cur.Daemon.DriverCfg))
	for k, v := range cur.Daemon.DriverCfg {
		next.Daemon.DriverCfg[k] = v
	}
	next.Daemon.Labels = append([]string(nil), cur.Daemon.Labels...)
	next.ProcessOptions(cfgOptions...)
	if err := next.Err(); err != nil {
		return err
	}
	if next.Daemon.DataDir != cur.Daemon.DataDir || next.Daemon.ExecRoot != cur.Daemon.ExecRoot {
		return types.ForbiddenErrorf("cannot change the data dir (%q) or exec root (%q) of a running controller", cur.Daemon.DataDir, cur.Daemon.ExecRoot)
	}
	if err := c.checkClusterReload(cur.Cluster, &next.Cluster); err != nil {
		return err
	}
	var added []string
	for s, ncfg := range next.Scopes {
		ecfg, ok := cur.Scopes[s]
		if !ok {
			if ncfg.IsValid() {
				added = append(added, s)
			}
			continue
		}
		if ecfg.Client.Provider != ncfg.Client.Provider || ecfg.Client.Address != ncfg.Client.Address {
			return types.ForbiddenErrorf("cannot accept new configuration because it modifies the existing %s datastore client", s)
		}
	}
	for _, s := range added {
		ds, err := datastore.NewDataStore(s, next.Scopes[s])
		if err != nil {
			return err
		}
		c.storeMu.Lock()
		c.stores[s] = ds
		c.storeMu.Unlock()
	}
	if err := c.applyClusterReload(cur.Cluster, next.Cluster); err != nil {
		return err
	}
	c.mu.Lock()
	c.cfg = &next
	c.mu.Unlock()
	for _, s := range added {
		sc := next.Scopes[s]
		dsc := discoverapi.DatastoreConfigData{Scope: s, Provider: sc.Client.Provider, Address: sc.Client.Address, Config: sc.Client.Config}
		c.reg.WalkIPAMs(func(name string, d ipamapi.Ipam, _ *ipamapi.Capability) bool {
			if err := d.DiscoverNew(discoverapi.DatastoreConfig, dsc); err != nil {
				logrus.WithField("ipam", name).WithError(err).Warn("datastore announcement")
			}
			return false
		})
		c.reg.WalkDrivers(func(name string, d driverapi.Driver, _ driverapi.Capability) bool {
			if err := d.DiscoverNew(discoverapi.DatastoreConfig, dsc); err != nil {
				logrus.WithField("driver", name).WithError(err).Warn("datastore announcement")
			}
			return false
		})
	}
	return nil
}

// driverInitializer is a built-in network driver.
type driverInitializer struct {
	fn    drvregistry.InitFunc
	ntype string
}

// addConfiguredDrivers registers the drivers of config.OptionDriver.
func (c *controller) addConfiguredDrivers() error {
	for _, d := range c.cfg.Daemon.Drivers {
		switch {
		case strings.TrimSpace(d.Type) == "" || d.Init == nil:
			return types.BadRequestErrorf("config.OptionDriver: want a driver type and an init function, got %q", d.Type)
		case registered(c.reg, d.Type):
			return types.ForbiddenErrorf("config.OptionDriver %q: a driver of that type is already registered", d.Type)
		}
		if err := c.reg.AddDriver(d.Type, d.Init, c.makeDriverConfig(d.Type)); err != nil {
			return types.InternalErrorf("initialize %s driver: %w", d.Type, err)
		}
	}
	return nil
}

func registered(r *drvregistry.DrvRegistry, ntype string) bool {
	d, _ := r.Driver(ntype)
	return d != nil
}

// extraDrivers are registered by New after the built-in drivers (tests set
// it to add drivers of their own before a controller restores its state).
var extraDrivers []driverInitializer

// dialInHost opens a TCP connection from the controller's host namespace
// (TCP plugins listen there, whatever thread calls them).
func (c *controller) dialInHost(ctx context.Context, network, addr string) (conn net.Conn, err error) {
	var d net.Dialer
	err = ns.WithNetNS(c.hostNS, func() error {
		conn, err = d.DialContext(ctx, network, addr)
		return err
	})
	return conn, err
}
