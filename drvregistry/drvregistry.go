// Package drvregistry keeps the network and IPAM drivers by name with their
// capabilities. New registers the built-in IPAM drivers itself, so the
// package sits above ipams/builtin and ipams/null.
package drvregistry

import (
	"strings"
	"sync"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/ipams/builtin"
	nullIpam "github.com/cnmkit/libnetwork/ipams/null"
	"github.com/cnmkit/libnetwork/types"
)

// InitFunc initialises a driver and registers it through the callback.
type InitFunc func(dc driverapi.DriverCallback, config map[string]interface{}) error

// DriverWalkFunc is called for each network driver; true stops the walk.
type DriverWalkFunc func(name string, driver driverapi.Driver, capability driverapi.Capability) bool

// IPAMWalkFunc is called for each IPAM driver; true stops the walk.
type IPAMWalkFunc func(name string, driver ipamapi.Ipam, cap *ipamapi.Capability) bool

// DriverNotifyFunc is called when a network driver registers.
type DriverNotifyFunc func(name string, driver driverapi.Driver, capability driverapi.Capability) error

// IPAMNotifyFunc is called when an IPAM driver registers.
type IPAMNotifyFunc func(name string, driver ipamapi.Ipam, cap *ipamapi.Capability) error

type driverData struct {
	driver     driverapi.Driver
	capability driverapi.Capability
}

type ipamData struct {
	driver     ipamapi.Ipam
	capability *ipamapi.Capability
	// default address spaces, read once at registration
	defaultLocal, defaultGlobal string
}

// DrvRegistry holds registered network and IPAM drivers. Its Mutex guards
// the tables; the methods take it themselves.
type DrvRegistry struct {
	sync.Mutex
	drivers     map[string]*driverData
	ipamDrivers map[string]*ipamData
	dfn         DriverNotifyFunc
	ifn         IPAMNotifyFunc
}

// New returns a registry holding the built-in IPAM drivers: the default
// one (ipams/builtin, its address spaces in the local store lDs and the
// global store gDs, each a datastore.DataStore or nil) and the null one.
// dfn and ifn, when not nil, are told of each registration, the built-in
// IPAM drivers' included, and may refuse it by returning an error.
func New(lDs, gDs interface{}, dfn DriverNotifyFunc, ifn IPAMNotifyFunc) (*DrvRegistry, error) {
	r := NewEmpty(dfn, ifn)
	if err := builtin.Init(r, lDs, gDs); err != nil {
		return nil, types.InternalErrorf("register the default IPAM driver: %w", err)
	}
	if err := nullIpam.Init(r, lDs, gDs); err != nil {
		return nil, types.InternalErrorf("register the null IPAM driver: %w", err)
	}
	return r, nil
}

// NewEmpty returns a registry with no driver; dfn and ifn, when not nil,
// are told of each registration and may refuse it by returning an error.
func NewEmpty(dfn DriverNotifyFunc, ifn IPAMNotifyFunc) *DrvRegistry {
	return &DrvRegistry{
		drivers:     map[string]*driverData{},
		ipamDrivers: map[string]*ipamData{},
		dfn:         dfn,
		ifn:         ifn,
	}
}

// AddDriver initialises a network driver with its config.
func (r *DrvRegistry) AddDriver(name string, fn InitFunc, config map[string]interface{}) error {
	return fn(r, config)
}

// WalkDrivers calls fn for each network driver until it returns true.
func (r *DrvRegistry) WalkDrivers(fn DriverWalkFunc) {
	r.Lock()
	list := make(map[string]driverData, len(r.drivers))
	for k, v := range r.drivers {
		list[k] = *v
	}
	r.Unlock()
	for name, d := range list {
		if fn(name, d.driver, d.capability) {
			return
		}
	}
}

// WalkIPAMs calls fn for each IPAM driver until it returns true.
func (r *DrvRegistry) WalkIPAMs(fn IPAMWalkFunc) {
	r.Lock()
	list := make(map[string]ipamData, len(r.ipamDrivers))
	for k, v := range r.ipamDrivers {
		list[k] = *v
	}
	r.Unlock()
	for name, d := range list {
		if fn(name, d.driver, d.capability) {
			return
		}
	}
}

// Driver returns the network driver registered as name, or nil.
func (r *DrvRegistry) Driver(name string) (driverapi.Driver, *driverapi.Capability) {
	r.Lock()
	defer r.Unlock()
	d, ok := r.drivers[name]
	if !ok {
		return nil, nil
	}
	c := d.capability
	return d.driver, &c
}

// IPAM returns the IPAM driver registered as name, or nil.
func (r *DrvRegistry) IPAM(name string) (ipamapi.Ipam, *ipamapi.Capability) {
	r.Lock()
	defer r.Unlock()
	d, ok := r.ipamDrivers[name]
	if !ok {
		return nil, nil
	}
	return d.driver, d.capability
}

// IPAMDefaultAddressSpaces returns the default local and global address
// spaces of the IPAM driver name.
func (r *DrvRegistry) IPAMDefaultAddressSpaces(name string) (string, string, error) {
	r.Lock()
	defer r.Unlock()
	d, ok := r.ipamDrivers[name]
	if !ok {
		return "", "", types.NotFoundErrorf("IPAM driver %q is not registered", name)
	}
	return d.defaultLocal, d.defaultGlobal, nil
}

// RegisterDriver registers a network driver.
func (r *DrvRegistry) RegisterDriver(name string, driver driverapi.Driver, capability driverapi.Capability) error {
	if strings.TrimSpace(name) == "" {
		return types.BadRequestErrorf("network driver name must not be empty")
	}
	if driver == nil {
		return types.BadRequestErrorf("network driver %q is nil", name)
	}
	r.Lock()
	defer r.Unlock()
	if _, ok := r.drivers[name]; ok {
		return types.ConflictErrorf("network driver %q is already registered", name)
	}
	if r.dfn != nil {
		if err := r.dfn(name, driver, capability); err != nil {
			return err
		}
	}
	r.drivers[name] = &driverData{driver: driver, capability: capability}
	return nil
}

// RegisterIpamDriver registers an IPAM driver with default capabilities.
func (r *DrvRegistry) RegisterIpamDriver(name string, driver ipamapi.Ipam) error {
	return r.RegisterIpamDriverWithCapabilities(name, driver, &ipamapi.Capability{})
}

// RegisterIpamDriverWithCapabilities registers an IPAM driver.
func (r *DrvRegistry) RegisterIpamDriverWithCapabilities(name string, driver ipamapi.Ipam, caps *ipamapi.Capability) error {
	if strings.TrimSpace(name) == "" {
		return types.BadRequestErrorf("IPAM driver name must not be empty")
	}
	if driver == nil {
		return types.BadRequestErrorf("IPAM driver %q is nil", name)
	}
	if caps == nil {
		caps = &ipamapi.Capability{}
	}
	local, global, err := driver.GetDefaultAddressSpaces()
	if err != nil {
		return types.InternalErrorf("IPAM driver %q: default address spaces: %w", name, err)
	}
	r.Lock()
	defer r.Unlock()
	if _, ok := r.ipamDrivers[name]; ok {
		return types.ConflictErrorf("IPAM driver %q is already registered", name)
	}
	if r.ifn != nil {
		if err := r.ifn(name, driver, caps); err != nil {
			return err
		}
	}
	r.ipamDrivers[name] = &ipamData{driver: driver, capability: caps, defaultLocal: local, defaultGlobal: global}
	return nil
}
