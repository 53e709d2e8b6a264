package libnetwork

import (
	"net"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

func TestNullNetwork(t *testing.T) {
	e := newTestEnv(t)
	n := must(e.c.NewNetwork("null", "none", ""))(t)
	if _, err := e.c.NewNetwork("null", "none2", ""); !types.IsForbidden(err) {
		t.Fatalf("second null network: want Forbidden, got %v", err)
	}
	ep := must(n.CreateEndpoint("ep1"))(t)
	if ep.Info().Iface().Address() != nil {
		t.Fatalf("null endpoint has an address: %v", ep.Info().Iface().Address())
	}
	sb := must(e.c.NewSandbox("c1"))(t)
	if !ns.IsNetNS(sb.Key()) {
		t.Fatalf("sandbox key %s is not a namespace", sb.Key())
	}
	if filepath.Dir(sb.Key()) != filepath.Join(e.execRoot, "netns") {
		t.Fatalf("sandbox key %s is not under the exec root", sb.Key())
	}
	check(t, ep.Join(sb))
	links := sbLinks(t, sb.Key())
	if len(links) != 1 || links["lo"] == nil || links["lo"].Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("null sandbox should have only lo, up: %v", links)
	}
	if got := ep.Info().Sandbox(); got == nil || got.ID() != sb.ID() {
		t.Fatalf("endpoint's sandbox: %v", got)
	}
	if eps := sb.Endpoints(); len(eps) != 1 || eps[0].ID() != ep.ID() {
		t.Fatalf("sandbox endpoints: %v", eps)
	}
	check(t, ep.Leave(sb))
	if ep.Info().Sandbox() != nil {
		t.Fatal("endpoint still has a sandbox after leave")
	}
	check(t, ep.Delete(false))
	check(t, sb.Delete())
	if ns.IsNetNS(sb.Key()) || len(e.nsFiles()) != 0 {
		t.Fatalf("namespace left after sandbox delete: %v", e.nsFiles())
	}
	if err := n.Delete(); !types.IsForbidden(err) {
		t.Fatalf("deleting the null network: want Forbidden, got %v", err)
	}
}

func TestHostNetwork(t *testing.T) {
	e := newTestEnv(t)
	n := must(e.c.NewNetwork("host", "host", ""))(t)
	if _, err := e.c.NewNetwork("host", "host2", ""); !types.IsForbidden(err) {
		t.Fatalf("second host network: want Forbidden, got %v", err)
	}
	linksBefore := e.hostLinks()
	ep := must(n.CreateEndpoint("ep1"))(t)
	sb1 := must(e.c.NewSandbox("c1", OptionUseDefaultSandbox()))(t)
	sb2 := must(e.c.NewSandbox("c2", OptionUseDefaultSandbox()))(t)
	if sb1.Key() != filepath.Join(e.execRoot, "netns", "default") || sb2.Key() != sb1.Key() {
		t.Fatalf("default sandbox keys: %s %s", sb1.Key(), sb2.Key())
	}
	h, err := netns.GetFromPath(sb1.Key())
	if err != nil {
		t.Fatal(err)
	}
	if !h.Equal(e.hostNS) {
		t.Fatal("default sandbox is not the controller's host namespace")
	}
	h.Close()
	check(t, ep.Join(sb1))
	if got := e.hostLinks(); !reflect.DeepEqual(got, linksBefore) {
		t.Fatalf("host join changed host links: %v -> %v", linksBefore, got)
	}
	check(t, sb1.Delete()) // leaves and deletes ep
	if _, err := n.EndpointByID(ep.ID()); err == nil {
		t.Fatal("sandbox delete did not delete its endpoint")
	}
	if !ns.IsNetNS(sb2.Key()) {
		t.Fatal("default sandbox unpinned while still in use")
	}
	check(t, sb2.Delete())
	if ns.IsNetNS(filepath.Join(e.execRoot, "netns", "default")) {
		t.Fatal("default sandbox still pinned after its last user")
	}
	if !reflect.DeepEqual(e.hostLinks(), linksBefore) {
		t.Fatal("host links changed")
	}
}

func TestNetworkAPI(t *testing.T) {
	e := newTestEnv(t)
	labels := map[string]string{"a": "b"}
	n := e.fakeNetwork("net1", "10.10.0.0/24",
		NetworkOptionLabels(labels),
		NetworkOptionDriverOpts(map[string]string{"opt": "v"}),
		NetworkOptionGeneric(map[string]interface{}{"x": 1}))
	if n.Name() != "net1" || n.Type() != fakeType || len(n.ID()) != 64 {
		t.Fatalf("name/type/id: %s %s %s", n.Name(), n.Type(), n.ID())
	}
	info := n.Info()
	ipamName, _, v4, v6 := info.IpamConfig()
	if ipamName != "default" || len(v4) != 1 || v4[0].PreferredPool != "10.10.0.0/24" || len(v6) != 0 {
		t.Fatalf("IpamConfig: %s %+v %+v", ipamName, v4, v6)
	}
	i4, i6 := info.IpamInfo()
	if len(i4) != 1 || i4[0].Pool.String() != "10.10.0.0/24" || i4[0].Gateway == nil || i4[0].Gateway.IP.String() != "10.10.0.1" || len(i6) != 0 {
		t.Fatalf("IpamInfo: %+v %+v", i4, i6)
	}
	if info.DriverOptions()["opt"] != "v" || info.Labels()["a"] != "b" || info.Scope() != "local" || info.IPv6Enabled() || info.Internal() {
		t.Fatalf("info: %v %v %s", info.DriverOptions(), info.Labels(), info.Scope())
	}
	labels["a"] = "changed"
	if info.Labels()["a"] != "b" {
		t.Fatal("labels not copied")
	}
	n2 := must(e.c.NewNetwork(fakeType, "net2", "myid", NetworkOptionInternalNetwork(),
		NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.11.0.0/16", SubPool: "10.11.1.0/24", Gateway: "10.11.0.254",
			AuxAddresses: map[string]string{"router": "10.11.1.7", "other": "10.11.2.2"}}}, nil, nil)))(t)
	if n2.ID() != "myid" || !n2.Info().Internal() {
		t.Fatalf("net2: %s %v", n2.ID(), n2.Info().Internal())
	}
	i4, _ = n2.Info().IpamInfo()
	if i4[0].Gateway.IP.String() != "10.11.0.254" || i4[0].AuxAddresses["router"].IP.String() != "10.11.1.7" {
		t.Fatalf("net2 IpamInfo: %+v", i4[0])
	}
	// The aux address in the sub-pool is reserved, so the first endpoint skips it.
	ep := must(n2.CreateEndpoint("e", CreateOptionIpam(net.ParseIP("10.11.1.8"), nil, nil)))(t)
	if _, err := n2.CreateEndpoint("e2", CreateOptionIpam(net.ParseIP("10.11.1.7"), nil, nil)); !types.IsForbidden(err) {
		t.Fatalf("aux address allocated to an endpoint: %v", err)
	}
	check(t, ep.Delete(false))

	var names []string
	for _, x := range e.c.Networks() {
		names = append(names, x.Name())
	}
	sort.Strings(names)
	if !reflect.DeepEqual(names, []string{"net1", "net2"}) {
		t.Fatalf("Networks: %v", names)
	}
	count := 0
	e.c.WalkNetworks(func(Network) bool { count++; return true })
	if count != 1 {
		t.Fatalf("WalkNetworks did not stop: %d", count)
	}
	if x, err := e.c.NetworkByName("net2"); err != nil || x.ID() != "myid" {
		t.Fatalf("NetworkByName: %v %v", x, err)
	}
	if x, err := e.c.NetworkByID(n.ID()); err != nil || x.Name() != "net1" {
		t.Fatalf("NetworkByID: %v %v", x, err)
	}
	if _, err := e.c.NetworkByName("nope"); !types.IsNotFound(err) {
		t.Fatalf("NetworkByName(nope): %v", err)
	}
	if _, err := e.c.NetworkByID(""); !types.IsBadRequest(err) {
		t.Fatalf("NetworkByID(\"\"): %v", err)
	}
	check(t, n2.Delete())
	if _, err := e.c.NetworkByID("myid"); !types.IsNotFound(err) {
		t.Fatalf("deleted network still found: %v", err)
	}
	if err := n2.Delete(); !types.IsNotFound(err) {
		t.Fatalf("second delete: want NotFound, got %v", err)
	}
	// The pool is free again.
	must(e.c.NewNetwork(fakeType, "net3", "", NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.11.0.0/16"}}, nil, nil)))(t)
	if len(e.c.ID()) != 64 {
		t.Fatalf("controller ID %q", e.c.ID())
	}
	if cfg := e.c.Config(); cfg.Daemon.DataDir != e.dataDir || cfg.Daemon.ExecRoot != e.execRoot {
		t.Fatalf("Config: %+v", cfg.Daemon)
	}
	tables, _ := e.c.networkTableEntries(n.ID())
	if !reflect.DeepEqual(tables, []string{fakeTable}) {
		t.Fatalf("registered tables: %v", tables)
	}
}

func TestEndpointAPI(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0x42}
	ports := []types.TransportPort{{Proto: types.TCP, Port: 80}}
	ep := must(n.CreateEndpoint("ep1",
		CreateOptionIpam(net.ParseIP("10.10.0.9"), nil, nil),
		CreateOptionExposedPorts(ports),
		CreateOptionPortMapping([]types.PortBinding{{Proto: types.TCP, Port: 80, HostPort: 8080}}),
		CreateOptionAnonymous(), CreateOptionMyAlias("me"),
		EndpointOptionGeneric(map[string]interface{}{netlabel.MacAddress: mac})))(t)
	iface := ep.Info().Iface()
	if iface.Address().String() != "10.10.0.9/24" || iface.MacAddress().String() != mac.String() || iface.AddressIPv6() != nil {
		t.Fatalf("iface: %v %v", iface.Address(), iface.MacAddress())
	}
	if ep.Name() != "ep1" || ep.Network() != "net1" || ep.Info().Gateway() != nil || ep.Info().Sandbox() != nil {
		t.Fatalf("endpoint: %s %s", ep.Name(), ep.Network())
	}
	f := e.fake()
	f.mu.Lock()
	opts := f.epOptions[ep.ID()]
	f.mu.Unlock()
	if pm, ok := opts[netlabel.PortMap].([]types.PortBinding); !ok || len(pm) != 1 || pm[0].HostPort != 8080 {
		t.Fatalf("port mapping given to the driver: %v", opts[netlabel.PortMap])
	}
	if xp, ok := opts[netlabel.ExposedPorts].([]types.TransportPort); !ok || !reflect.DeepEqual(xp, ports) {
		t.Fatalf("exposed ports given to the driver: %v", opts[netlabel.ExposedPorts])
	}
	di, err := ep.DriverInfo()
	if err != nil || di["host-link"] != "fvh"+ep.ID()[:8] {
		t.Fatalf("DriverInfo: %v %v", di, err)
	}
	ep2 := must(n.CreateEndpoint("ep2"))(t)
	if ep2.Info().Iface().Address().String() != "10.10.0.2/24" {
		t.Fatalf("first free address: %v", ep2.Info().Iface().Address())
	}
	if ep2.Info().Iface().MacAddress() == nil {
		t.Fatal("driver did not set a MAC")
	}
	if x, err := n.EndpointByName("ep2"); err != nil || x.ID() != ep2.ID() {
		t.Fatalf("EndpointByName: %v", err)
	}
	if x, err := n.EndpointByID(ep.ID()); err != nil || x.Name() != "ep1" {
		t.Fatalf("EndpointByID: %v", err)
	}
	if _, err := n.EndpointByName("x"); !types.IsNotFound(err) {
		t.Fatalf("EndpointByName(x): %v", err)
	}
	count := 0
	n.WalkEndpoints(func(Endpoint) bool { count++; return false })
	if count != 2 || len(n.Endpoints()) != 2 {
		t.Fatalf("walk: %d", count)
	}
	check(t, ep.Delete(false))
	if _, err := ep.DriverInfo(); !types.IsNotFound(err) {
		t.Fatalf("DriverInfo after delete: %v", err)
	}
	if err := ep.Delete(false); !types.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
	// Its address is free again.
	ep3 := must(n.CreateEndpoint("ep1", CreateOptionIpam(net.ParseIP("10.10.0.9"), nil, nil)))(t)
	check(t, ep3.Delete(false))
	check(t, ep2.Delete(false))
	check(t, n.Delete())
}

func TestSandboxAPI(t *testing.T) {
	e := newTestEnv(t)
	sb := must(e.c.NewSandbox("c1", OptionHostname("h"), OptionDomainname("d.example"),
		OptionHostsPath("/tmp/hosts"), OptionResolvConfPath("/tmp/resolv"), OptionDNS("10.0.0.53"),
		OptionDNSSearch("example"), OptionDNSOptions("ndots:2"), OptionExtraHost("x", "10.1.1.1"),
		OptionGeneric(map[string]interface{}{"k": "v"})))(t)
	if sb.ContainerID() != "c1" || len(sb.ID()) != 64 || sb.Labels()["k"] != "v" {
		t.Fatalf("sandbox: %s %s %v", sb.ContainerID(), sb.ID(), sb.Labels())
	}
	s := sb.(*sandbox)
	if s.config.hostName != "h" || s.config.domainName != "d.example" || s.config.dnsList[0] != "10.0.0.53" ||
		s.config.extraHosts[0].IP != "10.1.1.1" || s.config.resolvConfPath != "/tmp/resolv" {
		t.Fatalf("config: %+v", s.config)
	}
	if x, err := e.c.SandboxByID(sb.ID()); err != nil || x != sb {
		t.Fatalf("SandboxByID: %v", err)
	}
	if _, err := e.c.SandboxByID("nope"); !types.IsNotFound(err) {
		t.Fatalf("SandboxByID(nope): %v", err)
	}
	sb2 := must(e.c.NewSandbox("c2"))(t)
	if len(e.c.Sandboxes()) != 2 {
		t.Fatal("Sandboxes")
	}
	var found Sandbox
	e.c.WalkSandboxes(SandboxContainerWalker(&found, "c2"))
	if found != sb2 {
		t.Fatal("SandboxContainerWalker")
	}
	found = nil
	e.c.WalkSandboxes(SandboxKeyWalker(&found, sb.Key()))
	if found != sb {
		t.Fatal("SandboxKeyWalker")
	}
	stats, err := sb.Statistics()
	if err != nil || len(stats) != 0 {
		t.Fatalf("Statistics: %v %v", stats, err)
	}
	check(t, sb.Refresh(OptionHostname("h2")))
	if s.config.hostName != "h2" || s.config.domainName != "" {
		t.Fatalf("refresh config: %+v", s.config)
	}
	check(t, e.c.SandboxDestroy("c2"))
	check(t, e.c.SandboxDestroy("c2")) // none: no error
	if _, err := e.c.SandboxByID(sb2.ID()); !types.IsNotFound(err) {
		t.Fatal("SandboxDestroy left the sandbox")
	}
	check(t, sb.Delete())
	if err := sb.Delete(); !types.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
	if len(e.nsFiles()) != 0 {
		t.Fatalf("namespaces left: %v", e.nsFiles())
	}
}

func TestStopAndReload(t *testing.T) {
	e := newTestEnv(t)
	n := must(e.c.NewNetwork("null", "none", ""))(t)
	sb := must(e.c.NewSandbox("c1"))(t)
	check(t, e.c.ReloadConfiguration(config.OptionLabels([]string{"com.docker.network.driver.x=y"})))
	if err := e.c.ReloadConfiguration(config.OptionDataDir("/elsewhere")); !types.IsForbidden(err) {
		t.Fatalf("reload with another data dir: %v", err)
	}
	e.c.Stop()
	e.c.Stop() // twice is fine
	if _, err := n.CreateEndpoint("x"); !types.IsNoService(err) {
		t.Fatalf("CreateEndpoint after Stop: %v", err)
	}
	if _, err := e.c.NewSandbox("c2"); !types.IsNoService(err) {
		t.Fatalf("NewSandbox after Stop: %v", err)
	}
	if !ns.IsNetNS(sb.Key()) {
		t.Fatal("Stop removed a sandbox's namespace")
	}
	e.c = nil
	e.start(config.OptionActiveSandboxes(map[string]interface{}{"c1": nil}))
	if _, err := e.c.SandboxByID(sb.ID()); err != nil {
		t.Fatalf("sandbox lost after Stop: %v", err)
	}
	if _, err := e.c.NetworkByName("none"); err != nil {
		t.Fatalf("network lost after Stop: %v", err)
	}
	// The data dir is locked while a controller uses it.
	if _, err := New(e.options()...); err == nil {
		t.Fatal("second controller on the same data dir")
	}
}

func TestNetworkOptionPersist(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("volatile", "10.10.0.0/24", NetworkOptionPersist(false))
	ep := must(n.CreateEndpoint("ep"))(t)
	before := e.snapshot(t)
	for k := range before.Store {
		if strings.Contains(k, n.ID()) {
			t.Fatalf("non-persistent network stored: %s", k)
		}
	}
	check(t, ep.Delete(false))
	e.restart()
	if _, err := e.c.NetworkByName("volatile"); !types.IsNotFound(err) {
		t.Fatalf("non-persistent network restored: %v", err)
	}
}

func TestNullIpam(t *testing.T) {
	e := newTestEnv(t)
	n := must(e.c.NewNetwork(fakeType, "noaddr", "", NetworkOptionIpam("null", "", nil, nil, nil)))(t)
	i4, _ := n.Info().IpamInfo()
	if len(i4) != 1 || i4[0].Pool.String() != "0.0.0.0/0" || i4[0].Gateway != nil {
		t.Fatalf("null IPAM info: %+v", i4)
	}
	ep := must(n.CreateEndpoint("ep"))(t)
	if ep.Info().Iface().Address() != nil {
		t.Fatal("null IPAM gave an address")
	}
	sb := must(e.c.NewSandbox("c1"))(t)
	check(t, ep.Join(sb))
	if sbLinks(t, sb.Key())["eth0"] == nil || defaultGateway(t, sb.Key()) != "" {
		t.Fatal("join on a null-IPAM network")
	}
	check(t, sb.Delete())
	check(t, n.Delete())
}
