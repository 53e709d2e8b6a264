package bridge

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
)

const testNID = "0123456789abcdef0123456789abcdef"

func TestParseNetworkOptionsDefaults(t *testing.T) {
	c, err := parseNetworkOptions(testNID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.BridgeName != "cnm-0123456789a" || !c.EnableICC || !c.EnableIPMasquerade || c.Mtu != 0 || c.Internal {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = parseNetworkOptions(testNID, netOpts(options.Generic{"DefaultBridge": true}))
	if err != nil {
		t.Fatal(err)
	}
	if c.BridgeName != DefaultBridgeName {
		t.Fatalf("default bridge name %q, want %q", c.BridgeName, DefaultBridgeName)
	}
	if strings.HasPrefix(c.BridgeName, "docker") || strings.HasPrefix(c.BridgeName, "br-") {
		t.Fatalf("bridge name %q collides with Docker's", c.BridgeName)
	}
}

func TestParseNetworkOptionsForms(t *testing.T) {
	want := networkConfiguration{ID: testNID, BridgeName: "brtest", EnableIPv6: true, EnableIPMasquerade: false,
		EnableICC: false, Mtu: 1400, DefaultBindingIP: net.ParseIP("10.0.0.5"), Internal: true,
		ContainerIfacePrefix: "ctr", HairpinMode: true}
	labels := map[string]string{
		BridgeName: "brtest", EnableIPMasquerade: "false", EnableICC: "false", MTU: "1400",
		DefaultBindingIP: "10.0.0.5", netlabel.ContainerIfacePrefix: "ctr", HairpinMode: "true",
		"com.docker.network.something.else": "ignored",
	}
	generic := options.Generic{
		"BridgeName": "brtest", "EnableIPMasquerade": false, "EnableICC": false, "Mtu": uint16(1400),
		"DefaultBindingIP": net.ParseIP("10.0.0.5"), "ContainerIfacePrefix": "ctr", "HairpinMode": true,
	}
	for name, g := range map[string]interface{}{"labels": labels, "generic": generic,
		"map": map[string]interface{}(generic)} {
		t.Run(name, func(t *testing.T) {
			opts := map[string]interface{}{netlabel.GenericData: g, netlabel.EnableIPv6: true, netlabel.Internal: true}
			c, err := parseNetworkOptions(testNID, opts)
			if err != nil {
				t.Fatal(err)
			}
			if c.BridgeName != want.BridgeName || c.EnableIPv6 != want.EnableIPv6 || c.EnableIPMasquerade != want.EnableIPMasquerade ||
				c.EnableICC != want.EnableICC || c.Mtu != want.Mtu || !c.DefaultBindingIP.Equal(want.DefaultBindingIP) ||
				c.Internal != want.Internal || c.ContainerIfacePrefix != want.ContainerIfacePrefix || c.HairpinMode != want.HairpinMode {
				t.Fatalf("got %+v\nwant %+v", c, want)
			}
		})
	}
}

func TestParseNetworkOptionsBad(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts map[string]interface{}
		want string // must appear in the message
	}{
		{"name too long", netOpts(options.Generic{"BridgeName": "a-very-long-bridge-name"}), "a-very-long-bridge-name"},
		{"name with slash", netOpts(options.Generic{"BridgeName": "br/x"}), "br/x"},
		{"name with space", map[string]interface{}{netlabel.GenericData: map[string]string{BridgeName: "br x"}}, "br x"},
		{"mtu too small", netOpts(options.Generic{"Mtu": 10}), "10"},
		{"mtu too big", map[string]interface{}{netlabel.GenericData: map[string]string{MTU: "70000"}}, "70000"},
		{"mtu negative", netOpts(options.Generic{"Mtu": -5}), "-5"},
		{"mtu not a number", map[string]interface{}{netlabel.GenericData: map[string]string{MTU: "big"}}, "big"},
		{"mtu wrong type", netOpts(options.Generic{"Mtu": []int{1}}), "Mtu"},
		{"icc wrong type", netOpts(options.Generic{"EnableICC": 3}), "EnableICC"},
		{"icc bad string", map[string]interface{}{netlabel.GenericData: map[string]string{EnableICC: "perhaps"}}, "perhaps"},
		{"name wrong type", netOpts(options.Generic{"BridgeName": 7}), "BridgeName"},
		{"binding ip bad", map[string]interface{}{netlabel.GenericData: map[string]string{DefaultBindingIP: "1.2.3"}}, "1.2.3"},
		{"prefix too long", netOpts(options.Generic{"ContainerIfacePrefix": "abcdefghijklmn"}), "abcdefghijklmn"},
		{"unknown field", netOpts(options.Generic{"BridgeNmae": "x"}), "BridgeNmae"},
		{"unknown bridge label", map[string]interface{}{netlabel.GenericData: map[string]string{"com.docker.network.bridge.nmae": "x"}}, "nmae"},
		{"generic wrong type", map[string]interface{}{netlabel.GenericData: 42}, "int"},
		{"ipv6 wrong type", map[string]interface{}{netlabel.EnableIPv6: "yes please"}, "yes please"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseNetworkOptions(testNID, tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if !types.IsBadRequest(err) {
				t.Fatalf("error %v (%T) is not a BadRequestError", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not name %q", err, tc.want)
			}
		})
	}
}

func TestSetIPAM(t *testing.T) {
	ok := func(p, gw string) driverapi.IPAMData {
		return driverapi.IPAMData{Pool: cidr(t, p), Gateway: cidr(t, gw)}
	}
	for _, tc := range []struct {
		name   string
		v4, v6 []driverapi.IPAMData
		ipv6   bool
		want   string
	}{
		{"no pool", nil, nil, false, "needs an IPv4 pool"},
		{"two pools", []driverapi.IPAMData{ok("10.1.0.0/24", "10.1.0.1/24"), ok("10.2.0.0/24", "10.2.0.1/24")}, nil, false, "one IPv4 pool"},
		{"gateway outside", []driverapi.IPAMData{ok("10.1.0.0/24", "10.9.0.1/24")}, nil, false, "10.9.0.1"},
		{"no gateway", []driverapi.IPAMData{{Pool: cidr(t, "10.1.0.0/24")}}, nil, false, "no gateway"},
		{"gateway is network address", []driverapi.IPAMData{ok("10.1.0.0/24", "10.1.0.0/24")}, nil, false, "10.1.0.0"},
		{"null ipam pool", []driverapi.IPAMData{{Pool: cidr(t, "0.0.0.0/0")}}, nil, false, "ipv4 pool is empty"},
		{"null ipam v6 pool", []driverapi.IPAMData{ok("10.1.0.0/24", "10.1.0.1/24")}, []driverapi.IPAMData{{Pool: cidr(t, "::/0")}}, true, "ipv6 pool is empty"},
		{"v6 pool in v4", []driverapi.IPAMData{ok("fd00::/64", "fd00::1/64")}, nil, false, "family"},
		{"v6 gateway outside", []driverapi.IPAMData{ok("10.1.0.0/24", "10.1.0.1/24")}, []driverapi.IPAMData{ok("fd00:1::/64", "fd00:2::1/64")}, true, "fd00:2::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &networkConfiguration{ID: "n1", EnableIPv6: tc.ipv6}
			err := c.setIPAM(tc.v4, tc.v6)
			if err == nil || !types.IsBadRequest(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a BadRequestError naming %q", err, tc.want)
			}
		})
	}
	c := &networkConfiguration{ID: "n1", EnableIPv6: true}
	if err := c.setIPAM([]driverapi.IPAMData{ok("10.1.0.0/24", "10.1.0.1/24")}, []driverapi.IPAMData{ok("fd00:1::/64", "fd00:1::1/64")}); err != nil {
		t.Fatal(err)
	}
	if c.AddressIPv4.String() != "10.1.0.1/24" || c.AddressIPv6.String() != "fd00:1::1/64" || c.PoolIPv4.String() != "10.1.0.0/24" {
		t.Fatalf("addresses: %v %v %v", c.AddressIPv4, c.AddressIPv6, c.PoolIPv4)
	}
}

func TestParseDriverConfig(t *testing.T) {
	c, err := parseDriverConfig(map[string]interface{}{netlabel.GenericData: options.Generic{
		"EnableIPForwarding": true, "EnableIPTables": true, "EnableUserlandProxy": false, "UserlandProxyPath": "/x"}})
	if err != nil {
		t.Fatal(err)
	}
	if !c.EnableIPForwarding || !c.EnableIPTables || c.EnableUserlandProxy || c.UserlandProxyPath != "/x" {
		t.Fatalf("%+v", c)
	}
	for _, bad := range []interface{}{options.Generic{"EnableIPTables": "maybe"}, options.Generic{"Bogus": true}, 12} {
		if _, err := parseDriverConfig(map[string]interface{}{netlabel.GenericData: bad}); !types.IsBadRequest(err) {
			t.Fatalf("%v: got %v, want a BadRequestError", bad, err)
		}
	}
}

func TestParseEndpointOptions(t *testing.T) {
	good := map[string]interface{}{
		netlabel.MacAddress:   "02:42:0a:00:00:09",
		netlabel.PortMap:      []types.PortBinding{{Proto: types.TCP, Port: 80, HostPort: 8080}},
		netlabel.ExposedPorts: []types.TransportPort{{Proto: types.UDP, Port: 53}},
	}
	o, err := parseEndpointOptions("e", good)
	if err != nil {
		t.Fatal(err)
	}
	if o.mac.String() != "02:42:0a:00:00:09" || len(o.bindings) != 1 || len(o.exposed) != 1 {
		t.Fatalf("%+v", o)
	}
	for name, bad := range map[string]map[string]interface{}{
		"mac string":     {netlabel.MacAddress: "zz:zz"},
		"mac multicast":  {netlabel.MacAddress: net.HardwareAddr{1, 2, 3, 4, 5, 6}},
		"mac type":       {netlabel.MacAddress: 5},
		"portmap type":   {netlabel.PortMap: []string{"80"}},
		"unknown proto":  {netlabel.PortMap: []types.PortBinding{{Proto: types.ICMP, Port: 80}}},
		"port zero":      {netlabel.PortMap: []types.PortBinding{{Proto: types.TCP}}},
		"range reversed": {netlabel.PortMap: []types.PortBinding{{Proto: types.TCP, Port: 1, HostPort: 9000, HostPortEnd: 8000}}},
		"exposed type":   {netlabel.ExposedPorts: "80"},
	} {
		if _, err := parseEndpointOptions("e", bad); !types.IsBadRequest(err) {
			t.Fatalf("%s: got %v, want a BadRequestError", name, err)
		}
	}
}

func TestBindingErrorsAreTheSeeds(t *testing.T) {
	var port ErrInvalidPort
	var addr ErrInvalidAddressBinding
	var proto types.ErrInvalidProtocolBinding
	for _, tc := range []struct {
		pb   types.PortBinding
		as   interface{}
		name string
	}{
		{types.PortBinding{Proto: types.TCP}, &port, "port zero"},
		{types.PortBinding{Proto: types.TCP, Port: 1, HostPort: 9000, HostPortEnd: 8000}, &port, "range reversed"},
		{types.PortBinding{Proto: types.UDP, Port: 1, HostPortEnd: 8000}, &port, "range without start"},
		{types.PortBinding{Proto: types.TCP, Port: 1, HostIP: net.IP{1, 2, 3}}, &addr, "bad host IP"},
		{types.PortBinding{Proto: types.ICMP, Port: 1}, &proto, "icmp"},
	} {
		err := validBinding(tc.pb)
		if !types.IsBadRequest(err) || !errors.As(err, tc.as) {
			t.Errorf("%s: %v (%T) does not wrap %T", tc.name, err, err, tc.as)
		}
	}
}

func TestHostVethName(t *testing.T) {
	if got := hostVethName("0123456789abcdef"); got != "cnmv0123456789a" {
		t.Fatalf("got %q", got)
	}
	n := hostVethName("not hex at all")
	if len(n) != 15 || !strings.HasPrefix(n, hostVethPrefix) || n != hostVethName("not hex at all") {
		t.Fatalf("got %q", n)
	}
}
