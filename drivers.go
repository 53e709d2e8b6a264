package libnetwork

import (
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/drivers/bridge"
	"github.com/cnmkit/libnetwork/drivers/host"
	"github.com/cnmkit/libnetwork/drivers/ipvlan"
	"github.com/cnmkit/libnetwork/drivers/macvlan"
	"github.com/cnmkit/libnetwork/drivers/null"
	"github.com/cnmkit/libnetwork/drivers/overlay"
	"github.com/cnmkit/libnetwork/drivers/remote"
	"github.com/cnmkit/libnetwork/drvregistry"
	"github.com/cnmkit/libnetwork/ipam"
	"github.com/cnmkit/libnetwork/ipamapi"
	nullIpam "github.com/cnmkit/libnetwork/ipams/null"
	remoteIpam "github.com/cnmkit/libnetwork/ipams/remote"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/plugins"
	"github.com/cnmkit/libnetwork/types"
)

// getInitializers returns the built-in network drivers.
func getInitializers() []driverInitializer {
	return []driverInitializer{
		{bridge.Init, "bridge"},
		{host.Init, "host"},
		{ipvlan.Init, "ipvlan"},
		{macvlan.Init, "macvlan"},
		{null.Init, "null"},
		{overlay.Init, "overlay"},
		{remote.Init, "remote"},
	}
}

// initIPAMDrivers registers the built-in IPAM drivers: the default
// allocator (with the configured address pools and filter as its pool
// filter), the null one and the remote (plugin) one. With a cluster store
// (shared, non-nil), the allocator's GlobalDefault address space lives in
// it.
func initIPAMDrivers(r *drvregistry.DrvRegistry, cfg *config.Config, filter ipam.PoolFilter, pr *plugins.Registry, shared datastore.DataStore) error {
	var (
		a   *ipam.Allocator
		err error
	)
	if shared != nil {
		a, err = ipam.NewAllocatorWithGlobalStore(shared, cfg.Daemon.DefaultAddressPools, cfg.Daemon.GlobalAddressPools)
	} else {
		a, err = ipam.NewAllocatorWithPools(cfg.Daemon.DefaultAddressPools, cfg.Daemon.GlobalAddressPools)
	}
	if err != nil {
		return types.InternalErrorf("initialize default IPAM driver: %w", err)
	}
	a.SetPoolFilter(filter)
	if err := r.RegisterIpamDriverWithCapabilities(ipamapi.DefaultIPAM, a, a.Capability()); err != nil {
		return types.InternalErrorf("initialize default IPAM driver: %w", err)
	}
	if err := nullIpam.Init(r, nil, nil); err != nil {
		return types.InternalErrorf("initialize null IPAM driver: %w", err)
	}
	if err := remoteIpam.InitWith(r, pr); err != nil {
		return types.InternalErrorf("initialize remote IPAM driver: %w", err)
	}
	return nil
}

// defaultNetworkOptions are the options of the default network the
// controller creates: with the bridge driver it is the default bridge.
func defaultNetworkOptions(cfg *config.Config) []NetworkOption {
	if cfg.Daemon.DefaultDriver != "bridge" {
		return nil
	}
	return []NetworkOption{NetworkOptionGeneric(map[string]interface{}{
		netlabel.GenericData: map[string]string{bridge.DefaultBridge: "true"},
	})}
}
