package lowerdrv

import (
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
)

var testKind = Kind{Name: "ipvlan", ModeOption: "ipvlan_mode", Modes: map[string]uint32{"l2": 0, "l3": 1, "l3s": 2},
	DefaultMode: "l2", Routed: map[string]bool{"l3": true, "l3s": true}, TmpPrefix: "cnmi"}

func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts map[string]interface{}
		want netConfig
		bad  string
	}{
		{"labels", map[string]interface{}{netlabel.GenericData: map[string]string{"parent": "eth0", "ipvlan_mode": "l3"}},
			netConfig{Parent: "eth0", Mode: "l3"}, ""},
		{"default mode", map[string]interface{}{netlabel.GenericData: map[string]string{"parent": "eth0.10"}},
			netConfig{Parent: "eth0.10", Mode: "l2"}, ""},
		{"generic", map[string]interface{}{netlabel.GenericData: options.Generic{"parent": "eth1", "ipvlan_mode": "l3s"}},
			netConfig{Parent: "eth1", Mode: "l3s"}, ""},
		{"unknown options ignored", map[string]interface{}{netlabel.GenericData: map[string]string{"parent": "eth1", "com.example.x": "y"}},
			netConfig{Parent: "eth1", Mode: "l2"}, ""},
		{"no parent: internal", map[string]interface{}{}, netConfig{Mode: "l2", Internal: true}, ""},
		{"internal drops the parent", map[string]interface{}{netlabel.GenericData: map[string]string{"parent": "eth1"}, netlabel.Internal: true},
			netConfig{Mode: "l2", Internal: true}, ""},
		{"unknown mode", map[string]interface{}{netlabel.GenericData: map[string]string{"parent": "eth0", "ipvlan_mode": "l4"}},
			netConfig{}, `unknown mode "l4" (want one of l2, l3, l3s)`},
		{"bad internal", map[string]interface{}{netlabel.Internal: "maybe"}, netConfig{}, netlabel.Internal},
		{"bad generic", map[string]interface{}{netlabel.GenericData: 7}, netConfig{}, "got int"},
	} {
		got, err := testKind.parseOptions(tc.opts)
		if tc.bad != "" {
			if !types.IsBadRequest(err) || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("%s: %v, want a BadRequest with %q", tc.name, err, tc.bad)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

func ipnet(t *testing.T, s string) *net.IPNet {
	t.Helper()
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	n.IP = ip
	return n
}

type recJoin struct {
	gw, gw6     net.IP
	routes      []string
	noGWService bool
}

func (j *recJoin) InterfaceName() driverapi.InterfaceNameInfo { return nil }
func (j *recJoin) SetGateway(ip net.IP) error                 { j.gw = ip; return nil }
func (j *recJoin) SetGatewayIPv6(ip net.IP) error             { j.gw6 = ip; return nil }
func (j *recJoin) AddStaticRoute(d *net.IPNet, typ int, nh net.IP) error {
	if typ != types.CONNECTED || nh != nil {
		return types.BadRequestErrorf("route %s: type %d via %s", d, typ, nh)
	}
	j.routes = append(j.routes, d.String())
	return nil
}
func (j *recJoin) DisableGatewayService()                     { j.noGWService = true }
func (j *recJoin) AddTableEntry(string, string, []byte) error { return nil }

// The gateways and routes of each mode, as Docker has them.
func TestSetRoutes(t *testing.T) {
	d := &Driver{kind: testKind}
	v4 := []subnet{{pool: ipnet(t, "10.1.0.0/24"), gw: net.ParseIP("10.1.0.1")}, {pool: ipnet(t, "10.2.0.0/24"), gw: net.ParseIP("10.2.0.254")}}
	v6 := []subnet{{pool: ipnet(t, "fd00:1::/64"), gw: net.ParseIP("fd00:1::1")}}
	ep := &endpoint{addr: ipnet(t, "10.2.0.5/24"), addr6: ipnet(t, "fd00:1::5/64")}
	for _, tc := range []struct {
		mode     string
		internal bool
		want     recJoin
	}{
		{"l2", false, recJoin{gw: net.ParseIP("10.2.0.254"), gw6: net.ParseIP("fd00:1::1")}},
		{"l3", false, recJoin{routes: []string{"0.0.0.0/0", "::/0"}, noGWService: true}},
		{"l3s", false, recJoin{routes: []string{"0.0.0.0/0", "::/0"}, noGWService: true}},
		{"l2", true, recJoin{}},
		{"l3", true, recJoin{}},
	} {
		n := &network{cfg: netConfig{Mode: tc.mode, Internal: tc.internal}, v4: v4, v6: v6}
		j := &recJoin{}
		if err := d.setRoutes(n, ep, j); err != nil {
			t.Fatal(err)
		}
		if !j.gw.Equal(tc.want.gw) || !j.gw6.Equal(tc.want.gw6) || strings.Join(j.routes, " ") != strings.Join(tc.want.routes, " ") ||
			j.noGWService != tc.want.noGWService {
			t.Errorf("%s internal=%t: %+v, want %+v", tc.mode, tc.internal, *j, tc.want)
		}
	}
}
