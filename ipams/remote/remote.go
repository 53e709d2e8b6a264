// Package remote is the IPAM driver of plugins speaking Docker's
// IpamDriver protocol: each plugin activated through the plugins registry
// becomes an IPAM driver registered under the plugin's name.
package remote

import (
	"net"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/ipams/remote/api"
	"github.com/cnmkit/libnetwork/plugins"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// PluginResponse is the part of every IPAM plugin answer.
type PluginResponse interface {
	IsSuccess() bool
	GetError() string
}

// Init makes every IpamDriver plugin that plugins.Default() activates an
// IPAM driver registered with cb (l and g, the stores, are not used:
// plugins keep their own state).
func Init(cb ipamapi.Callback, l, g interface{}) error {
	return InitWith(cb, plugins.Default())
}

// InitWith is Init on the plugins registry reg.
func InitWith(cb ipamapi.Callback, reg *plugins.Registry) error {
	if reg == nil {
		return types.BadRequestErrorf("remote IPAM: nil plugins registry")
	}
	reg.Handle(ipamapi.PluginEndpointType, func(name string, client *plugins.Client) error {
		a := &allocator{name: name, client: client}
		caps, err := a.getCapabilities()
		if err != nil {
			return err
		}
		if err := cb.RegisterIpamDriverWithCapabilities(name, a, caps); err != nil {
			return types.InternalErrorf("register IPAM plugin %q: %w", name, err)
		}
		return nil
	})
	return nil
}

// allocator forwards the ipamapi calls to one plugin.
type allocator struct {
	name   string
	client *plugins.Client
}

// call calls IpamDriver.method; an Error in the answer is an error.
func (a *allocator) call(method string, arg interface{}, ret PluginResponse) error {
	m := ipamapi.PluginEndpointType + "." + method
	if err := a.client.Call(m, arg, ret); err != nil {
		return err
	}
	if !ret.IsSuccess() {
		return plugins.Classify(&plugins.Error{Plugin: a.name, Method: m, Status: 200, Message: ret.GetError()})
	}
	return nil
}

// getCapabilities asks the plugin its capabilities; a plugin without
// the call gets the defaults, as in Docker.
func (a *allocator) getCapabilities() (*ipamapi.Capability, error) {
	var res api.GetCapabilityResponse
	if err := a.call("GetCapabilities", nil, &res); err != nil {
		if types.IsNotFound(err) {
			logrus.WithField("plugin", a.name).Info("IPAM plugin has no GetCapabilities: default capabilities")
			return &ipamapi.Capability{}, nil
		}
		return nil, err
	}
	return res.ToCapability(), nil
}

// GetDefaultAddressSpaces returns the plugin's local and global default
// address spaces.
func (a *allocator) GetDefaultAddressSpaces() (string, string, error) {
	var res api.GetAddressSpacesResponse
	if err := a.call("GetDefaultAddressSpaces", nil, &res); err != nil {
		return "", "", err
	}
	return res.LocalDefaultAddressSpace, res.GlobalDefaultAddressSpace, nil
}

// RequestPool asks the plugin for a pool.
func (a *allocator) RequestPool(addressSpace, pool, subPool string, options map[string]string, v6 bool) (string, *net.IPNet, map[string]string, error) {
	req := &api.RequestPoolRequest{AddressSpace: addressSpace, Pool: pool, SubPool: subPool, Options: options, V6: v6}
	var res api.RequestPoolResponse
	if err := a.call("RequestPool", req, &res); err != nil {
		return "", nil, nil, err
	}
	_, n, err := net.ParseCIDR(res.Pool)
	if err != nil || res.PoolID == "" || (n.IP.To4() == nil) != v6 {
		if err == nil {
			err = types.BadRequestErrorf("empty pool ID or pool of the wrong family")
		}
		// The pool is the plugin's: give it back.
		if res.PoolID != "" {
			if rerr := a.ReleasePool(res.PoolID); rerr != nil {
				logrus.WithFields(logrus.Fields{"plugin": a.name, "pool": res.PoolID}).WithError(rerr).Warn("release unusable pool")
			}
		}
		return "", nil, nil, types.BadRequestErrorf("plugin %q: IpamDriver.RequestPool: bad pool %q (ID %q): %w", a.name, res.Pool, res.PoolID, err)
	}
	return res.PoolID, n, res.Data, nil
}

// ReleasePool gives pool poolID back to the plugin.
func (a *allocator) ReleasePool(poolID string) error {
	return a.call("ReleasePool", &api.ReleasePoolRequest{PoolID: poolID}, &api.ReleasePoolResponse{})
}

// RequestAddress asks the plugin for address ip (nil: any) of pool poolID.
func (a *allocator) RequestAddress(poolID string, ip net.IP, options map[string]string) (*net.IPNet, map[string]string, error) {
	req := &api.RequestAddressRequest{PoolID: poolID, Options: options}
	if ip != nil {
		req.Address = ip.String()
	}
	var res api.RequestAddressResponse
	if err := a.call("RequestAddress", req, &res); err != nil {
		return nil, nil, err
	}
	if res.Address == "" {
		return nil, nil, types.NoServiceErrorf("plugin %q: IpamDriver.RequestAddress of pool %s: %w", a.name, poolID, ipamapi.ErrNoIPReturned)
	}
	addr, n, err := net.ParseCIDR(res.Address)
	if err != nil {
		// Ours to give back: the controller never saw it.
		if bare := net.ParseIP(res.Address); bare != nil {
			if rerr := a.ReleaseAddress(poolID, bare); rerr != nil {
				logrus.WithFields(logrus.Fields{"plugin": a.name, "pool": poolID}).WithError(rerr).Warn("release unusable address")
			}
		}
		return nil, nil, types.BadRequestErrorf("plugin %q: IpamDriver.RequestAddress of pool %s: bad address %q: %w", a.name, poolID, res.Address, err)
	}
	n.IP = addr
	return n, res.Data, nil
}

// ReleaseAddress gives address ip of pool poolID back to the plugin.
func (a *allocator) ReleaseAddress(poolID string, ip net.IP) error {
	req := &api.ReleaseAddressRequest{PoolID: poolID}
	if ip != nil {
		req.Address = ip.String()
	}
	return a.call("ReleaseAddress", req, &api.ReleaseAddressResponse{})
}

// DiscoverNew: IPAM plugins take no discovery events.
func (a *allocator) DiscoverNew(dType discoverapi.DiscoveryType, data interface{}) error { return nil }

// DiscoverDelete: IPAM plugins take no discovery events.
func (a *allocator) DiscoverDelete(dType discoverapi.DiscoveryType, data interface{}) error {
	return nil
}
