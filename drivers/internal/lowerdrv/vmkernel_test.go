package lowerdrv_test

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// The tests of this file need link types this project's CI kernel may
// lack (ipvlan, 802.1q, dummy): they skip where the kernel has none and
// run in the VM harness.

func TestIpvlanL2(t *testing.T) {
	testutils.RequireLinkType(t, "ipvlan")
	e := newEnv(t, false)
	before := e.links()
	v4, v6 := dualStack(t)
	must(t, e.iv.CreateNetwork("n1", opts("parent", "par0"), nil, v4, v6))
	a := e.run(e.iv, "n1", "ep1", "10.150.0.10/24", "fd00:150::10/64")
	b := e.run(e.iv, "n1", "ep2", "10.150.0.11/24", "fd00:150::11/64")
	l, err := a.nl.LinkByName("eth0")
	must(t, err)
	par, err := e.hnl.LinkByName("par0")
	must(t, err)
	if iv, ok := l.(*netlink.IPVlan); !ok || iv.Mode != netlink.IPVLAN_MODE_L2 || l.Attrs().HardwareAddr.String() != par.Attrs().HardwareAddr.String() {
		t.Errorf("interface %T %+v, want an l2 ipvlan with the parent's MAC", l, l.Attrs())
	}
	if !a.j.gw.Equal(routerIP) || !a.j.gw6.Equal(routerIP6) {
		t.Errorf("gateways %s %s", a.j.gw, a.j.gw6)
	}
	for _, ip := range []net.IP{b.ip, b.ip6, routerIP, routerIP6} {
		pings(t, a.h, ip)
	}
	pings(t, e.rtr, b.ip)
	for _, c := range []*ctr{a, b} {
		must(t, e.iv.Leave("n1", c.eid))
		must(t, e.iv.DeleteEndpoint("n1", c.eid))
	}
	must(t, e.iv.DeleteNetwork("n1"))
	if got := e.links(); got != before {
		t.Errorf("host namespace changed:\n%s\nwas:\n%s", got, before)
	}
}

func TestIpvlanL3(t *testing.T) {
	testutils.RequireLinkType(t, "ipvlan")
	e := newEnv(t, false)
	// Two subnets on one l3 network; the router reaches them through the host.
	v4 := append(ipam(t, "10.152.0.0/24", ""), ipam(t, "10.153.0.0/24", "")...)
	must(t, e.iv.CreateNetwork("n1", opts("parent", "par0", "ipvlan_mode", "l3"), nil, v4, nil))
	a := e.run(e.iv, "n1", "ep1", "10.152.0.10/24", "")
	b := e.run(e.iv, "n1", "ep2", "10.153.0.10/24", "")
	if a.j.gw != nil || !a.j.noGWService || len(a.j.routes) != 1 || a.j.routes[0].String() != "0.0.0.0/0" {
		t.Errorf("l3 join: gateway %s, routes %v, gateway service disabled %t", a.j.gw, a.j.routes, a.j.noGWService)
	}
	// Routed by the parent's ipvlan port: no ARP between them, no gateway.
	pings(t, a.h, b.ip)
	pings(t, b.h, a.ip)
	// The router reaches the containers through the host's parent address.
	par, err := e.hnl.LinkByName("par0")
	must(t, err)
	must(t, e.hnl.AddrAdd(par, &netlink.Addr{IPNet: cidr(t, "10.150.0.2/24"), Flags: unix.IFA_F_NODAD}))
	rl, err := e.rnl.LinkByName("rtr0")
	must(t, err)
	must(t, e.rnl.RouteAdd(&netlink.Route{Dst: cidr(t, "10.152.0.0/24"), Gw: net.ParseIP("10.150.0.2"), LinkIndex: rl.Attrs().Index}))
	pings(t, e.rtr, a.ip)
}

func TestVLANParent(t *testing.T) {
	testutils.RequireLinkType(t, "vlan")
	e := newEnv(t, false)
	// The router's side of VLAN 10 holds the gateway; VLAN 20 a host that
	// must not be reached.
	rl, err := e.rnl.LinkByName("rtr0")
	must(t, err)
	// The router answers ARP only on the link that holds the address, so
	// 10.154.0.2 (VLAN 20) is not reachable through VLAN 10 by its ARP.
	testutils.InNS(t, e.rtr, func() error {
		return os.WriteFile("/proc/sys/net/ipv4/conf/all/arp_ignore", []byte("1"), 0o644)
	})
	for _, v := range []struct {
		vid  int
		addr string
	}{{10, "10.154.0.1/24"}, {20, "10.154.0.2/24"}} {
		vl := &netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "rtr0." + itoa(v.vid), ParentIndex: rl.Attrs().Index, TxQLen: -1}, VlanId: v.vid}
		must(t, e.rnl.LinkAdd(vl))
		l, err := e.rnl.LinkByName(vl.Name)
		must(t, err)
		must(t, e.rnl.AddrAdd(l, &netlink.Addr{IPNet: cidr(t, v.addr), Flags: unix.IFA_F_NODAD}))
		must(t, e.rnl.LinkSetUp(l))
	}
	before := e.links()
	must(t, e.mv.CreateNetwork("n1", opts("parent", "par0.10"), nil, ipam(t, "10.154.0.0/24", "10.154.0.1/24"), nil))
	sub, err := e.hnl.LinkByName("par0.10")
	must(t, err)
	if v, ok := sub.(*netlink.Vlan); !ok || v.VlanId != 10 || sub.Attrs().Alias != "cnmkit-macvlan" {
		t.Fatalf("sub-interface %T %+v", sub, sub.Attrs())
	}
	// A second network shares the sub-interface.
	must(t, e.mv.CreateNetwork("n2", opts("parent", "par0.10"), nil, ipam(t, "10.155.0.0/24", ""), nil))
	a := e.run(e.mv, "n1", "ep1", "10.154.0.10/24", "")
	pings(t, a.h, net.ParseIP("10.154.0.1"))
	noPing(t, a.h, net.ParseIP("10.154.0.2"))
	must(t, e.mv.Leave("n1", "ep1"))
	must(t, e.mv.DeleteEndpoint("n1", "ep1"))
	must(t, e.mv.DeleteNetwork("n1"))
	if _, err := e.hnl.LinkByName("par0.10"); err != nil {
		t.Errorf("sub-interface gone while n2 uses it: %v", err)
	}
	// A crash: the drivers go without deleting n2; a new driver without its
	// record (no store here) finds the sub-interface unclaimed and removes it.
	e.restart()
	if got := e.links(); got != before {
		t.Errorf("host namespace after the restart:\n%s\nwas:\n%s", got, before)
	}
}

func TestInternalNetworkOnDummy(t *testing.T) {
	testutils.RequireLinkType(t, "dummy")
	e := newEnv(t, true)
	before := e.links()
	must(t, e.mv.CreateNetwork("0123456789abcdef", nil, nil, ipam(t, "10.156.0.0/24", "10.156.0.1/24"), nil))
	dl, err := e.hnl.LinkByName("cnm-dm-01234567")
	must(t, err)
	if dl.Type() != "dummy" || dl.Attrs().Alias != "cnmkit-macvlan" {
		t.Fatalf("dummy %T %+v", dl, dl.Attrs())
	}
	a := e.run(e.mv, "0123456789abcdef", "ep1", "10.156.0.10/24", "")
	b := e.run(e.mv, "0123456789abcdef", "ep2", "10.156.0.11/24", "")
	if a.j.gw != nil {
		t.Errorf("internal network gateway %s", a.j.gw)
	}
	pings(t, a.h, b.ip)
	noPing(t, a.h, routerIP)
	e.restart()
	if _, err := e.hnl.LinkByName("cnm-dm-01234567"); err != nil {
		t.Fatalf("restart removed the dummy of a stored network: %v", err)
	}
	pings(t, b.h, a.ip)
	for _, c := range []*ctr{a, b} {
		must(t, e.mv.Leave("0123456789abcdef", c.eid))
		must(t, e.mv.DeleteEndpoint("0123456789abcdef", c.eid))
	}
	must(t, e.mv.DeleteNetwork("0123456789abcdef"))
	if got := e.links(); got != before {
		t.Errorf("host namespace changed:\n%s\nwas:\n%s", got, before)
	}
	if strings.Contains(e.links(), "cnm-dm") {
		t.Error("dummy left")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
