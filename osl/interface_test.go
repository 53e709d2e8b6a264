package osl

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// hasAddr reports whether link l in h carries a (and, for IPv6, not tentative).
func hasAddr(t *testing.T, h *netlink.Handle, l netlink.Link, a *net.IPNet) bool {
	t.Helper()
	addrs, err := h.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range addrs {
		if x.IP.Equal(a.IP) && bytes.Equal(x.Mask, a.Mask) {
			if x.Flags&unix.IFA_F_TENTATIVE != 0 {
				t.Fatalf("address %s is tentative (DAD not skipped)", a)
			}
			return true
		}
	}
	return false
}

// hasRoute reports whether a main-table route to dst exists in h.
func hasRoute(t *testing.T, h *netlink.Handle, dst *net.IPNet, linkIndex int, gw net.IP) bool {
	t.Helper()
	fam := netlink.FAMILY_V6
	if dst == nil && gw.To4() != nil || dst != nil && dst.IP.To4() != nil {
		fam = netlink.FAMILY_V4
	}
	routes, err := h.RouteList(nil, fam)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		isDef := r.Dst == nil || func() bool { o, _ := r.Dst.Mask.Size(); return o == 0 }()
		if dst == nil && !isDef || dst != nil && !types.CompareIPNet(r.Dst, types.GetIPNetCanonical(dst)) {
			continue
		}
		if (linkIndex == 0 || r.LinkIndex == linkIndex) && (gw == nil || r.Gw.Equal(gw)) {
			return true
		}
	}
	return false
}

func TestAddInterfaceBornInside(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "add")
	h := nlIn(t, sb.Key())
	bornInside(t, sb, "add-h0", "add-c0")
	bornInside(t, sb, "add-h1", "add-c1")

	m := mac(t, "02:42:ac:11:00:02")
	v4, v6 := cidr(t, "10.1.0.2/24"), cidr(t, "fd00:1::2/64")
	ll := cidr(t, "fe80::42/64")
	r4, r6 := cidr(t, "10.50.0.0/16"), cidr(t, "fd00:50::/64")
	err := sb.AddInterface("add-c0", "eth", WithMacAddress(m), WithMTU(1400), WithAddress(v4), WithIPv6Address(v6),
		WithLinkLocalAddresses([]*net.IPNet{ll}), WithRoutes([]*net.IPNet{r4, r6}))
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.AddInterface("add-c1", "eth"); err != nil {
		t.Fatal(err)
	}
	if !linkGone(h, "add-c0") || !linkGone(h, "add-c1") {
		t.Fatal("source names still present in the sandbox")
	}
	eth0, err := h.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	a := eth0.Attrs()
	if !bytes.Equal(a.HardwareAddr, m) || a.MTU != 1400 || a.Flags&net.FlagUp == 0 {
		t.Fatalf("eth0: mac %s mtu %d flags %v", a.HardwareAddr, a.MTU, a.Flags)
	}
	for _, x := range []*net.IPNet{v4, v6, ll} {
		if !hasAddr(t, h, eth0, x) {
			t.Fatalf("eth0 lacks address %s", x)
		}
	}
	for _, r := range []*net.IPNet{r4, r6} {
		if !hasRoute(t, h, r, a.Index, nil) {
			t.Fatalf("route to %s via eth0 missing", r)
		}
	}
	eth1, err := h.LinkByName("eth1")
	if err != nil || eth1.Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("eth1 missing or down: %v", err)
	}

	ifs := sb.Interfaces()
	if len(ifs) != 2 {
		t.Fatalf("Interfaces() = %d, want 2", len(ifs))
	}
	i0 := ifs[0]
	if i0.Name() != "eth0" || i0.DstName() != "eth0" || i0.SrcName() != "add-c0" || !bytes.Equal(i0.MacAddress(), m) ||
		i0.Address().String() != v4.String() || i0.AddressIPv6().String() != v6.String() || i0.MTU() != 1400 ||
		len(i0.Routes()) != 2 || len(i0.LinkLocalAddresses()) != 1 || i0.Bridge() || i0.Master() != "" {
		t.Fatalf("interface accessors wrong: %s %s %s %s %s %s %d", i0.Name(), i0.SrcName(), i0.MacAddress(), i0.Address(), i0.AddressIPv6(), i0.Routes(), i0.MTU())
	}
	if ifs[1].DstName() != "eth1" || ifs[1].MacAddress() == nil {
		t.Fatalf("second interface %s mac %s", ifs[1].DstName(), ifs[1].MacAddress())
	}

	// Remove frees eth0: the next interface takes the lowest free index.
	if err := i0.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := i0.Remove(); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	if !linkGone(h, "eth0") {
		t.Fatal("eth0 still in the sandbox after Remove")
	}
	eventually(t, "host end of removed veth to go", func() bool {
		_, err := netlink.LinkByName("add-h0")
		return err != nil
	})
	if _, err := i0.Statistics(); !types.IsNotFound(err) {
		t.Fatalf("Statistics of a removed interface: %v", err)
	}
	bornInside(t, sb, "add-h2", "add-c2")
	if err := sb.AddInterface("add-c2", "eth"); err != nil {
		t.Fatal(err)
	}
	ifs = sb.Interfaces()
	if len(ifs) != 2 || ifs[1].DstName() != "eth0" {
		t.Fatalf("re-added interface not named eth0: %v", ifs)
	}
}

func TestAddInterfaceSlowPath(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "slow")
	h := nlIn(t, sb.Key())
	veth(t, "slow-h", netns.None(), "slow-c", netns.None())
	if err := sb.AddInterface("slow-c", "eth", WithAddress(cidr(t, "10.3.0.2/24"))); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName("slow-c"); err == nil {
		t.Fatal("interface still in the caller's namespace")
	}
	l, err := h.LinkByName("eth0")
	if err != nil || !hasAddr(t, h, l, cidr(t, "10.3.0.2/24")) {
		t.Fatalf("moved interface not configured as eth0: %v", err)
	}
	err = sb.AddInterface("nowhere0", "eth")
	mustClass(t, err, "not found", types.IsNotFound)
}

func TestGateway(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "gw")
	h := nlIn(t, sb.Key())
	bornInside(t, sb, "gw-h", "gw-c")
	if err := sb.AddInterface("gw-c", "eth", WithAddress(cidr(t, "10.1.0.2/24")), WithIPv6Address(cidr(t, "fd00:1::2/64"))); err != nil {
		t.Fatal(err)
	}
	idx := sb.Interfaces()[0].(*nwIface).index
	for _, tc := range []struct {
		set, unset func() error
		get        func() net.IP
		gw1, gw2   net.IP
	}{
		{func() error { return sb.SetGateway(ip("10.1.0.1")) }, sb.UnsetGateway, sb.Gateway, ip("10.1.0.1"), ip("10.1.0.254")},
		{func() error { return sb.SetGatewayIPv6(ip("fd00:1::1")) }, sb.UnsetGatewayIPv6, sb.GatewayIPv6, ip("fd00:1::1"), ip("fd00:1::fe")},
	} {
		if err := tc.set(); err != nil {
			t.Fatal(err)
		}
		if !hasRoute(t, h, nil, idx, tc.gw1) || !tc.get().Equal(tc.gw1) {
			t.Fatalf("default route via %s missing", tc.gw1)
		}
		// Setting another gateway replaces the route.
		var err error
		if tc.gw2.To4() != nil {
			err = sb.SetGateway(tc.gw2)
		} else {
			err = sb.SetGatewayIPv6(tc.gw2)
		}
		if err != nil {
			t.Fatal(err)
		}
		if hasRoute(t, h, nil, 0, tc.gw1) || !hasRoute(t, h, nil, idx, tc.gw2) {
			t.Fatalf("default route via %s not replaced by %s", tc.gw1, tc.gw2)
		}
		if err := tc.unset(); err != nil {
			t.Fatal(err)
		}
		if hasRoute(t, h, nil, 0, nil) || tc.get() != nil {
			t.Fatalf("default route left after unset (%s)", tc.gw2)
		}
		if err := tc.unset(); err != nil {
			t.Fatalf("second unset: %v", err)
		}
	}
	if err := sb.SetGateway(nil); err != nil {
		t.Fatalf("SetGateway(nil): %v", err)
	}
	mustClass(t, sb.SetGateway(ip("fd00::1")), "bad request", types.IsBadRequest)
	mustClass(t, sb.SetGatewayIPv6(ip("10.0.0.1")), "bad request", types.IsBadRequest)
	mustClass(t, sb.SetGateway(ip("192.168.77.1")), "bad request", types.IsBadRequest)
	if sb.Gateway() != nil {
		t.Fatal("failed SetGateway recorded a gateway")
	}
	// A gateway whose interface is removed is gone with it; unset still succeeds.
	if err := sb.SetGateway(ip("10.1.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := sb.Interfaces()[0].Remove(); err != nil {
		t.Fatal(err)
	}
	if err := sb.UnsetGateway(); err != nil {
		t.Fatalf("UnsetGateway after its interface went: %v", err)
	}
}

func TestStaticRoutes(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "sr")
	h := nlIn(t, sb.Key())
	bornInside(t, sb, "sr-h", "sr-c")
	if err := sb.AddInterface("sr-c", "eth", WithAddress(cidr(t, "10.1.0.2/24")), WithIPv6Address(cidr(t, "fd00:1::2/64"))); err != nil {
		t.Fatal(err)
	}
	r4 := &types.StaticRoute{Destination: cidr(t, "10.60.0.0/16"), RouteType: types.NEXTHOP, NextHop: ip("10.1.0.1")}
	r6 := &types.StaticRoute{Destination: cidr(t, "fd00:60::/48"), RouteType: types.NEXTHOP, NextHop: ip("fd00:1::1")}
	for _, r := range []*types.StaticRoute{r4, r6} {
		if err := sb.AddStaticRoute(r); err != nil {
			t.Fatal(err)
		}
		if !hasRoute(t, h, r.Destination, 0, r.NextHop) {
			t.Fatalf("route to %s via %s missing", r.Destination, r.NextHop)
		}
		mustClass(t, sb.AddStaticRoute(r), "conflict", types.IsConflict)
	}
	if got := sb.StaticRoutes(); len(got) != 2 {
		t.Fatalf("StaticRoutes() = %v", got)
	}
	for _, r := range []*types.StaticRoute{r4, r6} {
		if err := sb.RemoveStaticRoute(r); err != nil {
			t.Fatal(err)
		}
		if hasRoute(t, h, r.Destination, 0, nil) {
			t.Fatalf("route to %s left after remove", r.Destination)
		}
		mustClass(t, sb.RemoveStaticRoute(r), "not found", types.IsNotFound)
	}
	for _, bad := range []*types.StaticRoute{
		nil,
		{RouteType: types.NEXTHOP, NextHop: ip("10.1.0.1")},
		{Destination: cidr(t, "10.70.0.0/16"), RouteType: types.CONNECTED},
		{Destination: cidr(t, "10.70.0.0/16"), RouteType: types.NEXTHOP},
		{Destination: cidr(t, "10.70.0.0/16"), RouteType: types.NEXTHOP, NextHop: ip("fd00:1::1")},
	} {
		mustClass(t, sb.AddStaticRoute(bad), "bad request", types.IsBadRequest)
	}
	mustClass(t, sb.AddStaticRoute(&types.StaticRoute{Destination: cidr(t, "10.70.0.0/16"), RouteType: types.NEXTHOP,
		NextHop: ip("192.168.99.1")}), "bad request", types.IsBadRequest)
	if len(sb.StaticRoutes()) != 0 {
		t.Fatal("failed adds recorded routes")
	}
}

// TestWithoutIPv6LinkLocal: an interface added with the option has no IPv6
// address at all once up; one added without it gets its link-local one.
func TestWithoutIPv6LinkLocal(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "noll")
	h := nlIn(t, sb.Key())
	bornInside(t, sb, "noll-h0", "noll-c0")
	bornInside(t, sb, "noll-h1", "noll-c1")
	if err := sb.AddInterface("noll-c0", "eth", WithAddress(cidr(t, "10.5.0.2/24")), WithoutIPv6LinkLocal()); err != nil {
		t.Fatal(err)
	}
	if err := sb.AddInterface("noll-c1", "eth", WithAddress(cidr(t, "10.6.0.2/24"))); err != nil {
		t.Fatal(err)
	}
	v6 := func(name string) []netlink.Addr {
		l, err := h.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		addrs, err := h.AddrList(l, netlink.FAMILY_V6)
		if err != nil {
			t.Fatal(err)
		}
		return addrs
	}
	// With carrier on both the other one gets its link-local address.
	for _, name := range []string{"noll-h0", "noll-h1"} {
		l, err := netlink.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "eth1's link-local address", func() bool {
		got := v6("eth1")
		return len(got) == 1 && got[0].IP.IsLinkLocalUnicast()
	})
	if got := v6("eth0"); len(got) != 0 {
		t.Fatalf("eth0 IPv6 addresses %v, want none", got)
	}
}

// TestNextName: NextName is the name AddInterface gives next, and a link
// born with it keeps it.
func TestNextName(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "next")
	h := nlIn(t, sb.Key())
	if got := sb.NextName("eth"); got != "eth0" {
		t.Fatalf("NextName in an empty sandbox: %q", got)
	}
	bornInside(t, sb, "next-h0", "next-c0")
	if err := sb.AddInterface("next-c0", "eth"); err != nil {
		t.Fatal(err)
	}
	name := sb.NextName("eth")
	if name != "eth1" {
		t.Fatalf("NextName after eth0: %q", name)
	}
	bornInside(t, sb, "next-h1", name)
	if err := sb.AddInterface(name, "eth"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.LinkByName("eth1"); err != nil {
		t.Fatalf("eth1: %v", err)
	}
	if got := sb.NextName("eth"); got != "eth2" {
		t.Fatalf("NextName after eth1: %q", got)
	}
}

func TestLinkLocalGatewayIPv6(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "llgw")
	h := nlIn(t, sb.Key())
	bornInside(t, sb, "ll1-h", "ll1-c")
	if err := sb.AddInterface("ll1-c", "eth", WithIPv6Address(cidr(t, "fe90::2/64"))); err != nil {
		t.Fatal(err)
	}
	gw := net.ParseIP("fe90::22")
	// One interface: the route goes out of it.
	if err := sb.SetGatewayIPv6(gw); err != nil {
		t.Fatalf("link-local gateway with one interface: %v", err)
	}
	eth0 := sb.Interfaces()[0].(*nwIface).index
	if !hasRoute(t, h, nil, eth0, gw) || !sb.GatewayIPv6().Equal(gw) {
		t.Fatal("default route via fe90::22 dev eth0 missing")
	}
	// Two interfaces: the plain form cannot choose, the Via form can.
	bornInside(t, sb, "ll2-h", "ll2-c")
	if err := sb.AddInterface("ll2-c", "eth", WithIPv6Address(cidr(t, "fd00:7::2/64"))); err != nil {
		t.Fatal(err)
	}
	err := sb.SetGatewayIPv6(net.ParseIP("fe80::1"))
	mustClass(t, err, "bad request", types.IsBadRequest)
	if !strings.Contains(err.Error(), "fe80::1") || !hasRoute(t, h, nil, eth0, gw) {
		t.Fatalf("refused gateway: %v (or the old route went)", err)
	}
	if err := sb.SetGatewayIPv6Via(net.ParseIP("fe80::1"), "eth1"); err != nil {
		t.Fatal(err)
	}
	eth1 := sb.Interfaces()[1].(*nwIface).index
	if !hasRoute(t, h, nil, eth1, net.ParseIP("fe80::1")) || hasRoute(t, h, nil, 0, gw) {
		t.Fatal("default route not replaced by fe80::1 dev eth1")
	}
	mustClass(t, sb.SetGatewayIPv6Via(net.ParseIP("fe80::1"), "eth9"), "not found", types.IsNotFound)
	// A global gateway ignores the interface name.
	if err := sb.SetGatewayIPv6Via(net.ParseIP("fd00:7::1"), "eth0"); err != nil || !hasRoute(t, h, nil, eth1, net.ParseIP("fd00:7::1")) {
		t.Fatalf("global gateway: %v", err)
	}
	if err := sb.UnsetGatewayIPv6(); err != nil || hasRoute(t, h, nil, 0, nil) {
		t.Fatalf("unset: %v", err)
	}
}
