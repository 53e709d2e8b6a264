package remote

import (
	"net"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/remote/api"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// Join asks the plugin to join endpoint eid to the sandbox at sboxKey and
// hands its answer to jinfo: the link it made (moved into the sandbox and
// renamed with the prefix by the controller), gateways, static routes.
// An answer that cannot be used makes the plugin leave again.
func (d *driver) Join(nid, eid string, sboxKey string, jinfo driverapi.JoinInfo, options map[string]interface{}) (err error) {
	req := &api.JoinRequest{NetworkID: nid, EndpointID: eid, SandboxKey: sboxKey, Options: options}
	var res api.JoinResponse
	if err := d.call("Join", req, &res); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			if lerr := d.Leave(nid, eid); lerr != nil {
				logrus.WithFields(logrus.Fields{"plugin": d.name, "eid": eid}).WithError(lerr).Warn("undo join")
			}
		}
	}()
	bad := func(what, v string, cause error) error {
		return types.BadRequestErrorf("plugin %q: NetworkDriver.Join of endpoint %s: bad %s %q: %w", d.name, eid, what, v, cause)
	}
	if n := res.InterfaceName; n != nil {
		if iface := jinfo.InterfaceName(); iface != nil {
			if err := iface.SetNames(n.SrcName, n.DstPrefix); err != nil {
				return bad("InterfaceName", n.SrcName+"/"+n.DstPrefix, err)
			}
		}
	}
	if res.Gateway != "" {
		ip := net.ParseIP(res.Gateway)
		if ip == nil || ip.To4() == nil {
			return bad("Gateway", res.Gateway, types.BadRequestErrorf("not an IPv4 address"))
		}
		if err := jinfo.SetGateway(ip); err != nil {
			return bad("Gateway", res.Gateway, err)
		}
	}
	if res.GatewayIPv6 != "" {
		ip := net.ParseIP(res.GatewayIPv6)
		if ip == nil || ip.To4() != nil {
			return bad("GatewayIPv6", res.GatewayIPv6, types.BadRequestErrorf("not an IPv6 address"))
		}
		if err := jinfo.SetGatewayIPv6(ip); err != nil {
			return bad("GatewayIPv6", res.GatewayIPv6, err)
		}
	}
	for _, r := range res.StaticRoutes {
		_, dst, err := net.ParseCIDR(r.Destination)
		if err != nil {
			return bad("StaticRoutes Destination", r.Destination, err)
		}
		var hop net.IP
		switch r.RouteType {
		case types.NEXTHOP:
			if hop = net.ParseIP(r.NextHop); hop == nil {
				return bad("StaticRoutes NextHop", r.NextHop, types.BadRequestErrorf("not an IP address"))
			}
		case types.CONNECTED:
		default:
			return bad("StaticRoutes RouteType", r.Destination, types.BadRequestErrorf("route type %d: want %d (next hop) or %d (connected)", r.RouteType, types.NEXTHOP, types.CONNECTED))
		}
		if err := jinfo.AddStaticRoute(dst, r.RouteType, hop); err != nil {
			return bad("StaticRoutes", r.Destination, err)
		}
	}
	if res.DisableGatewayService {
		jinfo.DisableGatewayService()
	}
	return nil
}
