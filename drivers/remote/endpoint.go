package remote

import (
	"net"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/remote/api"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// CreateEndpoint asks the plugin to create endpoint eid with the
// interface the controller has; what the plugin fills in (addresses, MAC)
// goes to ifInfo. An answer that cannot be used deletes the endpoint in
// the plugin again.
func (d *driver) CreateEndpoint(nid, eid string, ifInfo driverapi.InterfaceInfo, epOptions map[string]interface{}) (err error) {
	var reqIface *api.EndpointInterface
	if ifInfo != nil {
		reqIface = &api.EndpointInterface{}
		if a := ifInfo.Address(); a != nil {
			reqIface.Address = a.String()
		}
		if a := ifInfo.AddressIPv6(); a != nil {
			reqIface.AddressIPv6 = a.String()
		}
		if m := ifInfo.MacAddress(); m != nil {
			reqIface.MacAddress = m.String()
		}
	}
	req := &api.CreateEndpointRequest{NetworkID: nid, EndpointID: eid, Interface: reqIface, Options: epOptions}
	var res api.CreateEndpointResponse
	if err := d.call("CreateEndpoint", req, &res); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			if derr := d.DeleteEndpoint(nid, eid); derr != nil {
				logrus.WithFields(logrus.Fields{"plugin": d.name, "eid": eid}).WithError(derr).Warn("undo create endpoint")
			}
		}
	}()
	in, err := parseInterface(d.name, res.Interface)
	if err != nil || in == nil {
		return err
	}
	if ifInfo == nil {
		return types.BadRequestErrorf("plugin %q: NetworkDriver.CreateEndpoint: answered an interface for endpoint %s, which takes none", d.name, eid)
	}
	if in.MacAddress != nil && reqIface.MacAddress != in.MacAddress.String() {
		if err := ifInfo.SetMacAddress(in.MacAddress); err != nil {
			return types.BadRequestErrorf("plugin %q: NetworkDriver.CreateEndpoint: MAC address %s: %w", d.name, in.MacAddress, err)
		}
	}
	if in.Address != nil && reqIface.Address != in.Address.String() {
		if err := ifInfo.SetIPAddress(in.Address); err != nil {
			return types.BadRequestErrorf("plugin %q: NetworkDriver.CreateEndpoint: address %s: %w", d.name, in.Address, err)
		}
	}
	if in.AddressIPv6 != nil && reqIface.AddressIPv6 != in.AddressIPv6.String() {
		if err := ifInfo.SetIPAddress(in.AddressIPv6); err != nil {
			return types.BadRequestErrorf("plugin %q: NetworkDriver.CreateEndpoint: IPv6 address %s: %w", d.name, in.AddressIPv6, err)
		}
	}
	return nil
}

// parseInterface decodes the wire interface (nil for none).
func parseInterface(plugin string, w *api.EndpointInterface) (*api.Interface, error) {
	if w == nil {
		return nil, nil
	}
	out := &api.Interface{}
	var err error
	if w.Address != "" {
		if out.Address, err = parseCIDR(w.Address, false); err != nil {
			return nil, types.BadRequestErrorf("plugin %q: NetworkDriver.CreateEndpoint: bad Address %q: %w", plugin, w.Address, err)
		}
	}
	if w.AddressIPv6 != "" {
		if out.AddressIPv6, err = parseCIDR(w.AddressIPv6, true); err != nil {
			return nil, types.BadRequestErrorf("plugin %q: NetworkDriver.CreateEndpoint: bad AddressIPv6 %q: %w", plugin, w.AddressIPv6, err)
		}
	}
	if w.MacAddress != "" {
		if out.MacAddress, err = net.ParseMAC(w.MacAddress); err != nil {
			return nil, types.BadRequestErrorf("plugin %q: NetworkDriver.CreateEndpoint: bad MacAddress %q: %w", plugin, w.MacAddress, err)
		}
	}
	if out.Address == nil && out.AddressIPv6 == nil && out.MacAddress == nil {
		return nil, nil
	}
	return out, nil
}

// parseCIDR reads an address with its prefix length (the address kept,
// not the network's).
func parseCIDR(s string, v6 bool) (*net.IPNet, error) {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		return nil, err
	}
	if (ip.To4() == nil) != v6 {
		return nil, types.BadRequestErrorf("address %q is of the wrong family", s)
	}
	n.IP = ip
	return n, nil
}

// DeleteEndpoint asks the plugin to delete endpoint eid.
func (d *driver) DeleteEndpoint(nid, eid string) error {
	return d.call("DeleteEndpoint", &api.DeleteEndpointRequest{NetworkID: nid, EndpointID: eid}, &api.DeleteEndpointResponse{})
}
