package osl

import (
	"bytes"
	"net"
	"testing"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func ifaceByName(t *testing.T, sb Sandbox, name string) Interface {
	t.Helper()
	for _, i := range sb.Interfaces() {
		if i.DstName() == name {
			return i
		}
	}
	t.Fatalf("no interface %s in %v", name, sb.Interfaces())
	return nil
}

func TestBridgeMasterAndFDB(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "ovl")
	h := nlIn(t, sb.Key())
	if err := sb.AddInterface("ovl-br", "br", WithBridge(true), WithAddress(cidr(t, "10.7.0.1/24"))); err != nil {
		t.Fatal(err)
	}
	la := netlink.NewLinkAttrs()
	la.Name, la.Namespace = "ovl-vx", netlink.NsFd(int(nsOf(t, sb.Key())))
	if err := netlink.LinkAdd(&netlink.Vxlan{LinkAttrs: la, VxlanId: 42, Port: 4789, Learning: true}); err != nil {
		t.Skipf("cannot create a vxlan link: %v", err)
	}
	if err := sb.AddInterface("ovl-vx", "vxlan", WithMaster("ovl-br")); err != nil {
		t.Fatal(err)
	}
	bornInside(t, sb, "ovl-h", "ovl-c")
	if err := sb.AddInterface("ovl-c", "veth", WithMaster("br0")); err != nil {
		t.Fatal(err)
	}
	br, vx, ve := ifaceByName(t, sb, "br0"), ifaceByName(t, sb, "vxlan0"), ifaceByName(t, sb, "veth0")
	if !br.Bridge() || vx.Bridge() || vx.Master() != "ovl-br" || vx.MasterName() != "br0" || ve.MasterName() != "br0" {
		t.Fatalf("bridge/master accessors: %v %v %q %q %q", br.Bridge(), vx.Bridge(), vx.Master(), vx.MasterName(), ve.MasterName())
	}
	brl, err := h.LinkByName("br0")
	if err != nil || brl.Type() != "bridge" {
		t.Fatalf("br0: %v", err)
	}
	for _, n := range []string{"vxlan0", "veth0"} {
		l, err := h.LinkByName(n)
		if err != nil || l.Attrs().MasterIndex != brl.Attrs().Index || l.Attrs().Flags&net.FlagUp == 0 {
			t.Fatalf("%s not an up port of br0: %v", n, err)
		}
	}

	vtep, m := ip("192.0.2.10"), mac(t, "02:00:00:00:42:01")
	if err := sb.AddNeighborForce(vtep, m, false, WithNeighLinkName("ovl-vx"), WithNeighFamily(unix.AF_BRIDGE)); err != nil {
		t.Fatal(err)
	}
	vxl, _ := h.LinkByName("vxlan0")
	fdb := func() bool {
		list, err := h.NeighList(vxl.Attrs().Index, unix.AF_BRIDGE)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range list {
			if bytes.Equal(n.HardwareAddr, m) && n.IP.Equal(vtep) {
				return true
			}
		}
		return false
	}
	if !fdb() {
		t.Fatal("FDB entry missing on vxlan0")
	}
	if err := sb.DeleteNeighborOS(vtep, m, true); err != nil {
		t.Fatal(err)
	}
	if fdb() {
		t.Fatal("FDB entry left after DeleteNeighbor")
	}
}

func TestRestore(t *testing.T) {
	root := setup(t)
	orig := newSandbox(t, root, "rst")
	bornInside(t, orig, "rst-h0", "rst-c0")
	m := mac(t, "02:00:00:00:33:01")
	v4, v6, ll := cidr(t, "10.1.0.2/24"), cidr(t, "fd00:1::2/64"), cidr(t, "fe80::42/64")
	r4 := cidr(t, "10.50.0.0/16")
	if err := orig.AddInterface("rst-c0", "eth", WithMacAddress(m), WithMTU(1450), WithAddress(v4), WithIPv6Address(v6),
		WithLinkLocalAddresses([]*net.IPNet{ll}), WithRoutes([]*net.IPNet{r4})); err != nil {
		t.Fatal(err)
	}
	if err := orig.AddInterface("rst-br", "br", WithBridge(true)); err != nil {
		t.Fatal(err)
	}
	bornInside(t, orig, "rst-h1", "rst-c1")
	if err := orig.AddInterface("rst-c1", "veth", WithMaster("rst-br")); err != nil {
		t.Fatal(err)
	}
	sr := &types.StaticRoute{Destination: cidr(t, "10.60.0.0/16"), RouteType: types.NEXTHOP, NextHop: ip("10.1.0.7")}
	nbr, nmac := ip("10.1.0.9"), mac(t, "02:00:00:00:33:09")
	for _, err := range []error{orig.SetGateway(ip("10.1.0.1")), orig.SetGatewayIPv6(ip("fd00:1::1")), orig.AddStaticRoute(sr),
		orig.AddNeighborForce(nbr, nmac, false, WithNeighLinkName("eth0"))} {
		if err != nil {
			t.Fatal(err)
		}
	}

	sb, err := NewSandboxRestore(orig.Key(), true, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Destroy() })
	if n := len(sb.Interfaces()); n != 3 {
		t.Fatalf("restored %d interfaces, want 3", n)
	}
	eth0 := ifaceByName(t, sb, "eth0")
	if eth0.SrcName() != "eth0" || !bytes.Equal(eth0.MacAddress(), m) || eth0.MTU() != 1450 ||
		!types.CompareIPNet(eth0.Address(), v4) || !types.CompareIPNet(eth0.AddressIPv6(), v6) {
		t.Fatalf("restored eth0: %s %s %d %s %s", eth0.SrcName(), eth0.MacAddress(), eth0.MTU(), eth0.Address(), eth0.AddressIPv6())
	}
	if lls := eth0.LinkLocalAddresses(); len(lls) != 1 || !types.CompareIPNet(lls[0], ll) {
		t.Fatalf("restored link-local addresses %v, want [%s]", lls, ll)
	}
	if rs := eth0.Routes(); len(rs) != 1 || !types.CompareIPNet(rs[0], r4) {
		t.Fatalf("restored routes %v, want [%s]", rs, r4)
	}
	if !ifaceByName(t, sb, "br0").Bridge() || ifaceByName(t, sb, "veth0").MasterName() != "br0" {
		t.Fatal("restored bridge or master wrong")
	}
	if !sb.Gateway().Equal(ip("10.1.0.1")) || !sb.GatewayIPv6().Equal(ip("fd00:1::1")) {
		t.Fatalf("restored gateways %s %s", sb.Gateway(), sb.GatewayIPv6())
	}
	if rs := sb.StaticRoutes(); len(rs) != 1 || !types.CompareIPNet(rs[0].Destination, sr.Destination) || !rs[0].NextHop.Equal(sr.NextHop) {
		t.Fatalf("restored static routes %v", rs)
	}
	// The restored sandbox manages what it found.
	if err := sb.DeleteNeighborOS(nbr, nmac, true); err != nil {
		t.Fatalf("restored neighbour: %v", err)
	}
	if err := sb.RemoveStaticRoute(sr); err != nil {
		t.Fatal(err)
	}
	if err := sb.UnsetGateway(); err != nil {
		t.Fatal(err)
	}
	bornInside(t, sb, "rst-h2", "rst-c2")
	if err := sb.AddInterface("rst-c2", "eth"); err != nil {
		t.Fatal(err)
	}
	if ifaceByName(t, sb, "eth1").SrcName() != "rst-c2" {
		t.Fatal("new interface after restore not eth1")
	}
	if err := ifaceByName(t, sb, "eth0").Remove(); err != nil {
		t.Fatal(err)
	}
}
