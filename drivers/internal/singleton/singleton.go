// Package singleton is the driver behind the host and null drivers: one
// predefined network that cannot be deleted, endpoints that add nothing to
// their sandbox, and no external connectivity to program.
package singleton

import (
	"sync"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/types"
)

type driver struct {
	networkType string

	mu      sync.Mutex
	network string
}

// Register registers a driver of networkType with dc.
func Register(dc driverapi.DriverCallback, networkType string) error {
	return dc.RegisterDriver(networkType, &driver{networkType: networkType}, driverapi.Capability{DataScope: datastore.LocalScope})
}

func (d *driver) NetworkAllocate(id string, option map[string]string, ipV4Data, ipV6Data []driverapi.IPAMData) (map[string]string, error) {
	return nil, types.NotImplementedErrorf("network allocation is not supported by the %q driver", d.networkType)
}

func (d *driver) NetworkFree(id string) error {
	return types.NotImplementedErrorf("network free is not supported by the %q driver", d.networkType)
}

func (d *driver) EventNotify(etype driverapi.EventType, nid, tableName, key string, value []byte) {}

// CreateNetwork records the network; a second one is refused.
func (d *driver) CreateNetwork(id string, option map[string]interface{}, nInfo driverapi.NetworkInfo, ipV4Data, ipV6Data []driverapi.IPAMData) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.network != "" && d.network != id {
		return types.ForbiddenErrorf("only one instance of %q network is allowed", d.networkType)
	}
	d.network = id
	return nil
}

// DeleteNetwork refuses: the network is predefined.
func (d *driver) DeleteNetwork(nid string) error {
	return types.ForbiddenErrorf("network of type %q cannot be deleted", d.networkType)
}

func (d *driver) CreateEndpoint(nid, eid string, ifInfo driverapi.InterfaceInfo, epOptions map[string]interface{}) error {
	return nil
}

func (d *driver) DeleteEndpoint(nid, eid string) error { return nil }

func (d *driver) EndpointOperInfo(nid, eid string) (map[string]interface{}, error) {
	return make(map[string]interface{}), nil
}

// Join adds nothing to the sandbox.
func (d *driver) Join(nid, eid string, sboxKey string, jinfo driverapi.JoinInfo, options map[string]interface{}) error {
	return nil
}

func (d *driver) Leave(nid, eid string) error { return nil }

func (d *driver) ProgramExternalConnectivity(nid, eid string, options map[string]interface{}) error {
	return nil
}

func (d *driver) RevokeExternalConnectivity(nid, eid string) error { return nil }

func (d *driver) Type() string { return d.networkType }

func (d *driver) DiscoverNew(dType discoverapi.DiscoveryType, data interface{}) error { return nil }

func (d *driver) DiscoverDelete(dType discoverapi.DiscoveryType, data interface{}) error {
	return nil
}
