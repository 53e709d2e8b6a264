package bridge

import (
	"github.com/cnmkit/libnetwork/internal/testutils"
	"net"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/options"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// blockedWait is how long a probe that must fail waits.
const blockedWait = 700 * time.Millisecond

// reachable polls until ICMP and TCP from c reach ip (a TCP echo server is
// started in srv on ip:port).
func reachable(t *testing.T, from netns.NsHandle, srv netns.NsHandle, ip string, port string) {
	t.Helper()
	listen(t, srv, net.JoinHostPort(ip, port))
	eventually(t, "ping "+ip, func() error { return testutils.Ping(from, net.ParseIP(ip), 300*time.Millisecond) })
	eventually(t, "tcp "+ip, func() error { _, err := dial(from, net.JoinHostPort(ip, port), time.Second); return err })
}

// blocked checks that neither ICMP nor TCP from c reach ip.
func blocked(t *testing.T, from netns.NsHandle, srv netns.NsHandle, ip string, port string) {
	t.Helper()
	listen(t, srv, net.JoinHostPort(ip, port))
	if err := testutils.Ping(from, net.ParseIP(ip), blockedWait); err == nil {
		t.Errorf("ping %s got through", ip)
	}
	if _, err := dial(from, net.JoinHostPort(ip, port), blockedWait); err == nil {
		t.Errorf("tcp %s:%s got through", ip, port)
	}
}

func TestTrafficOnOneBridge(t *testing.T) { eachBackend(t, testTrafficOnOneBridge) }

func testTrafficOnOneBridge(t *testing.T, cfg Configuration) {
	e := newEnv(t, cfg, nil)
	e.createNet("n1", nil, "10.80.0.0/24", "10.80.0.1/24")
	a := e.run("a", "n1", "e-a", "10.80.0.2/24")
	b := e.run("b", "n1", "e-b", "10.80.0.3/24")
	reachable(t, a.h, b.h, "10.80.0.3", "7001")
	reachable(t, b.h, a.h, "10.80.0.2", "7002")
	reachable(t, a.h, e.hostH, "10.80.0.1", "7003")
}

func TestICCOff(t *testing.T) { eachBackend(t, testICCOff) }

func testICCOff(t *testing.T, cfg Configuration) {
	e := newEnv(t, cfg, nil)
	e.createNet("n1", options.Generic{"EnableICC": false}, "10.81.0.0/24", "10.81.0.1/24")
	a := e.run("a", "n1", "e-a", "10.81.0.2/24")
	b := e.run("b", "n1", "e-b", "10.81.0.3/24")
	// The gateway answers both (which also shows both links work).
	reachable(t, a.h, e.hostH, "10.81.0.1", "7001")
	reachable(t, b.h, e.hostH, "10.81.0.1", "7002")
	blocked(t, a.h, b.h, "10.81.0.3", "7003")
	blocked(t, b.h, a.h, "10.81.0.2", "7004")
}

func TestIsolationBetweenBridges(t *testing.T) { eachBackend(t, testIsolationBetweenBridges) }

func testIsolationBetweenBridges(t *testing.T, cfg Configuration) {
	e := newEnv(t, cfg, nil)
	e.createNet("n1", nil, "10.82.0.0/24", "10.82.0.1/24")
	e.createNet("n2", nil, "10.83.0.0/24", "10.83.0.1/24")
	a := e.run("a", "n1", "e-a", "10.82.0.2/24")
	c := e.run("c", "n2", "e-c", "10.83.0.2/24")
	reachable(t, a.h, e.hostH, "10.82.0.1", "7001")
	reachable(t, c.h, e.hostH, "10.83.0.1", "7002")
	blocked(t, c.h, a.h, "10.82.0.2", "7003")
	blocked(t, a.h, c.h, "10.83.0.2", "7004")

	// c joins n1 too: it reaches a through n1.
	if err := e.d.CreateEndpoint("n1", "e-c1", &fakeIf{addr: cidr(t, "10.82.0.9/24")}, nil); err != nil {
		t.Fatal(err)
	}
	j := &fakeJoin{}
	if err := e.d.Join("n1", "e-c1", c.path, j, nil); err != nil {
		t.Fatal(err)
	}
	l, err := c.nl.LinkByName(j.src)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.nl.AddrAdd(l, &netlink.Addr{IPNet: cidr(t, "10.82.0.9/24")}); err != nil {
		t.Fatal(err)
	}
	if err := c.nl.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
	reachable(t, c.h, a.h, "10.82.0.2", "7005")
}

// outside makes an "outside world" namespace joined to the test's host
// namespace by a veth: host side 10.99.0.1/24, outside side 10.99.0.2/24.
func (e *env) outside(t *testing.T, routeToPool string) netns.NsHandle {
	t.Helper()
	path, h, onl := newSandboxNS(t, "outside")
	_ = path
	la := netlink.NewLinkAttrs()
	la.Name = "cnmtout"
	// An index unlike its peer's: a veth whose peer has the same ifindex
	// gets its carrier events late (linkwatch treats them as not urgent).
	la.Index = 4242
	if err := e.nl.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "out0", PeerNamespace: netlink.NsFd(int(h))}); err != nil {
		t.Fatal(err)
	}
	hl, err := e.nl.LinkByName("cnmtout")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.nl.AddrAdd(hl, &netlink.Addr{IPNet: cidr(t, "10.99.0.1/24")}); err != nil {
		t.Fatal(err)
	}
	if err := e.nl.LinkSetUp(hl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.nl.LinkDel(hl) })
	ol, err := onl.LinkByName("out0")
	if err != nil {
		t.Fatal(err)
	}
	if err := onl.AddrAdd(ol, &netlink.Addr{IPNet: cidr(t, "10.99.0.2/24")}); err != nil {
		t.Fatal(err)
	}
	if err := onl.LinkSetUp(ol); err != nil {
		t.Fatal(err)
	}
	if routeToPool != "" {
		if err := onl.RouteAdd(&netlink.Route{Dst: cidr(t, routeToPool), Gw: ip4("10.99.0.1"), LinkIndex: ol.Attrs().Index}); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func TestMasquerade(t *testing.T) { eachBackend(t, testMasquerade) }

func testMasquerade(t *testing.T, cfg Configuration) {
	e := newEnv(t, cfg, nil)
	out := e.outside(t, "") // no route back to the pool: replies need the NAT
	e.createNet("n1", nil, "10.84.0.0/24", "10.84.0.1/24")
	a := e.run("a", "n1", "e-a", "10.84.0.2/24")
	listen(t, out, "10.99.0.2:7001")
	var seen string
	eventually(t, "tcp to the outside", func() (err error) {
		seen, err = dial(a.h, "10.99.0.2:7001", time.Second)
		return err
	})
	if seen != "10.99.0.1" {
		t.Fatalf("outside server saw %s, want the host-side address 10.99.0.1", seen)
	}
}

func TestInternalNetwork(t *testing.T) { eachBackend(t, testInternalNetwork) }

func testInternalNetwork(t *testing.T, cfg Configuration) {
	e := newEnv(t, cfg, nil)
	out := e.outside(t, "10.85.0.0/24")
	e.createNet("int", options.Generic{"Internal": true}, "10.85.0.0/24", "10.85.0.1/24")
	a := e.run("a", "int", "e-a", "10.85.0.2/24")
	b := e.run("b", "int", "e-b", "10.85.0.3/24")
	if a.j.gw != nil {
		t.Fatalf("internal network gave gateway %s", a.j.gw)
	}
	reachable(t, a.h, b.h, "10.85.0.3", "7001")
	reachable(t, a.h, e.hostH, "10.85.0.1", "7002")
	// Even with a route the firewall keeps the network in.
	l, err := a.nl.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.nl.RouteAdd(&netlink.Route{Dst: cidr(t, "10.99.0.0/24"), Gw: ip4("10.85.0.1"), LinkIndex: l.Attrs().Index}); err != nil {
		t.Fatal(err)
	}
	reachable(t, out, e.hostH, "10.99.0.1", "7003") // the outside namespace works
	blocked(t, a.h, out, "10.99.0.2", "7004")
	blocked(t, out, a.h, "10.85.0.2", "7005")
}

func TestIPv6Traffic(t *testing.T) { eachBackend(t, testIPv6Traffic) }

func testIPv6Traffic(t *testing.T, cfg Configuration) {
	e := newEnv(t, cfg, nil)
	v4, v6 := pool(t, "10.86.0.0/24", "10.86.0.1/24"), pool(t, "fd00:86::/64", "fd00:86::1/64")
	if err := e.d.CreateNetwork("n6", netOpts(options.Generic{"EnableIPv6": true}), nil, v4, v6); err != nil {
		t.Fatal(err)
	}
	mk := func(name, eid, a4, a6 string) *container {
		c := &container{name: name, eid: eid, addr: cidr(t, a4), j: &fakeJoin{}}
		c.path, c.h, c.nl = newSandboxNS(t, name)
		if err := e.d.CreateEndpoint("n6", eid, &fakeIf{addr: c.addr, addr6: cidr(t, a6)}, nil); err != nil {
			t.Fatal(err)
		}
		if err := e.d.Join("n6", eid, c.path, c.j, nil); err != nil {
			t.Fatal(err)
		}
		c.configure(t)
		l, _ := c.nl.LinkByName("eth0")
		if err := c.nl.AddrAdd(l, &netlink.Addr{IPNet: cidr(t, a6), Flags: unix.IFA_F_NODAD}); err != nil {
			t.Fatal(err)
		}
		if !c.j.gw6.Equal(net.ParseIP("fd00:86::1")) {
			t.Fatalf("IPv6 gateway %v", c.j.gw6)
		}
		return c
	}
	a := mk("a", "e-a", "10.86.0.2/24", "fd00:86::2/64")
	b := mk("b", "e-b", "10.86.0.3/24", "fd00:86::3/64")
	reachable(t, a.h, b.h, "fd00:86::3", "7001")
	reachable(t, b.h, a.h, "fd00:86::2", "7002")
}

// TestLeaveCutsOff checks that an endpoint that left is unreachable at
// once, though its pair waits for deletion.
func TestLeaveCutsOff(t *testing.T) { eachBackend(t, testLeaveCutsOff) }

func testLeaveCutsOff(t *testing.T, cfg Configuration) {
	e := newEnv(t, cfg, nil)
	e.createNet("n1", nil, "10.91.0.0/24", "10.91.0.1/24")
	a := e.run("a", "n1", "e-a", "10.91.0.2/24")
	b := e.run("b", "n1", "e-b", "10.91.0.3/24")
	reachable(t, a.h, b.h, "10.91.0.3", "7001")
	if err := e.d.Leave("n1", "e-b"); err != nil {
		t.Fatal(err)
	}
	if e.hostVeth("e-b") == nil {
		t.Fatal("host end already deleted")
	}
	blocked(t, a.h, b.h, "10.91.0.3", "7002")
	blocked(t, b.h, e.hostH, "10.91.0.1", "7003")
}
