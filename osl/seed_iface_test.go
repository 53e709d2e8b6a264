package osl

import (
	"bytes"
	"net"
	"testing"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// TestInterfaceOptionSetter adds a veth moved in from the caller's namespace
// and a bridge with the seed's option setters and checks the kernel.
func TestInterfaceOptionSetter(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "setter")
	h := nlIn(t, sb.Key())
	o := sb.InterfaceOptions()
	if err := sb.AddInterface("set-br", "br", o.Bridge(true)); err != nil {
		t.Fatal(err)
	}
	veth(t, "set-h0", netns.None(), "set-c0", netns.None()) // both ends here: set-c0 is moved in
	m := mac(t, "02:42:ac:11:00:07")
	v4, v6 := cidr(t, "10.7.0.2/24"), cidr(t, "fd00:7::2/64")
	r4 := cidr(t, "10.77.0.0/16")
	err := sb.AddInterface("set-c0", "eth", o.MacAddress(m), o.Address(v4), o.AddressIPv6(v6),
		o.Master("set-br"), o.Routes([]*net.IPNet{r4}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName("set-c0"); err == nil {
		t.Fatal("set-c0 is still in the caller's namespace")
	}
	br, err := h.LinkByName("br0")
	if err != nil || br.Type() != "bridge" {
		t.Fatalf("bridge br0 in the sandbox: %v %v", br, err)
	}
	eth0, err := h.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	a := eth0.Attrs()
	if !bytes.Equal(a.HardwareAddr, m) || a.MasterIndex != br.Attrs().Index || a.Flags&net.FlagUp == 0 {
		t.Fatalf("eth0: mac %s master %d up %v", a.HardwareAddr, a.MasterIndex, a.Flags&net.FlagUp != 0)
	}
	if !hasAddr(t, h, eth0, v4) || !hasAddr(t, h, eth0, v6) {
		t.Fatal("eth0 lacks its addresses")
	}
	if !hasRoute(t, h, r4, a.Index, nil) {
		t.Fatal("eth0 lacks its route")
	}
	var got Interface
	for _, i := range sb.Info().Interfaces() {
		if i.SrcName() == "set-c0" {
			got = i
		}
	}
	if got == nil || got.DstName() != "eth0" || got.Master() != "set-br" || got.Bridge() ||
		got.Address().String() != v4.String() || got.AddressIPv6().String() != v6.String() ||
		len(got.Routes()) != 1 || got.Routes()[0].String() != r4.String() {
		t.Fatalf("Info reports %+v", got)
	}
}

func TestInfo(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "info")
	bornInside(t, sb, "info-h0", "info-c0")
	if err := sb.AddInterface("info-c0", "eth", WithAddress(cidr(t, "10.8.0.2/24")),
		WithIPv6Address(cidr(t, "fd00:8::2/64"))); err != nil {
		t.Fatal(err)
	}
	info := sb.Info()
	if info.Gateway() != nil || info.GatewayIPv6() != nil || len(info.StaticRoutes()) != 0 {
		t.Fatal("a fresh sandbox reports gateways or routes")
	}
	if err := sb.SetGateway(ip("10.8.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := sb.SetGatewayIPv6(ip("fd00:8::1")); err != nil {
		t.Fatal(err)
	}
	sr := &types.StaticRoute{Destination: cidr(t, "10.99.0.0/16"), RouteType: types.NEXTHOP, NextHop: ip("10.8.0.254")}
	if err := sb.AddStaticRoute(sr); err != nil {
		t.Fatal(err)
	}
	h := nlIn(t, sb.Key())
	if !hasRoute(t, h, nil, 0, ip("10.8.0.1")) || !hasRoute(t, h, sr.Destination, 0, sr.NextHop) {
		t.Fatal("gateway or static route not in the kernel")
	}
	// Info reads the sandbox's state at each call.
	if !info.Gateway().Equal(ip("10.8.0.1")) || !info.GatewayIPv6().Equal(ip("fd00:8::1")) {
		t.Fatalf("Info gateways %s %s", info.Gateway(), info.GatewayIPv6())
	}
	if rs := info.StaticRoutes(); len(rs) != 1 || rs[0].Destination.String() != "10.99.0.0/16" || !rs[0].NextHop.Equal(sr.NextHop) {
		t.Fatalf("Info static routes %v", rs)
	}
	if is := info.Interfaces(); len(is) != 1 || is[0].DstName() != "eth0" || is[0].Address().String() != "10.8.0.2/24" {
		t.Fatalf("Info interfaces %v", is)
	}
	if err := sb.UnsetGateway(); err != nil {
		t.Fatal(err)
	}
	if info.Gateway() != nil {
		t.Fatal("Info keeps a removed gateway")
	}
}

// neighFound reports whether h holds a permanent entry for ip and mac on link.
func neighFound(t *testing.T, h *netlink.Handle, link, family int, ip net.IP, m net.HardwareAddr) bool {
	t.Helper()
	list, err := h.NeighList(link, family)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range list {
		if n.IP.Equal(ip) && bytes.Equal(n.HardwareAddr, m) && n.State&netlink.NUD_PERMANENT != 0 {
			return true
		}
	}
	return false
}

func TestNeighborsSeed(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "neigh")
	h := nlIn(t, sb.Key())
	bornInside(t, sb, "nb-h0", "nb-c0")
	if err := sb.AddInterface("nb-c0", "eth", WithAddress(cidr(t, "10.9.0.2/24"))); err != nil {
		t.Fatal(err)
	}
	vx := &netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: "nb-vx", Namespace: netlink.NsFd(int(nsOf(t, sb.Key())))},
		VxlanId: 42, Port: 4789, Learning: false}
	if err := netlink.LinkAdd(vx); err != nil {
		t.Fatal(err)
	}
	o := sb.NeighborOptions()
	if err := sb.AddInterface("nb-vx", "vx"); err != nil {
		t.Fatal(err)
	}
	eth0, _ := h.LinkByName("eth0")
	vx0, _ := h.LinkByName("vx0")
	peer, pm := ip("10.9.0.5"), mac(t, "02:42:0a:09:00:05")
	vtep, vm := ip("192.0.2.5"), mac(t, "02:42:0a:09:00:06")

	for _, tc := range []struct {
		name   string
		dst    net.IP
		m      net.HardwareAddr
		link   int
		family int
		opts   []NeighOption
	}{
		{"arp", peer, pm, eth0.Attrs().Index, unix.AF_INET, []NeighOption{o.LinkName("nb-c0")}},
		{"fdb", vtep, vm, vx0.Attrs().Index, unix.AF_BRIDGE, []NeighOption{o.LinkName("vx0"), o.Family(unix.AF_BRIDGE)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := sb.AddNeighbor(tc.dst, tc.m, tc.opts...); err != nil {
				t.Fatal(err)
			}
			if !neighFound(t, h, tc.link, tc.family, tc.dst, tc.m) {
				t.Fatal("entry not in the kernel")
			}
			// The seed's AddNeighbor keeps an entry already added.
			if err := sb.AddNeighbor(tc.dst, tc.m, tc.opts...); err != nil {
				t.Fatalf("second AddNeighbor: %v", err)
			}
			mustClass(t, sb.AddNeighborForce(tc.dst, tc.m, false, tc.opts...), "conflict", types.IsConflict)
			if err := sb.DeleteNeighbor(tc.dst, tc.m); err != nil {
				t.Fatal(err)
			}
			if neighFound(t, h, tc.link, tc.family, tc.dst, tc.m) {
				t.Fatal("DeleteNeighbor left the entry in the kernel")
			}
			mustClass(t, sb.DeleteNeighbor(tc.dst, tc.m), "not found", types.IsNotFound)
		})
	}
	mustClass(t, sb.AddNeighbor(peer, pm), "bad request", types.IsBadRequest)
	mustClass(t, sb.AddNeighbor(peer, pm, o.LinkName("nosuch")), "not found", types.IsNotFound)
}

func TestInvokeFuncSeed(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "invseed")
	want := nsOf(t, sb.Key())
	inside := false
	if err := sb.InvokeFunc(func() {
		cur, err := netns.Get()
		if err == nil {
			inside = cur.Equal(want)
			cur.Close()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if !inside {
		t.Fatal("InvokeFunc ran outside the sandbox")
	}
	mustClass(t, sb.InvokeFunc(nil), "bad request", types.IsBadRequest)
	if err := sb.Destroy(); err != nil {
		t.Fatal(err)
	}
	mustClass(t, sb.InvokeFunc(func() {}), "forbidden", types.IsForbidden)
}
