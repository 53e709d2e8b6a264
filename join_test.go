package libnetwork

import (
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// TestJoinAdoptsInterface joins a fake endpoint whose veth is born inside
// the sandbox: the interface is renamed, addressed, given its MAC, routes
// and the default gateway; Leave takes it all away again.
func TestJoinAdoptsInterface(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	ep := must(n.CreateEndpoint("ep1"))(t)
	sb := must(e.c.NewSandbox("c1"))(t)
	check(t, ep.Join(sb))

	links := sbLinks(t, sb.Key())
	eth0 := links["eth0"]
	if eth0 == nil {
		t.Fatalf("no eth0 in sandbox: %v", links)
	}
	if eth0.Attrs().Flags&net.FlagUp == 0 {
		t.Fatal("eth0 is down")
	}
	if eth0.Attrs().HardwareAddr.String() != ep.Info().Iface().MacAddress().String() {
		t.Fatalf("eth0 MAC %s, endpoint MAC %s", eth0.Attrs().HardwareAddr, ep.Info().Iface().MacAddress())
	}
	addrs := sbAddrs(t, sb.Key(), "eth0")
	if !contains(addrs, "10.10.0.2/24") {
		t.Fatalf("eth0 addresses: %v", addrs)
	}
	if gw := defaultGateway(t, sb.Key()); gw != "10.10.0.1" {
		t.Fatalf("default gateway %q", gw)
	}
	if !hasRoute(t, sb.Key(), "198.18.10.2/32") {
		t.Fatal("connected route of the driver missing")
	}
	if ep.Info().Gateway().String() != "10.10.0.1" {
		t.Fatalf("Info().Gateway() = %v", ep.Info().Gateway())
	}
	if sr := ep.Info().StaticRoutes(); len(sr) != 1 || sr[0].Destination.String() != "203.0.10.2/32" || sr[0].NextHop.String() != "10.10.0.1" {
		t.Fatalf("Info().StaticRoutes() = %v", sr)
	}
	if !hasRoute(t, sb.Key(), "203.0.10.2/32") {
		t.Fatal("next-hop route of the driver missing")
	}
	stats, err := sb.Statistics()
	if err != nil || stats["eth0"] == nil {
		t.Fatalf("Statistics: %v %v", stats, err)
	}
	calls := strings.Join(e.fake().Calls(), ";")
	if !strings.Contains(calls, "Join "+ep.ID()) || !strings.Contains(calls, "Program "+ep.ID()) {
		t.Fatalf("driver calls: %s", calls)
	}

	check(t, ep.Leave(sb))
	if defaultGateway(t, sb.Key()) != "" {
		t.Fatal("default gateway left after Leave")
	}
	if hasRoute(t, sb.Key(), "203.0.10.2/32") || ep.Info().StaticRoutes() != nil {
		t.Fatal("static route left after Leave")
	}
	if l := sbLinks(t, sb.Key())["eth0"]; l != nil && l.Attrs().Flags&net.FlagUp != 0 {
		t.Fatal("eth0 still up after Leave")
	}
	if len(sbAddrs(t, sb.Key(), "eth0")) != 0 {
		t.Fatal("eth0 keeps addresses after Leave")
	}
	eventually(t, "eth0 removed", func() bool { return sbLinks(t, sb.Key())["eth0"] == nil })
	calls = strings.Join(e.fake().Calls(), ";")
	if !strings.Contains(calls, "Revoke "+ep.ID()) || !strings.Contains(calls, "Leave "+ep.ID()) {
		t.Fatalf("driver calls: %s", calls)
	}
	// Joining again gives eth0 back.
	check(t, ep.Join(sb))
	if sbLinks(t, sb.Key())["eth0"] == nil {
		t.Fatal("no eth0 after re-join")
	}
	check(t, sb.Delete())
	if _, err := n.EndpointByID(ep.ID()); err == nil {
		t.Fatal("sandbox delete kept its endpoint")
	}
}

// TestExternalKey joins before the runtime hands in its namespace: the
// interface is made in the host namespace and moved in at SetKey.
func TestExternalKey(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	ep := must(n.CreateEndpoint("ep1"))(t)
	sb := must(e.c.NewSandbox("c1", OptionUseExternalKey()))(t)
	check(t, ep.Join(sb))
	path, _ := testutils.NewNS(t, "runtime-ns")
	check(t, sb.SetKey(path))
	if sbLinks(t, path)["eth0"] == nil {
		t.Fatalf("no eth0 in the runtime's namespace: %v", sbLinks(t, path))
	}
	if !contains(sbAddrs(t, path, "eth0"), "10.10.0.2/24") {
		t.Fatal("eth0 has no address")
	}
	if defaultGateway(t, path) != "10.10.0.1" {
		t.Fatal("no default gateway in the runtime's namespace")
	}
	check(t, sb.Delete())
	if sbLinks(t, path)["eth0"] != nil {
		t.Fatal("eth0 left in the runtime's namespace after delete")
	}
	if len(e.nsFiles()) != 0 {
		t.Fatalf("sandbox key left: %v", e.nsFiles())
	}
}

// TestGatewayPriority: the default gateway and the external connectivity
// follow the highest-priority endpoint; ties go to the network name first.
func TestGatewayPriority(t *testing.T) {
	e := newTestEnv(t)
	na := e.fakeNetwork("net-a", "10.10.0.0/24")
	nb := e.fakeNetwork("net-b", "10.20.0.0/24")
	nc := e.fakeNetwork("net-c", "10.30.0.0/24")
	epa := must(na.CreateEndpoint("a"))(t)
	epb := must(nb.CreateEndpoint("b"))(t)
	epc := must(nc.CreateEndpoint("c"))(t)
	sb := must(e.c.NewSandbox("c1"))(t)
	f := e.fake()

	check(t, epb.Join(sb))
	if gw := defaultGateway(t, sb.Key()); gw != "10.20.0.1" {
		t.Fatalf("gateway after b: %s", gw)
	}
	mark := len(f.Calls())
	check(t, epa.Join(sb)) // same priority, name "net-a" < "net-b": a wins
	if gw := defaultGateway(t, sb.Key()); gw != "10.10.0.1" {
		t.Fatalf("gateway after a: %s", gw)
	}
	if got := f.Calls()[mark:]; !reflect.DeepEqual(got, []string{"Join " + epa.ID(), "Revoke " + epb.ID(), "Program " + epa.ID()}) {
		t.Fatalf("calls joining a: %v", got)
	}
	mark = len(f.Calls())
	check(t, epc.Join(sb, JoinOptionPriority(epc, 10)))
	if gw := defaultGateway(t, sb.Key()); gw != "10.30.0.1" {
		t.Fatalf("gateway after c (priority 10): %s", gw)
	}
	if got := f.Calls()[mark:]; !reflect.DeepEqual(got, []string{"Join " + epc.ID(), "Revoke " + epa.ID(), "Program " + epc.ID()}) {
		t.Fatalf("calls joining c: %v", got)
	}
	if eps := sb.Endpoints(); eps[0].ID() != epc.ID() || eps[1].ID() != epa.ID() || eps[2].ID() != epb.ID() {
		t.Fatalf("endpoint order: %v %v %v", eps[0].Name(), eps[1].Name(), eps[2].Name())
	}
	mark = len(f.Calls())
	check(t, epc.Leave(sb))
	if gw := defaultGateway(t, sb.Key()); gw != "10.10.0.1" {
		t.Fatalf("gateway after c left: %s", gw)
	}
	if got := f.Calls()[mark:]; !reflect.DeepEqual(got, []string{"Revoke " + epc.ID(), "Leave " + epc.ID(), "Program " + epa.ID()}) {
		t.Fatalf("calls leaving c: %v", got)
	}
	check(t, epb.Leave(sb)) // not the gateway: nothing moves
	if gw := defaultGateway(t, sb.Key()); gw != "10.10.0.1" {
		t.Fatalf("gateway after b left: %s", gw)
	}
	check(t, epa.Leave(sb))
	if gw := defaultGateway(t, sb.Key()); gw != "" {
		t.Fatalf("gateway after all left: %s", gw)
	}
}

// TestTableEntries: entries a driver adds during Join are recorded on the
// endpoint (and stored with it), published, and removed on Leave, on
// endpoint delete and at restart for endpoints that are gone.
func TestTableEntries(t *testing.T) {
	tables := newFakeTables()
	newTableBackend = func() tableBackend { return tables }
	t.Cleanup(func() { newTableBackend = nil })
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	ep1 := must(n.CreateEndpoint("ep1"))(t)
	ep2 := must(n.CreateEndpoint("ep2"))(t)
	sb1 := must(e.c.NewSandbox("c1"))(t)
	sb2 := must(e.c.NewSandbox("c2"))(t)

	check(t, ep1.Join(sb1))
	if !tables.has(fakeTable, n.ID(), ep1.ID()) {
		t.Fatal("entry not published at join")
	}
	if got := ep1.(*endpoint).tableEntries(); len(got) != 1 || got[0].Key != ep1.ID() || string(got[0].Value) != n.ID() {
		t.Fatalf("entries recorded on the endpoint: %+v", got)
	}
	_, entries := e.c.networkTableEntries(n.ID())
	if len(entries) != 1 {
		t.Fatalf("network entries: %+v", entries)
	}
	check(t, ep1.Leave(sb1))
	if tables.count() != 0 || len(ep1.(*endpoint).tableEntries()) != 0 {
		t.Fatal("entry kept after leave")
	}

	check(t, ep1.Join(sb1))
	check(t, ep1.Delete(true))
	if tables.count() != 0 {
		t.Fatal("entry kept after forced endpoint delete")
	}

	// A failed join publishes nothing.
	e.fake().mu.Lock()
	e.fake().failJoin = true
	e.fake().mu.Unlock()
	if err := ep2.Join(sb2); !types.IsForbidden(err) {
		t.Fatalf("failing join: %v", err)
	}
	e.fake().mu.Lock()
	e.fake().failJoin = false
	e.fake().mu.Unlock()
	if tables.count() != 0 {
		t.Fatal("entry published by a failed join")
	}

	ep3 := must(n.CreateEndpoint("ep3"))(t)
	check(t, ep2.Join(sb2))
	check(t, ep3.Join(sb1))
	if tables.count() != 2 {
		t.Fatalf("entries: %d", tables.count())
	}
	// Restart with only c1 alive: c2's entry goes, c1's is published again.
	tables2 := newFakeTables()
	newTableBackend = func() tableBackend { return tables2 }
	e.restart(configActive("c1"))
	if !tables2.has(fakeTable, n.ID(), ep3.ID()) || tables2.count() != 1 {
		t.Fatalf("entries after restart: %v", tables2.log)
	}
	if !contains(tables2.log, "delete "+fakeTable+"/"+ep2.ID()) && tables2.has(fakeTable, n.ID(), ep2.ID()) {
		t.Fatalf("restart log: %v", tables2.log)
	}
	// The gone endpoint and its stored entries are gone.
	n2 := must(e.c.NetworkByID(n.ID()))(t)
	if _, err := n2.EndpointByID(ep2.ID()); !types.IsNotFound(err) {
		t.Fatalf("stale endpoint restored: %v", err)
	}
	ep3r := must(n2.EndpointByID(ep3.ID()))(t)
	if got := ep3r.(*endpoint).tableEntries(); len(got) != 1 || got[0].Key != ep3.ID() {
		t.Fatalf("stored entries of the live endpoint: %+v", got)
	}
}

func sbAddrs(t testing.TB, key, link string) []string {
	t.Helper()
	l := sbLinks(t, key)[link]
	if l == nil {
		return nil
	}
	var out []string
	withNS(t, key, func(nlh *netlink.Handle) {
		addrs, err := nlh.AddrList(l, netlink.FAMILY_V4)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			out = append(out, a.IPNet.String())
		}
	})
	return out
}

func hasRoute(t testing.TB, key, dst string) bool {
	for _, r := range sbRoutes(t, key) {
		if r.Dst != nil && r.Dst.String() == dst {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestIPv6AndRename: an IPv6-enabled network gives its endpoints both
// families, configured in the sandbox; Rename renames joined endpoints.
func TestIPv6AndRename(t *testing.T) {
	e := newTestEnv(t)
	n := must(e.c.NewNetwork(fakeType, "net6", "", NetworkOptionEnableIPv6(true),
		NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.10.0.0/24"}}, []*IpamConf{{PreferredPool: "fd00:10::/64"}}, nil)))(t)
	if !n.Info().IPv6Enabled() {
		t.Fatal("IPv6 not enabled")
	}
	_, i6 := n.Info().IpamInfo()
	if len(i6) != 1 || i6[0].Pool.String() != "fd00:10::/64" {
		t.Fatalf("IPv6 pools: %+v", i6)
	}
	ep := must(n.CreateEndpoint("ep", CreateOptionIpam(nil, net.ParseIP("fd00:10::99"), nil)))(t)
	if a := ep.Info().Iface().AddressIPv6(); a == nil || a.String() != "fd00:10::99/64" {
		t.Fatalf("IPv6 address %v", a)
	}
	sb := must(e.c.NewSandbox("c1"))(t)
	check(t, ep.Join(sb))
	var v6 []string
	withNS(t, sb.Key(), func(nlh *netlink.Handle) {
		l, err := nlh.LinkByName("eth0")
		check(t, err)
		addrs, err := nlh.AddrList(l, netlink.FAMILY_V6)
		check(t, err)
		for _, a := range addrs {
			v6 = append(v6, a.IPNet.String())
		}
	})
	if !contains(v6, "fd00:10::99/64") {
		t.Fatalf("eth0 IPv6 addresses: %v", v6)
	}
	if gw6 := ep.Info().GatewayIPv6(); gw6.String() != "fd00:10::1" {
		t.Fatalf("GatewayIPv6 %v", gw6)
	}
	if gw6 := sb.(*sandbox).osSandbox().GatewayIPv6(); gw6.String() != "fd00:10::1" {
		t.Fatalf("sandbox IPv6 gateway %v", gw6)
	}
	check(t, sb.Rename("renamed"))
	if ep.Name() != "renamed" {
		t.Fatalf("endpoint name after Rename: %s", ep.Name())
	}
	if x, err := n.EndpointByName("renamed"); err != nil || x.ID() != ep.ID() {
		t.Fatalf("EndpointByName(renamed): %v", err)
	}
	if _, err := n.EndpointByName("ep"); !types.IsNotFound(err) {
		t.Fatal("old name still found")
	}
	// The old name is free again.
	check(t, must(n.CreateEndpoint("ep"))(t).Delete(false))
	check(t, sb.Delete())
	check(t, n.Delete())
}
