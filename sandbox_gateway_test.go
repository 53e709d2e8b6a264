package libnetwork

import (
	"net"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

// TestNeedsGateway: the rule that gives a sandbox an endpoint on the
// default gateway network, on the endpoints' join info alone.
func TestNeedsGateway(t *testing.T) {
	gw := net.ParseIP("10.0.0.1")
	_, any4, _ := net.ParseCIDR("0.0.0.0/0")
	_, some, _ := net.ParseCIDR("10.1.0.0/16")
	type epSpec struct {
		netType  string
		internal bool
		gwBridge bool
		info     *endpointJoinInfo
	}
	noWayOut := epSpec{netType: "overlay", info: &endpointJoinInfo{}}
	for _, tt := range []struct {
		name string
		def  bool // OptionUseDefaultSandbox
		eps  []epSpec
		want bool
	}{
		{"no endpoint", false, nil, false},
		{"overlay only", false, []epSpec{noWayOut}, true},
		{"two overlays", false, []epSpec{noWayOut, noWayOut}, true},
		{"overlay with its gateway endpoint", false, []epSpec{noWayOut, {netType: "bridge", gwBridge: true, info: &endpointJoinInfo{gw: gw}}}, true},
		{"overlay and a bridge with a gateway", false, []epSpec{noWayOut, {netType: "bridge", info: &endpointJoinInfo{gw: gw}}}, false},
		{"overlay and an IPv6 gateway", false, []epSpec{noWayOut, {netType: "bridge", info: &endpointJoinInfo{gw6: net.ParseIP("fd00::1")}}}, false},
		{"overlay and a default static route", false, []epSpec{noWayOut, {netType: "remote", info: &endpointJoinInfo{staticRoutes: []*types.StaticRoute{{Destination: any4, RouteType: types.NEXTHOP, NextHop: gw}}}}}, false},
		{"a static route that is not the default", false, []epSpec{{netType: "remote", info: &endpointJoinInfo{staticRoutes: []*types.StaticRoute{{Destination: some, RouteType: types.NEXTHOP, NextHop: gw}}}}}, true},
		{"gateway service disabled", false, []epSpec{{netType: "remote", info: &endpointJoinInfo{disableGatewayService: true}}}, false},
		{"internal only", false, []epSpec{{netType: "bridge", internal: true, info: &endpointJoinInfo{}}}, false},
		{"internal and overlay", false, []epSpec{{netType: "bridge", internal: true, info: &endpointJoinInfo{}}, noWayOut}, true},
		{"null", false, []epSpec{{netType: "null", info: &endpointJoinInfo{}}}, false},
		{"host", true, []epSpec{{netType: "host", info: &endpointJoinInfo{}}}, false},
		{"default sandbox on overlay", true, []epSpec{noWayOut}, false},
		{"no join info (stale)", false, []epSpec{{netType: "overlay"}}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sb := &sandbox{id: "sb"}
			sb.config.useDefaultSandbox = tt.def
			for i, s := range tt.eps {
				n := &network{name: string(rune('a' + i)), networkType: s.netType, internal: s.internal, gwBridge: s.gwBridge}
				sb.endpoints = append(sb.endpoints, &endpoint{network: n, id: n.name, joinInfo: s.info})
			}
			if got := sb.needsGateway(); got != tt.want {
				t.Fatalf("needsGateway = %v, want %v", got, tt.want)
			}
		})
	}
}
