package remote

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/plugins"
	"github.com/cnmkit/libnetwork/types"
)

// start serves a fake plugin named name and returns the driver Init
// registered for it.
func start(t *testing.T, scope string) (*testutils.FakePlugin, driverapi.Driver, error) {
	t.Helper()
	dir := t.TempDir()
	f := testutils.NewFakePlugin("NetworkDriver", "{}", map[string]string{"GetCapabilities": fmt.Sprintf(`{"Scope":%q}`, scope)})
	f.Serve(t, dir, "fake")
	reg := plugins.NewRegistry(plugins.Config{SocketDirs: []string{dir}, SpecDirs: []string{}})
	var r testutils.Registered
	if err := Init(&r, map[string]interface{}{plugins.ConfigKey: reg}); err != nil {
		t.Fatal(err)
	}
	_, err := reg.Get("fake", driverapi.NetworkPluginEndpointType)
	if err == nil && (r.Name != "fake" || r.Cap.DataScope != scope) {
		t.Fatalf("registered %+v", r)
	}
	return f, r.Driver, err
}

func TestCapabilities(t *testing.T) {
	for _, scope := range []string{"local", "global"} {
		if _, _, err := start(t, scope); err != nil {
			t.Fatalf("%s: %v", scope, err)
		}
	}
	_, _, err := start(t, "galactic")
	if !types.IsBadRequest(err) || !strings.Contains(err.Error(), `"galactic"`) || !strings.Contains(err.Error(), `"fake"`) {
		t.Fatalf("unknown scope: %v", err)
	}
}

type ifInfo struct {
	addr, addr6 *net.IPNet
	mac         net.HardwareAddr
}

func (i *ifInfo) SetMacAddress(m net.HardwareAddr) error {
	if i.mac != nil {
		return types.ForbiddenErrorf("mac present")
	}
	i.mac = m
	return nil
}
func (i *ifInfo) SetIPAddress(a *net.IPNet) error {
	if a.IP.To4() != nil {
		if i.addr != nil {
			return types.ForbiddenErrorf("address present")
		}
		i.addr = a
		return nil
	}
	i.addr6 = a
	return nil
}
func (i *ifInfo) MacAddress() net.HardwareAddr { return i.mac }
func (i *ifInfo) Address() *net.IPNet          { return i.addr }
func (i *ifInfo) AddressIPv6() *net.IPNet      { return i.addr6 }

type joinInfo struct {
	src, prefix string
	gw, gw6     net.IP
	routes      []string
	noGwService bool
}

func (j *joinInfo) InterfaceName() driverapi.InterfaceNameInfo { return j }
func (j *joinInfo) SetNames(s, p string) error                 { j.src, j.prefix = s, p; return nil }
func (j *joinInfo) SetGateway(ip net.IP) error                 { j.gw = ip; return nil }
func (j *joinInfo) SetGatewayIPv6(ip net.IP) error             { j.gw6 = ip; return nil }
func (j *joinInfo) AddStaticRoute(d *net.IPNet, rt int, hop net.IP) error {
	j.routes = append(j.routes, fmt.Sprintf("%s %d %v", d, rt, hop))
	return nil
}
func (j *joinInfo) DisableGatewayService()                     { j.noGwService = true }
func (j *joinInfo) AddTableEntry(string, string, []byte) error { return nil }

func TestCallsAndWireFormat(t *testing.T) {
	f, d, err := start(t, "local")
	if err != nil {
		t.Fatal(err)
	}
	_, pool, _ := net.ParseCIDR("10.9.0.0/24")
	gw := &net.IPNet{IP: net.ParseIP("10.9.0.1"), Mask: pool.Mask}
	v4 := []driverapi.IPAMData{{AddressSpace: "as", Pool: pool, Gateway: gw}}
	if err := d.CreateNetwork("n1", map[string]interface{}{"k": "v"}, nil, v4, nil); err != nil {
		t.Fatal(err)
	}
	got := f.Req("CreateNetwork")
	if got["NetworkID"] != "n1" || got["Options"].(map[string]interface{})["k"] != "v" {
		t.Fatalf("CreateNetwork request %v", got)
	}
	ip4 := got["IPv4Data"].([]interface{})[0].(map[string]interface{})
	if ip4["Pool"] != "10.9.0.0/24" || ip4["Gateway"] != "10.9.0.1/24" || ip4["AddressSpace"] != "as" {
		t.Fatalf("IPv4Data %v", ip4)
	}

	// The plugin fills in the MAC and the IPv6 address; the controller's
	// IPv4 address goes to it.
	f.Set("CreateEndpoint", `{"Interface":{"MacAddress":"02:42:0a:09:00:02","AddressIPv6":"fd00::2/64"}}`)
	ii := &ifInfo{addr: &net.IPNet{IP: net.ParseIP("10.9.0.2").To4(), Mask: pool.Mask}}
	if err := d.CreateEndpoint("n1", "e1", ii, map[string]interface{}{"o": 1}); err != nil {
		t.Fatal(err)
	}
	got = f.Req("CreateEndpoint")
	if got["EndpointID"] != "e1" || got["Interface"].(map[string]interface{})["Address"] != "10.9.0.2/24" {
		t.Fatalf("CreateEndpoint request %v", got)
	}
	if ii.mac.String() != "02:42:0a:09:00:02" || ii.addr6.String() != "fd00::2/64" {
		t.Fatalf("interface not filled in: %+v", ii)
	}

	f.Set("Join", `{"InterfaceName":{"SrcName":"veth1","DstPrefix":"eth"},"Gateway":"10.9.0.1","GatewayIPv6":"fd00::1",
		"StaticRoutes":[{"Destination":"10.10.0.0/16","RouteType":0,"NextHop":"10.9.0.254"},{"Destination":"10.11.0.0/16","RouteType":1}],
		"DisableGatewayService":true}`)
	ji := &joinInfo{}
	if err := d.Join("n1", "e1", "/var/run/netns/x", ji, map[string]interface{}{"l": "v"}); err != nil {
		t.Fatal(err)
	}
	if got := f.Req("Join"); got["SandboxKey"] != "/var/run/netns/x" || got["EndpointID"] != "e1" {
		t.Fatalf("Join request %v", got)
	}
	want := joinInfo{src: "veth1", prefix: "eth", gw: net.ParseIP("10.9.0.1"), gw6: net.ParseIP("fd00::1"),
		routes: []string{"10.10.0.0/16 0 10.9.0.254", "10.11.0.0/16 1 <nil>"}, noGwService: true}
	if fmt.Sprint(*ji) != fmt.Sprint(want) {
		t.Fatalf("join info %+v, want %+v", *ji, want)
	}
	f.Set("EndpointOperInfo", `{"Value":{"x":"y"}}`)
	if v, err := d.EndpointOperInfo("n1", "e1"); err != nil || v["x"] != "y" {
		t.Fatalf("oper info %v %v", v, err)
	}
	for _, call := range []struct {
		m  string
		fn func() error
	}{
		{"ProgramExternalConnectivity", func() error { return d.ProgramExternalConnectivity("n1", "e1", map[string]interface{}{"p": "q"}) }},
		{"RevokeExternalConnectivity", func() error { return d.RevokeExternalConnectivity("n1", "e1") }},
		{"Leave", func() error { return d.Leave("n1", "e1") }},
		{"DeleteEndpoint", func() error { return d.DeleteEndpoint("n1", "e1") }},
		{"DeleteNetwork", func() error { return d.DeleteNetwork("n1") }},
		{"DiscoverNew", func() error { return d.DiscoverNew(1, map[string]string{"Address": "192.0.2.1"}) }},
		{"DiscoverDelete", func() error { return d.DiscoverDelete(1, map[string]string{"Address": "192.0.2.1"}) }},
	} {
		if err := call.fn(); err != nil {
			t.Fatalf("%s: %v", call.m, err)
		}
		if f.Req(call.m) == nil {
			t.Fatalf("%s not called", call.m)
		}
	}
	if got := f.Req("DiscoverNew"); got["DiscoveryType"] != float64(1) {
		t.Fatalf("DiscoverNew %v", got)
	}
	// The plugin's Err is a typed error naming plugin and call.
	f.Set("DeleteNetwork", `{"Err":"busy"}`)
	if err := d.DeleteNetwork("n1"); !types.IsInternal(err) || !strings.Contains(err.Error(), `plugin "fake": NetworkDriver.DeleteNetwork: busy`) {
		t.Fatalf("Err answer: %v", err)
	}
	if _, err := d.NetworkAllocate("n", nil, nil, nil); !types.IsNotImplemented(err) {
		t.Fatalf("NetworkAllocate: %v", err)
	}
	if d.Type() != "fake" {
		t.Fatal(d.Type())
	}
}

func TestBadAnswersUndo(t *testing.T) {
	f, d, err := start(t, "local")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{
		`{"Interface":{"Address":"10.0.0.300/24"}}`,
		`{"Interface":{"MacAddress":"zz"}}`,
		`{"Interface":{"Address":"fd00::1/64"}}`,
		`{"Interface":{"Address":"10.0.0.3/24"}}`, // the controller's is 10.0.0.2
	} {
		f.Set("CreateEndpoint", a)
		f.Set("DeleteEndpoint", `{}`)
		f.Forget("DeleteEndpoint")
		ii := &ifInfo{addr: &net.IPNet{IP: net.ParseIP("10.0.0.2").To4(), Mask: net.CIDRMask(24, 32)}}
		err := d.CreateEndpoint("n", "e", ii, nil)
		if err == nil || !(types.IsBadRequest(err)) || !strings.Contains(err.Error(), `"fake"`) {
			t.Fatalf("%s: %v", a, err)
		}
		if f.Req("DeleteEndpoint")["EndpointID"] != "e" {
			t.Fatalf("%s: endpoint not deleted in the plugin", a)
		}
	}
	for _, a := range []string{
		`{"Gateway":"nope"}`, `{"GatewayIPv6":"10.0.0.1"}`,
		`{"StaticRoutes":[{"Destination":"x"}]}`, `{"StaticRoutes":[{"Destination":"10.0.0.0/8","RouteType":7}]}`,
		`{"StaticRoutes":[{"Destination":"10.0.0.0/8","RouteType":0,"NextHop":"q"}]}`,
	} {
		f.Set("Join", a)
		f.Forget("Leave")
		err := d.Join("n", "e", "/k", &joinInfo{}, nil)
		if !types.IsBadRequest(err) || !strings.Contains(err.Error(), `"fake"`) {
			t.Fatalf("%s: %v", a, err)
		}
		if f.Req("Leave")["EndpointID"] != "e" {
			t.Fatalf("%s: plugin not told to leave", a)
		}
	}
	f.Set("Join", `{"Gateway":`)
	if err := d.Join("n", "e", "/k", &joinInfo{}, nil); !types.IsInternal(err) || !strings.Contains(err.Error(), "malformed") {
		t.Fatalf("malformed: %v", err)
	}
}
