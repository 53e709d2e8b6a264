// Package ovmanager is the manager side of overlay networks: a driver
// registered as "overlay" (global scope) that allocates each network's
// VXLAN IDs in NetworkAllocate and frees them in NetworkFree. The IDs it
// returns under netlabel.OverlayVxlanIDList are what drivers/overlay's
// CreateNetwork takes on every host. It has no data path: the other
// driver calls are not implemented.
package ovmanager

import (
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/internal/vxlanid"
	"github.com/cnmkit/libnetwork/types"
)

const networkType = "overlay"

type driver struct {
	alloc *vxlanid.Allocator
}

// Init registers the overlay manager driver with dc.
func Init(dc driverapi.DriverCallback, config map[string]interface{}) error {
	a, err := vxlanid.New("ovmanager")
	if err != nil {
		return err
	}
	return dc.RegisterDriver(networkType, &driver{alloc: a}, driverapi.Capability{DataScope: datastore.GlobalScope})
}

// NetworkAllocate reserves one VXLAN ID per segment of network id (those
// of options[netlabel.OverlayVxlanIDList] when given, else free ones from
// 4096 up) and returns options with the IDs under that key.
func (d *driver) NetworkAllocate(id string, options map[string]string, ipV4Data, ipV6Data []driverapi.IPAMData) (map[string]string, error) {
	return d.alloc.Allocate(id, options, ipV4Data, ipV6Data)
}

// NetworkFree releases the VXLAN IDs of network id.
func (d *driver) NetworkFree(id string) error { return d.alloc.Free(id) }

func notImplemented(call string) error {
	return types.NotImplementedErrorf("ovmanager: %s is not implemented by the overlay manager", call)
}

func (d *driver) CreateNetwork(id string, option map[string]interface{}, nInfo driverapi.NetworkInfo, ipV4Data, ipV6Data []driverapi.IPAMData) error {
	return notImplemented("CreateNetwork")
}

func (d *driver) DeleteNetwork(nid string) error { return notImplemented("DeleteNetwork") }

func (d *driver) CreateEndpoint(nid, eid string, ifInfo driverapi.InterfaceInfo, epOptions map[string]interface{}) error {
	return notImplemented("CreateEndpoint")
}

func (d *driver) DeleteEndpoint(nid, eid string) error { return notImplemented("DeleteEndpoint") }

func (d *driver) EndpointOperInfo(nid, eid string) (map[string]interface{}, error) {
	return nil, notImplemented("EndpointOperInfo")
}

func (d *driver) Join(nid, eid string, sboxKey string, jinfo driverapi.JoinInfo, options map[string]interface{}) error {
	return notImplemented("Join")
}

func (d *driver) Leave(nid, eid string) error { return notImplemented("Leave") }

func (d *driver) ProgramExternalConnectivity(nid, eid string, options map[string]interface{}) error {
	return notImplemented("ProgramExternalConnectivity")
}

func (d *driver) RevokeExternalConnectivity(nid, eid string) error {
	return notImplemented("RevokeExternalConnectivity")
}

func (d *driver) EventNotify(etype driverapi.EventType, nid, tableName, key string, value []byte) {}

func (d *driver) Type() string { return networkType }

func (d *driver) DiscoverNew(dType discoverapi.DiscoveryType, data interface{}) error { return nil }

func (d *driver) DiscoverDelete(dType discoverapi.DiscoveryType, data interface{}) error {
	return nil
}
