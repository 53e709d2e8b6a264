// Package remote is the network driver of plugins speaking Docker's
// NetworkDriver protocol: each plugin activated through the plugins
// registry becomes a driver registered under the plugin's name.
package remote

import (
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/remote/api"
	"github.com/cnmkit/libnetwork/plugins"
	"github.com/cnmkit/libnetwork/types"
)

// Init makes every plugin implementing NetworkDriver that the registry
// activates (config[plugins.ConfigKey], or plugins.Default()) a driver
// registered with dc under the plugin's name.
func Init(dc driverapi.DriverCallback, config map[string]interface{}) error {
	reg, _ := config[plugins.ConfigKey].(*plugins.Registry)
	if reg == nil {
		reg = plugins.Default()
	}
	reg.Handle(driverapi.NetworkPluginEndpointType, func(name string, client *plugins.Client) error {
		d := newDriver(name, client)
		c, err := d.getCapabilities()
		if err != nil {
			return err
		}
		if err := dc.RegisterDriver(name, d, *c); err != nil {
			return types.InternalErrorf("register network plugin %q: %w", name, err)
		}
		return nil
	})
	return nil
}

// driver forwards the driverapi calls to one plugin.
type driver struct {
	name   string
	client *plugins.Client
}

type response interface{ GetError() string }

func newDriver(name string, client *plugins.Client) *driver {
	return &driver{name: name, client: client}
}

// call calls NetworkDriver.method; an Err in the answer is an error.
func (d *driver) call(method string, arg interface{}, ret response) error {
	m := driverapi.NetworkPluginEndpointType + "." + method
	if err := d.client.Call(m, arg, ret); err != nil {
		return err
	}
	if e := ret.GetError(); e != "" {
		return plugins.Classify(&plugins.Error{Plugin: d.name, Method: m, Status: 200, Message: e})
	}
	return nil
}

// getCapabilities asks the plugin its scope: local or global.
func (d *driver) getCapabilities() (*driverapi.Capability, error) {
	var res api.GetCapabilityResponse
	if err := d.call("GetCapabilities", nil, &res); err != nil {
		return nil, err
	}
	switch res.Scope {
	case datastore.LocalScope, datastore.GlobalScope:
		return &driverapi.Capability{DataScope: res.Scope}, nil
	}
	return nil, types.BadRequestErrorf("plugin %q: NetworkDriver.GetCapabilities: invalid scope %q: want %q or %q",
		d.name, res.Scope, datastore.LocalScope, datastore.GlobalScope)
}

// Type returns the plugin's name.
func (d *driver) Type() string { return d.name }

// NetworkAllocate is not part of the plugin protocol.
func (d *driver) NetworkAllocate(id string, options map[string]string, ipV4Data, ipV6Data []driverapi.IPAMData) (map[string]string, error) {
	return nil, types.NotImplementedErrorf("network plugin %q: NetworkAllocate is not supported by remote drivers", d.name)
}

// NetworkFree is not part of the plugin protocol.
func (d *driver) NetworkFree(id string) error {
	return types.NotImplementedErrorf("network plugin %q: NetworkFree is not supported by remote drivers", d.name)
}

// CreateNetwork asks the plugin to create network id.
func (d *driver) CreateNetwork(id string, options map[string]interface{}, nInfo driverapi.NetworkInfo, ipV4Data, ipV6Data []driverapi.IPAMData) error {
	req := &api.CreateNetworkRequest{NetworkID: id, Options: options, IPv4Data: ipV4Data, IPv6Data: ipV6Data}
	return d.call("CreateNetwork", req, &api.CreateNetworkResponse{})
}

// DeleteNetwork asks the plugin to delete network nid.
func (d *driver) DeleteNetwork(nid string) error {
	return d.call("DeleteNetwork", &api.DeleteNetworkRequest{NetworkID: nid}, &api.DeleteNetworkResponse{})
}

// EndpointOperInfo returns the plugin's operational data of an endpoint.
func (d *driver) EndpointOperInfo(nid, eid string) (map[string]interface{}, error) {
	var res api.EndpointInfoResponse
	if err := d.call("EndpointOperInfo", &api.EndpointInfoRequest{NetworkID: nid, EndpointID: eid}, &res); err != nil {
		return nil, err
	}
	return res.Value, nil
}

// Leave asks the plugin to take endpoint eid out of its sandbox.
func (d *driver) Leave(nid, eid string) error {
	return d.call("Leave", &api.LeaveRequest{NetworkID: nid, EndpointID: eid}, &api.LeaveResponse{})
}

// ProgramExternalConnectivity asks the plugin to connect eid outside.
func (d *driver) ProgramExternalConnectivity(nid, eid string, options map[string]interface{}) error {
	req := &api.ProgramExternalConnectivityRequest{NetworkID: nid, EndpointID: eid, Options: options}
	return d.call("ProgramExternalConnectivity", req, &api.ProgramExternalConnectivityResponse{})
}

// RevokeExternalConnectivity asks the plugin to disconnect eid outside.
func (d *driver) RevokeExternalConnectivity(nid, eid string) error {
	req := &api.RevokeExternalConnectivityRequest{NetworkID: nid, EndpointID: eid}
	return d.call("RevokeExternalConnectivity", req, &api.RevokeExternalConnectivityResponse{})
}

// EventNotify: plugins take no table events.
func (d *driver) EventNotify(etype driverapi.EventType, nid, tableName, key string, value []byte) {}

// DiscoverNew tells the plugin of a node; other discoveries are not
// forwarded (their data is the controller's, not the plugin's).
func (d *driver) DiscoverNew(dType discoverapi.DiscoveryType, data interface{}) error {
	if dType != discoverapi.NodeDiscovery {
		return nil
	}
	return d.call("DiscoverNew", &api.DiscoveryNotification{DiscoveryType: dType, DiscoveryData: data}, &api.DiscoveryResponse{})
}

// DiscoverDelete tells the plugin a node left.
func (d *driver) DiscoverDelete(dType discoverapi.DiscoveryType, data interface{}) error {
	if dType != discoverapi.NodeDiscovery {
		return nil
	}
	return d.call("DiscoverDelete", &api.DiscoveryNotification{DiscoveryType: dType, DiscoveryData: data}, &api.DiscoveryResponse{})
}
