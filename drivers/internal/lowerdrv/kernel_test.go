package lowerdrv_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// dualStack is the router's segment, IPv4 and IPv6.
func dualStack(t *testing.T) ([]driverapi.IPAMData, []driverapi.IPAMData) {
	return ipam(t, "10.150.0.0/24", "10.150.0.1/24"), ipam(t, "fd00:150::/64", "fd00:150::1/64")
}

// watchHost records the names and kinds of links created or changed in
// the host namespace until the returned stop is called.
func (e *env) watchHost() (stop func() []string) {
	e.t.Helper()
	ch := make(chan netlink.LinkUpdate, 256)
	done := make(chan struct{})
	if err := netlink.LinkSubscribeAt(e.host, ch, done); err != nil {
		e.t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	go func() {
		for u := range ch {
			if u.Header.Type == unix.RTM_NEWLINK {
				mu.Lock()
				got = append(got, u.Link.Attrs().Name+"/"+u.Link.Type()+"/"+u.Link.Attrs().Alias)
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		// A change made after the joins is the fence: their events came before.
		l, err := e.hnl.LinkByName("par0")
		must(e.t, err)
		must(e.t, e.hnl.LinkSetAlias(l, "fence"))
		testutils.Eventually(e.t, "fence event", 5*time.Second, func() error {
			mu.Lock()
			defer mu.Unlock()
			for _, s := range got {
				if s == "par0/veth/fence" {
					return nil
				}
			}
			return errStill
		})
		close(done)
		must(e.t, e.hnl.LinkSetAlias(l, ""))
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}

var errStill = errors.New("not yet")

func TestMacvlanBridgeModeBornInside(t *testing.T) {
	e := newEnv(t, false)
	before := e.links()
	v4, v6 := dualStack(t)
	must(t, e.mv.CreateNetwork("n1", opts("parent", "par0"), nil, v4, v6))
	stop := e.watchHost()
	a := e.run(e.mv, "n1", "ep1", "10.150.0.10/24", "fd00:150::10/64")
	b := e.run(e.mv, "n1", "ep2", "10.150.0.11/24", "fd00:150::11/64")
	events := stop()
	for _, ev := range events {
		if strings.Contains(ev, "/macvlan/") || strings.HasPrefix(ev, "eth") {
			t.Errorf("the host namespace saw a link of the join created: %s (all: %v)", ev, events)
		}
	}
	for _, c := range []*ctr{a, b} {
		if c.j.src != "eth0" || c.j.prefix != "eth" {
			t.Errorf("SetNames(%q, %q), want eth0 (the suggested name, born with it)", c.j.src, c.j.prefix)
		}
		l, err := c.nl.LinkByName("eth0")
		if err != nil {
			t.Fatal(err)
		}
		mv, ok := l.(*netlink.Macvlan)
		if !ok || mv.Mode != netlink.MACVLAN_MODE_BRIDGE || l.Attrs().HardwareAddr.String() != c.mac.String() {
			t.Errorf("interface %T %+v, want a bridge-mode macvlan with MAC %s", l, l.Attrs(), c.mac)
		}
		if !c.j.gw.Equal(routerIP) || !c.j.gw6.Equal(routerIP6) {
			t.Errorf("gateways %s %s, want the router's", c.j.gw, c.j.gw6)
		}
	}
	if a.mac.String() != "02:42:0a:96:00:0a" {
		t.Errorf("MAC %s, want one derived from 10.150.0.10", a.mac)
	}
	for _, ip := range []net.IP{b.ip, b.ip6, routerIP, routerIP6} {
		pings(t, a.h, ip)
	}
	pings(t, b.h, a.ip)
	pings(t, e.rtr, a.ip)
	for _, c := range []*ctr{a, b} {
		must(t, e.mv.Leave("n1", c.eid))
		must(t, e.mv.DeleteEndpoint("n1", c.eid))
	}
	must(t, e.mv.DeleteNetwork("n1"))
	if got := e.links(); got != before {
		t.Errorf("host namespace changed:\n%s\nwas:\n%s", got, before)
	}
}

func TestMacvlanPrivateMode(t *testing.T) {
	e := newEnv(t, false)
	must(t, e.mv.CreateNetwork("n1", opts("parent", "par0", "macvlan_mode", "private"), nil, ipam(t, "10.150.0.0/24", "10.150.0.1/24"), nil))
	a := e.run(e.mv, "n1", "ep1", "10.150.0.10/24", "")
	b := e.run(e.mv, "n1", "ep2", "10.150.0.11/24", "")
	l, err := a.nl.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if l.(*netlink.Macvlan).Mode != netlink.MACVLAN_MODE_PRIVATE {
		t.Errorf("mode %v", l.(*netlink.Macvlan).Mode)
	}
	pings(t, a.h, routerIP)
	pings(t, b.h, routerIP)
	noPing(t, a.h, b.ip)
	noPing(t, b.h, a.ip)
}

func TestTwoNetworksOnOneParent(t *testing.T) {
	e := newEnv(t, false)
	rl, err := e.rnl.LinkByName("rtr0")
	if err != nil {
		t.Fatal(err)
	}
	must(t, e.rnl.AddrAdd(rl, &netlink.Addr{IPNet: cidr(t, "10.151.0.1/24")}))
	before := e.links()
	must(t, e.mv.CreateNetwork("n1", opts("parent", "par0"), nil, ipam(t, "10.150.0.0/24", "10.150.0.1/24"), nil))
	must(t, e.mv.CreateNetwork("n2", opts("parent", "par0"), nil, ipam(t, "10.151.0.0/24", "10.151.0.1/24"), nil))
	a := e.run(e.mv, "n1", "ep1", "10.150.0.10/24", "")
	b := e.run(e.mv, "n2", "ep2", "10.151.0.10/24", "")
	if !b.j.gw.Equal(net.ParseIP("10.151.0.1")) {
		t.Errorf("gateway of n2 %s", b.j.gw)
	}
	pings(t, a.h, routerIP)
	pings(t, b.h, net.ParseIP("10.151.0.1"))
	// Between the subnets through the router, which forwards.
	testutils.InNS(t, e.rtr, func() error { return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0) })
	pings(t, a.h, b.ip)
	for _, x := range []struct{ nid, eid string }{{"n1", "ep1"}, {"n2", "ep2"}} {
		must(t, e.mv.Leave(x.nid, x.eid))
		must(t, e.mv.DeleteEndpoint(x.nid, x.eid))
		must(t, e.mv.DeleteNetwork(x.nid))
	}
	if got := e.links(); got != before {
		t.Errorf("host namespace changed:\n%s\nwas:\n%s", got, before)
	}
}

func TestBadInputCreatesNothing(t *testing.T) {
	e := newEnv(t, false)
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0", TxQLen: -1}}
	must(t, e.hnl.LinkAdd(br))
	e.veth("port0", "rport0")
	port, _ := e.hnl.LinkByName("port0")
	must(t, e.hnl.LinkSetMaster(port, br))
	e.veth("par1", "rtr1")
	// Network n0 holds par0 in bridge mode, 10.150.0.0/24.
	must(t, e.mv.CreateNetwork("n0", opts("parent", "par0"), nil, ipam(t, "10.150.0.0/24", "10.150.0.1/24"), nil))
	before := e.links()
	v4 := ipam(t, "10.160.0.0/24", "10.160.0.1/24")
	for _, tc := range []struct {
		name string
		d    driverapi.Driver
		opts map[string]interface{}
		v4   []driverapi.IPAMData
		is   func(error) bool
		want []string
	}{
		{"missing parent", e.mv, opts("parent", "nope0"), v4, types.IsNotFound, []string{"nope0"}},
		{"loopback", e.mv, opts("parent", "lo"), v4, types.IsBadRequest, []string{"lo", "loopback"}},
		{"bridge port", e.mv, opts("parent", "port0"), v4, types.IsBadRequest, []string{"port0", "port"}},
		{"unknown mode", e.mv, opts("parent", "par1", "macvlan_mode", "l2"), v4, types.IsBadRequest, []string{`"l2"`, "macvlan_mode"}},
		{"unknown ipvlan mode", e.iv, opts("parent", "par1", "ipvlan_mode", "bridge"), v4, types.IsBadRequest, []string{`"bridge"`, "ipvlan_mode"}},
		{"VLAN 0", e.mv, opts("parent", "par1.0"), v4, types.IsBadRequest, []string{"par1.0", "VLAN ID 0"}},
		{"VLAN 4095", e.mv, opts("parent", "par1.4095"), v4, types.IsBadRequest, []string{"par1.4095", "4095"}},
		{"VLAN not a number", e.iv, opts("parent", "par1.ten"), v4, types.IsBadRequest, []string{"par1.ten", `"ten"`}},
		{"name too long", e.mv, opts("parent", "averyveryverylong"), v4, types.IsBadRequest, []string{"averyveryverylong", "15"}},
		{"VLAN name too long", e.mv, opts("parent", "par1.1000000000"), v4, types.IsBadRequest, []string{"par1.1000000000"}},
		{"no subnet", e.mv, opts("parent", "par1"), nil, types.IsBadRequest, []string{"needs a subnet"}},
		{"null IPAM pool", e.mv, opts("parent", "par1"), ipam(t, "0.0.0.0/0", ""), types.IsBadRequest, []string{"needs a subnet", "0.0.0.0/0"}},
		{"same parent and subnet", e.mv, opts("parent", "par0"), ipam(t, "10.150.0.0/25", "10.150.0.1/25"), types.IsConflict,
			[]string{"par0", "10.150.0.0/25", "n0", "nbad"}},
		{"same parent, other mode", e.mv, opts("parent", "par0", "macvlan_mode", "vepa"), v4, types.IsConflict,
			[]string{"par0", "n0", "bridge", "nbad", "vepa"}},
		{"ipvlan on a macvlan parent", e.iv, opts("parent", "par0"), v4, types.IsConflict,
			[]string{"par0", "macvlan network n0", "ipvlan network nbad"}},
		{"mode not a string", e.mv, map[string]interface{}{"com.docker.network.generic": map[string]interface{}{"parent": "par1", "macvlan_mode": 3}}, v4,
			types.IsBadRequest, []string{"macvlan_mode"}},
	} {
		err := tc.d.CreateNetwork("nbad", tc.opts, nil, tc.v4, nil)
		if err == nil || !tc.is(err) {
			t.Errorf("%s: CreateNetwork = %v, want a typed error", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not name %q", tc.name, err, w)
			}
		}
		if err := tc.d.CreateEndpoint("nbad", "e", &fakeIf{addr: cidr(t, "10.160.0.2/24")}, nil); !types.IsNotFound(err) {
			t.Errorf("%s: the network exists after its refusal: %v", tc.name, err)
		}
	}
	if got := e.links(); got != before {
		t.Errorf("host namespace changed:\n%s\nwas:\n%s", got, before)
	}
	// An ipvlan network on a parent of its own is accepted (no kernel work yet).
	must(t, e.iv.CreateNetwork("n3", opts("parent", "par1", "ipvlan_mode", "l3s"), nil, v4, nil))
	// ... and now refuses macvlan there.
	if err := e.mv.CreateNetwork("n4", opts("parent", "par1"), nil, ipam(t, "10.170.0.0/24", ""), nil); !types.IsConflict(err) ||
		!strings.Contains(err.Error(), "ipvlan network n3 (mode l3s)") {
		t.Errorf("macvlan on an ipvlan parent: %v", err)
	}
	must(t, e.iv.DeleteNetwork("n3"))
	// Endpoint input.
	for _, tc := range []struct {
		name string
		d    driverapi.Driver
		nid  string
		ifi  *fakeIf
		want string
	}{
		{"outside the subnet", e.mv, "n0", &fakeIf{addr: cidr(t, "10.9.0.2/24")}, "10.9.0.2/24"},
		{"no address", e.mv, "n0", &fakeIf{}, "no address"},
		{"multicast MAC", e.mv, "n0", &fakeIf{addr: cidr(t, "10.150.0.5/24"), mac: net.HardwareAddr{1, 2, 3, 4, 5, 6}}, "01:02:03:04:05:06"},
	} {
		if err := tc.d.CreateEndpoint(tc.nid, "ebad", tc.ifi, nil); !types.IsBadRequest(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: CreateEndpoint = %v, want a BadRequest naming %q", tc.name, err, tc.want)
		}
	}
	must(t, e.iv.CreateNetwork("n5", opts("parent", "par1"), nil, v4, nil))
	if err := e.iv.CreateEndpoint("n5", "ebad", &fakeIf{addr: cidr(t, "10.160.0.5/24"), mac: net.HardwareAddr{2, 2, 3, 4, 5, 6}}, nil); !types.IsBadRequest(err) ||
		!strings.Contains(err.Error(), "02:02:03:04:05:06") {
		t.Errorf("ipvlan endpoint with a MAC: %v", err)
	}
}

func TestExternalKeyOrder(t *testing.T) {
	e := newEnv(t, false)
	must(t, e.mv.CreateNetwork("n1", opts("parent", "par0"), nil, ipam(t, "10.150.0.0/24", "10.150.0.1/24"), nil))
	before := e.links()
	key := filepath.Join(t.TempDir(), "not-yet")
	// Join before the namespace exists, then Leave: nothing left.
	ifi := &fakeIf{addr: cidr(t, "10.150.0.20/24")}
	must(t, e.mv.CreateEndpoint("n1", "ep1", ifi, nil))
	j := &fakeJoin{}
	stop := e.watchHost()
	must(t, e.mv.Join("n1", "ep1", key, j, nil))
	// The watch of the born-inside test sees a link made in the host namespace.
	if events := stop(); !strings.Contains(strings.Join(events, " "), j.src+"/macvlan/") {
		t.Errorf("no event of %s in %v", j.src, events)
	}
	l, err := e.hnl.LinkByName(j.src)
	if err != nil || l.Type() != "macvlan" || !strings.HasPrefix(j.src, "cnmm") {
		t.Fatalf("interface %q for a sandbox without namespace: %v %v", j.src, l, err)
	}
	must(t, e.mv.Leave("n1", "ep1"))
	if got := e.links(); got != before {
		t.Errorf("Leave before SetKey left:\n%s\nwas:\n%s", got, before)
	}
	// Join, then the sandbox takes the interface in (SetKey): traffic.
	c := &ctr{eid: "ep1", j: &fakeJoin{}}
	must(t, e.mv.Join("n1", "ep1", key, c.j, nil))
	c.path, c.h = testutils.NewNS(t, "late")
	if c.nl, err = netlink.NewHandleAt(c.h); err != nil {
		t.Fatal(err)
	}
	defer c.nl.Close()
	hl, err := e.hnl.LinkByName(c.j.src)
	if err != nil {
		t.Fatal(err)
	}
	must(t, e.hnl.LinkSetNsFd(hl, int(c.h)))
	c.configure(t, ifi)
	pings(t, c.h, routerIP)
	must(t, e.mv.Leave("n1", "ep1"))
	must(t, e.mv.DeleteEndpoint("n1", "ep1"))
	if got := e.links(); got != before {
		t.Errorf("host namespace changed:\n%s\nwas:\n%s", got, before)
	}
}

func TestRestartReadopts(t *testing.T) {
	e := newEnv(t, true)
	before := e.links()
	must(t, e.mv.CreateNetwork("n1", opts("parent", "par0", "macvlan_mode", "bridge"), nil, ipam(t, "10.150.0.0/24", "10.150.0.1/24"), nil))
	a := e.run(e.mv, "n1", "ep1", "10.150.0.10/24", "")
	b := e.run(e.mv, "n1", "ep2", "10.150.0.11/24", "")
	// A left-over interface of a join whose sandbox never came.
	must(t, e.mv.CreateEndpoint("n1", "ep3", &fakeIf{addr: cidr(t, "10.150.0.12/24")}, nil))
	must(t, e.mv.Join("n1", "ep3", filepath.Join(t.TempDir(), "never"), &fakeJoin{}, nil))
	e.restart()
	pings(t, a.h, b.ip)
	pings(t, a.h, routerIP)
	// The claim came back with the network.
	if err := e.iv.CreateNetwork("n2", opts("parent", "par0"), nil, ipam(t, "10.160.0.0/24", ""), nil); !types.IsConflict(err) {
		t.Errorf("ipvlan on the restored macvlan parent: %v", err)
	}
	// Endpoints came back: a leaves, c joins anew.
	must(t, e.mv.Leave("n1", "ep1"))
	must(t, e.mv.DeleteEndpoint("n1", "ep1"))
	c := e.run(e.mv, "n1", "ep4", "10.150.0.13/24", "")
	pings(t, c.h, b.ip)
	for _, eid := range []string{"ep2", "ep3", "ep4"} {
		must(t, e.mv.Leave("n1", eid))
		must(t, e.mv.DeleteEndpoint("n1", eid))
	}
	must(t, e.mv.DeleteNetwork("n1"))
	if got := e.links(); got != before {
		t.Errorf("host namespace changed:\n%s\nwas:\n%s", got, before)
	}
	e.restart()
	if err := e.mv.CreateEndpoint("n1", "ep9", &fakeIf{addr: cidr(t, "10.150.0.9/24")}, nil); !types.IsNotFound(err) {
		t.Errorf("a deleted network came back: %v", err)
	}
}
