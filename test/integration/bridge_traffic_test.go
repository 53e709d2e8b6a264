package integration

import (
	"net"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestBridgeTwoContainers(t *testing.T) { eachFirewall(t, testBridgeTwoContainers) }

func testBridgeTwoContainers(t *testing.T, drv options.Generic) {
	e := newBridgeEnv(t, drv)
	n := e.network("net1", "10.120.0.0/24", nil)
	a, b := e.run(n, "a"), e.run(n, "b")
	reach(t, a.h, b.h, b.ip, 7001)
	reach(t, b.h, a.h, a.ip, 7002)
}

func TestBridgeIsolation(t *testing.T) { eachFirewall(t, testBridgeIsolation) }

func testBridgeIsolation(t *testing.T, drv options.Generic) {
	e := newBridgeEnv(t, drv)
	n1 := e.network("net1", "10.121.0.0/24", nil)
	n2 := e.network("net2", "10.122.0.0/24", nil)
	a, b := e.run(n1, "a"), e.run(n1, "b")
	c := e.run(n2, "c")
	reach(t, a.h, b.h, b.ip, 7001) // the path works
	reach(t, c.h, e.host, net.ParseIP("10.122.0.1"), 7002)
	unreachable(t, c.h, a.h, a.ip, 7003)
	unreachable(t, a.h, c.h, c.ip, 7004)
	// Once c joins net1 it reaches a and b.
	e.join(c, n1)
	reach(t, c.h, a.h, a.ip, 7005)
	reach(t, c.h, b.h, b.ip, 7006)
}

func TestBridgeICCDisabled(t *testing.T) { eachFirewall(t, testBridgeICCDisabled) }

func testBridgeICCDisabled(t *testing.T, drv options.Generic) {
	e := newBridgeEnv(t, drv)
	n := e.network("net1", "10.123.0.0/24", map[string]string{"com.docker.network.bridge.enable_icc": "false"})
	a, b := e.run(n, "a"), e.run(n, "b")
	gw := net.ParseIP("10.123.0.1")
	reach(t, a.h, e.host, gw, 7001)
	reach(t, b.h, e.host, gw, 7002)
	unreachable(t, a.h, b.h, b.ip, 7003)
	unreachable(t, b.h, a.h, a.ip, 7004)
}

func TestBridgeInternal(t *testing.T) { eachFirewall(t, testBridgeInternal) }

func testBridgeInternal(t *testing.T, drv options.Generic) {
	e := newBridgeEnv(t, drv)
	out := e.outside("10.124.0.0/24")
	n := e.network("int", "10.124.0.0/24", nil, libnetwork.NetworkOptionInternalNetwork())
	a, b := e.run(n, "a"), e.run(n, "b")
	reach(t, a.h, b.h, b.ip, 7001)
	reach(t, b.h, a.h, a.ip, 7002)
	reach(t, out, e.host, net.ParseIP("10.99.0.1"), 7003) // the outside is there
	// a has no default route; give it one to show the firewall holds.
	nl, err := netlink.NewHandleAt(a.h)
	must(t, err)
	defer nl.Close()
	l, err := nl.LinkByName("eth0")
	must(t, err)
	must(t, nl.RouteAdd(&netlink.Route{Dst: mustCIDR(t, "10.99.0.0/24"), Gw: net.ParseIP("10.124.0.1"), LinkIndex: l.Attrs().Index}))
	unreachable(t, a.h, out, net.ParseIP("10.99.0.2"), 7004)
	unreachable(t, out, a.h, a.ip, 7005)
}

func TestBridgeMasquerade(t *testing.T) { eachFirewall(t, testBridgeMasquerade) }

func testBridgeMasquerade(t *testing.T, drv options.Generic) {
	e := newBridgeEnv(t, drv)
	out := e.outside("") // no route back to the containers: only NAT brings replies
	n := e.network("net1", "10.125.0.0/24", nil)
	a := e.run(n, "a")
	serveTCP(t, out, "10.99.0.2:7001", "outside")
	var seen string
	eventually(t, "tcp to the outside", func() (err error) {
		seen, _, err = ask(a.h, "tcp", "10.99.0.2:7001", time.Second)
		return err
	})
	if seen != "10.99.0.1" {
		t.Fatalf("the outside saw %s, want the host-side address 10.99.0.1", seen)
	}
}

func TestBridgeIPv6(t *testing.T) { eachFirewall(t, testBridgeIPv6) }

func testBridgeIPv6(t *testing.T, drv options.Generic) {
	e := newBridgeEnv(t, drv)
	n, err := e.c.NewNetwork("bridge", "net6", "",
		libnetwork.NetworkOptionEnableIPv6(true),
		libnetwork.NetworkOptionIpam("default", "",
			[]*libnetwork.IpamConf{{PreferredPool: "10.126.0.0/24"}},
			[]*libnetwork.IpamConf{{PreferredPool: "fd00:126::/64"}}, nil))
	must(t, err)
	a, b := e.run(n, "a"), e.run(n, "b")
	if a.ip6 == nil || b.ip6 == nil {
		t.Fatalf("no IPv6 addresses: %v %v", a.ip6, b.ip6)
	}
	reach(t, a.h, b.h, b.ip6, 7001)
	reach(t, b.h, a.h, a.ip6, 7002)
	if info, err := a.eps[0].DriverInfo(); err != nil || info[netlabel.MacAddress] == nil {
		t.Fatalf("driver info %v %v", info, err)
	}
}

// A link-local IPv6 gateway (libnetwork's fe90::/64 with gateway fe90::22):
// the default route needs its interface. Traffic to a host address off the
// link goes through it.
func TestBridgeLinkLocalGatewayIPv6(t *testing.T) { eachFirewall(t, testBridgeLinkLocalGatewayIPv6) }

func testBridgeLinkLocalGatewayIPv6(t *testing.T, drv options.Generic) {
	e := newBridgeEnv(t, drv)
	n, err := e.c.NewNetwork("bridge", "ll6", "",
		libnetwork.NetworkOptionEnableIPv6(true),
		libnetwork.NetworkOptionDriverOpts(map[string]string{"com.docker.network.bridge.name": "cnmll6"}),
		libnetwork.NetworkOptionIpam("default", "",
			[]*libnetwork.IpamConf{{PreferredPool: "10.127.0.0/24"}},
			[]*libnetwork.IpamConf{{PreferredPool: "fe90::/64", Gateway: "fe90::22"}}, nil))
	must(t, err)
	a := e.run(n, "a")
	if a.ip6 == nil || !a.ip6.IsLinkLocalUnicast() {
		t.Fatalf("container address %v is not in fe90::/64", a.ip6)
	}
	h, err := netlink.NewHandleAt(a.h)
	must(t, err)
	defer h.Close()
	eth0, err := h.LinkByName("eth0")
	must(t, err)
	routes, err := h.RouteList(nil, netlink.FAMILY_V6)
	must(t, err)
	found := false
	for _, r := range routes {
		if (r.Dst == nil || r.Dst.IP.IsUnspecified()) && r.Gw.Equal(net.ParseIP("fe90::22")) && r.LinkIndex == eth0.Attrs().Index {
			found = true
		}
	}
	if !found {
		t.Fatalf("no default route via fe90::22 dev eth0 in %v", routes)
	}
	// A host address on no link of the network: reached only by the default route.
	lo, err := e.hnl.LinkByName("lo")
	must(t, err)
	// lo up and no DAD: the address is usable at once.
	must(t, e.hnl.LinkSetUp(lo))
	must(t, e.hnl.AddrAdd(lo, &netlink.Addr{IPNet: mustCIDR(t, "fd00:99::1/128"), Flags: unix.IFA_F_NODAD}))
	serveTCP(t, e.host, "[fd00:99::1]:7101", "host")
	var seen string
	eventually(t, "tcp to fd00:99::1 via fe90::22", func() (err error) {
		seen, _, err = ask(a.h, "tcp", "[fd00:99::1]:7101", time.Second)
		return err
	})
	if !net.ParseIP(seen).Equal(a.ip6) {
		t.Fatalf("the host saw %s, want the container's %s", seen, a.ip6)
	}
	a.remove(t)
}
