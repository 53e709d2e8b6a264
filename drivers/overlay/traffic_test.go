package overlay

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

const testPort = 7070

// TestCrossHostTraffic: three hosts, one overlay network, a container on
// each: TCP and ICMP between every pair; the join shape; the entries on
// each host; a leave removes the leaver's entries on the other hosts; the
// last leave and DeleteNetwork leave nothing.
func TestCrossHostTraffic(t *testing.T) {
	c := newCluster(t, 3, clusterOpts{})
	baseline := c.hosts[0].hostLinks(t)
	net1 := netSpec{id: "net1", vnis: "4200", v4: []string{"10.10.0.0/24"}}
	c.createNet(net1)
	var cts []*container
	for i, h := range c.hosts {
		ct := c.newContainer(h, fmt.Sprintf("c%d", i+1))
		c.endpoint(ct, net1.id, fmt.Sprintf("ep%d", i+1), fmt.Sprintf("10.10.0.%d/24", 11+i), "")
		c.join(ct)
		ct.serveTCP(t, testPort)
		cts = append(cts, ct)
	}

	// The join as the controller sees it.
	j := cts[0].j
	if !strings.HasPrefix(j.src, "ovc") || j.prefix != "eth" || j.noGateway || j.gw != nil || len(j.routes) != 0 {
		t.Errorf("join info: %+v", j)
	}
	r, err := DecodePeerRecord(j.entries["ep1"])
	if err != nil {
		t.Fatal(err)
	}
	wantMAC := netutils.GenerateMACFromIP(net.ParseIP("10.10.0.11"))
	if r.Addr.String() != "10.10.0.11/24" || r.MAC.String() != wantMAC.String() || !r.TunnelIP.Equal(c.hosts[0].ip) {
		t.Errorf("published record %+v", r)
	}
	// The container's interface: born with its MAC and the overlay MTU.
	err = cts[0].run(func() error {
		l, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		if l.Attrs().MTU != 1450 || l.Attrs().HardwareAddr.String() != wantMAC.String() {
			return fmt.Errorf("eth0 MTU %d MAC %s, want 1450 %s", l.Attrs().MTU, l.Attrs().HardwareAddr, wantMAC)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}

	for _, a := range cts {
		for _, b := range cts {
			if a != b {
				a.expectTCP(t, b.addr.IP, testPort, b.name)
				a.expectPing(t, b.addr.IP)
			}
		}
	}

	// Host 1's overlay namespace: one bridge, one VXLAN device, one veth;
	// tunnel entries for the two remote containers only.
	st, ok := c.hosts[0].inspect(t, net1.id)
	if !ok {
		t.Fatal("host1 has no overlay namespace")
	}
	if got := strings.Join(st.links, " "); got != "br0/bridge lo/device "+vethName("ep1")+"/veth vxlan0/vxlan" {
		t.Errorf("host1 overlay links: %s", got)
	}
	for _, ct := range cts[1:] {
		mac := netutils.GenerateMACFromIP(ct.addr.IP).String()
		if st.fdb[mac] != ct.host.ip.String() || st.neigh[ct.addr.IP.String()] != mac {
			t.Errorf("host1 entries for %s: fdb %v neigh %v", ct.name, st.fdb, st.neigh)
		}
	}
	if len(st.fdb) != 2 || len(st.neigh) != 2 {
		t.Errorf("host1 has %d FDB and %d neighbour entries, want 2 and 2: %v %v", len(st.fdb), len(st.neigh), st.fdb, st.neigh)
	}

	// Container 2 leaves: hosts 1 and 3 forget it.
	c.leave(cts[1])
	mac2 := netutils.GenerateMACFromIP(cts[1].addr.IP).String()
	for _, h := range []*host{c.hosts[0], c.hosts[2]} {
		st, _ := h.inspect(t, net1.id)
		if _, ok := st.fdb[mac2]; ok {
			t.Errorf("%s keeps the FDB entry of the container that left: %v", h.name, st.fdb)
		}
		if _, ok := st.neigh[cts[1].addr.IP.String()]; ok {
			t.Errorf("%s keeps the neighbour entry of the container that left: %v", h.name, st.neigh)
		}
	}
	if _, err := cts[0].dialTCP(cts[1].addr.IP, testPort, 200*time.Millisecond); err == nil {
		t.Error("container 2 still reachable after its leave")
	}
	// Its host had no other endpoint: nothing is left there.
	c.hosts[1].assertNothing(t, net1.id, baseline)
	cts[0].expectTCP(t, cts[2].addr.IP, testPort, "c3")

	c.leave(cts[0])
	c.leave(cts[2])
	for _, h := range c.hosts {
		if err := h.d.DeleteNetwork(net1.id); err != nil {
			t.Fatal(err)
		}
		h.assertNothing(t, net1.id, baseline)
	}
}

// TestNoKernelObjectsWithoutEndpoint: a host with the network but no
// endpoint has nothing in the kernel, yet remembers the peers and programs
// them when its first endpoint joins.
func TestNoKernelObjectsWithoutEndpoint(t *testing.T) {
	c := newCluster(t, 3, clusterOpts{})
	h3 := c.hosts[2]
	baseline := h3.hostLinks(t)
	n := netSpec{id: "quiet", vnis: "4210", v4: []string{"10.11.0.0/24"}}
	c.createNet(n)
	c1 := c.newContainer(c.hosts[0], "c1")
	c.endpoint(c1, n.id, "e1", "10.11.0.11/24", "")
	c.join(c1)
	c1.serveTCP(t, testPort)
	c2 := c.newContainer(c.hosts[1], "c2")
	c.endpoint(c2, n.id, "e2", "10.11.0.12/24", "")
	c.join(c2)
	c2.expectTCP(t, c1.addr.IP, testPort, "c1")

	c3 := c.newContainer(h3, "c3")
	c.endpoint(c3, n.id, "e3", "10.11.0.13/24", "")
	if _, ok := h3.inspect(t, n.id); ok {
		t.Fatal("host3 built an overlay namespace with no endpoint joined")
	}
	if h3.vxlanSocket(t, DefaultVXLANPort) {
		t.Fatal("host3 opened a VXLAN socket with no endpoint joined")
	}
	if got := h3.hostLinks(t); strings.Join(got, ",") != strings.Join(baseline, ",") {
		t.Fatalf("host3 links %v, want %v", got, baseline)
	}

	// First join on host 3: the peers announced before are there at once.
	if err := c.tryJoin(c3); err != nil {
		t.Fatal(err)
	}
	st, ok := h3.inspect(t, n.id)
	if !ok || len(st.fdb) != 2 || len(st.neigh) != 2 {
		t.Fatalf("host3 after its first join: %+v", st)
	}
	for k, v := range c3.j.entries {
		c.gossip.publish(h3, n.id, k, v)
	}
	c3.expectTCP(t, c1.addr.IP, testPort, "c1")
}

// TestIPv6Overlay: a dual-stack network (one segment: one IPv4 and one
// IPv6 subnet, one VXLAN ID) carries TCP and ICMPv6 across hosts.
func TestIPv6Overlay(t *testing.T) {
	c := newCluster(t, 2, clusterOpts{})
	n := netSpec{id: "dual", vnis: "4300", v4: []string{"10.20.0.0/24"}, v6: []string{"fd00:20::/64"}}
	c.createNet(n)
	c1 := c.newContainer(c.hosts[0], "c1")
	c.endpoint(c1, n.id, "e1", "10.20.0.11/24", "fd00:20::11/64")
	c.join(c1)
	c2 := c.newContainer(c.hosts[1], "c2")
	c.endpoint(c2, n.id, "e2", "10.20.0.12/24", "fd00:20::12/64")
	c.join(c2)
	c2.serveTCP(t, testPort)
	c1.expectTCP(t, c2.addr6.IP, testPort, "c2")
	c1.expectPing(t, c2.addr6.IP)
	c1.expectTCP(t, c2.addr.IP, testPort, "c2")
	st, _ := c.hosts[0].inspect(t, n.id)
	if st.neigh["fd00:20::12"] == "" || st.neigh["10.20.0.12"] == "" {
		t.Errorf("host1 neighbours %v", st.neigh)
	}
}

// TestIPv6Underlay: an IPv6-only overlay over an IPv6 underlay, with the
// larger encapsulation overhead (MTU 1500-70).
func TestIPv6Underlay(t *testing.T) {
	c := newCluster(t, 2, clusterOpts{v6Underlay: true})
	n := netSpec{id: "six", vnis: "4310", v6: []string{"fd00:30::/64"}}
	c.createNet(n)
	c1 := c.newContainer(c.hosts[0], "c1")
	c.endpoint(c1, n.id, "e1", "", "fd00:30::11/64")
	c.join(c1)
	c2 := c.newContainer(c.hosts[1], "c2")
	c.endpoint(c2, n.id, "e2", "", "fd00:30::12/64")
	c.join(c2)
	c2.serveTCP(t, testPort)
	c1.expectTCP(t, c2.addr6.IP, testPort, "c2")
	err := c1.run(func() error {
		l, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		if l.Attrs().MTU != 1430 {
			return fmt.Errorf("MTU %d over an IPv6 underlay, want 1430", l.Attrs().MTU)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// TestMultiSubnet: a network of two IPv4 subnets (two segments, two VXLAN
// IDs); containers reach each other within a subnet across hosts, and
// across subnets through the segment gateways.
func TestMultiSubnet(t *testing.T) {
	c := newCluster(t, 2, clusterOpts{})
	n := netSpec{id: "multi", vnis: "4400,4401", v4: []string{"10.30.0.0/24", "10.31.0.0/24"}}
	c.createNet(n)
	c1 := c.newContainer(c.hosts[0], "c1")
	c.endpoint(c1, n.id, "e1", "10.30.0.11/24", "")
	c.join(c1)
	c2 := c.newContainer(c.hosts[1], "c2")
	c.endpoint(c2, n.id, "e2", "10.31.0.12/24", "")
	c.join(c2)
	c3 := c.newContainer(c.hosts[1], "c3")
	c.endpoint(c3, n.id, "e3", "10.30.0.13/24", "")
	c.join(c3)
	c2.serveTCP(t, testPort)
	c3.serveTCP(t, testPort)
	if len(c1.j.routes) != 1 || c1.j.routes[0].Destination.String() != "10.31.0.0/24" || !c1.j.routes[0].NextHop.Equal(net.ParseIP("10.30.0.1")) {
		t.Errorf("routes of c1: %v", c1.j.routes)
	}
	c1.expectTCP(t, c3.addr.IP, testPort, "c3")
	c1.expectTCP(t, c2.addr.IP, testPort, "c2")
	st, _ := c.hosts[0].inspect(t, n.id)
	if got := strings.Join(st.links, " "); !strings.Contains(got, "br1/bridge") || !strings.Contains(got, "vxlan1/vxlan") {
		t.Errorf("host1 links: %s", got)
	}
}

// TestPathMTU: with DF set, a datagram of exactly the container MTU
// crosses the tunnel without being fragmented on the underlay; one byte
// more is refused.
func TestPathMTU(t *testing.T) {
	c := newCluster(t, 2, clusterOpts{})
	n := netSpec{id: "mtu", vnis: "4500", v4: []string{"10.40.0.0/24"}}
	c.createNet(n)
	c1 := c.newContainer(c.hosts[0], "c1")
	c.endpoint(c1, n.id, "e1", "10.40.0.11/24", "")
	c.join(c1)
	c2 := c.newContainer(c.hosts[1], "c2")
	c.endpoint(c2, n.id, "e2", "10.40.0.12/24", "")
	c.join(c2)
	c2.serveTCP(t, testPort)
	c1.expectTCP(t, c2.addr.IP, testPort, "c2")

	const mtu = 1450
	pc := c2.udpListen(t, 9090)
	dst := &net.UDPAddr{IP: c2.addr.IP, Port: 9090}
	frags := c.hosts[0].ipStat(t, "FragCreates")
	if err := c1.udpSendDF(dst, mtu-28); err != nil {
		t.Fatalf("datagram of %d bytes (IP packet of %d): %v", mtu-28, mtu, err)
	}
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65536)
	got, _, err := pc.ReadFrom(buf)
	if err != nil || got != mtu-28 {
		t.Fatalf("received %d bytes (%v), want %d", got, err, mtu-28)
	}
	if f := c.hosts[0].ipStat(t, "FragCreates"); f != frags {
		t.Errorf("the underlay fragmented the tunnel packet (%d fragments)", f-frags)
	}
	err = c1.udpSendDF(dst, mtu-28+1)
	if !errors.Is(err, unix.EMSGSIZE) {
		t.Errorf("datagram one byte over the MTU: %v, want EMSGSIZE", err)
	}
}

// TestConcurrentJoins: joins and leaves of many endpoints of one network
// on one host, in parallel and while peer events arrive, all succeed; the
// last leave takes the overlay namespace.
func TestConcurrentJoins(t *testing.T) {
	c := newCluster(t, 2, clusterOpts{})
	h1, h2 := c.hosts[0], c.hosts[1]
	baseline := h1.hostLinks(t)
	n := netSpec{id: "par", vnis: "4550", v4: []string{"10.45.0.0/24"}}
	c.createNet(n)
	remote := c.newContainer(h2, "remote")
	c.endpoint(remote, n.id, "remote", "10.45.0.200/24", "")
	c.join(remote)
	const k = 8
	cts := make([]*container, k)
	for i := range cts {
		cts[i] = c.newContainer(h1, fmt.Sprintf("p%d", i))
		c.endpoint(cts[i], n.id, fmt.Sprintf("p%d", i), fmt.Sprintf("10.45.0.%d/24", 10+i), "")
	}
	errs := make(chan error, 2*k)
	for _, ct := range cts {
		go func(ct *container) { errs <- c.tryJoin(ct) }(ct)
		go func(ct *container) {
			// Remote peers come and go meanwhile.
			v, _ := (&PeerRecord{Addr: mustCIDR(t, "10.45.0.150/24"), MAC: netutils.GenerateMACFromIP(net.ParseIP("10.45.0.150")), TunnelIP: h2.ip}).Encode()
			h1.d.EventNotify(driverapi.Create, n.id, PeerTable, "x-"+ct.name, v)
			h1.d.EventNotify(driverapi.Delete, n.id, PeerTable, "x-"+ct.name, v)
			errs <- nil
		}(ct)
	}
	for i := 0; i < 2*k; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, ct := range cts {
		for key, v := range ct.j.entries {
			c.gossip.publish(h1, n.id, key, v)
		}
	}
	cts[0].serveTCP(t, testPort)
	cts[k-1].serveTCP(t, testPort)
	remote.expectTCP(t, cts[0].addr.IP, testPort, "p0")
	remote.expectTCP(t, cts[k-1].addr.IP, testPort, fmt.Sprintf("p%d", k-1))
	st, _ := h1.inspect(t, n.id)
	if len(st.fdb) != 1 {
		t.Errorf("host1 FDB %v, want only the remote container", st.fdb)
	}
	for _, ct := range cts {
		go func(ct *container) { errs <- ct.host.d.Leave(ct.nid, ct.eid) }(ct)
	}
	for i := 0; i < k; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	h1.assertNothing(t, n.id, baseline)
}

// TestQuickRejoin: the last leave releases the network's VXLAN ID, which
// the kernel frees asynchronously with the namespace; an immediate rejoin
// on the same host waits for it instead of failing.
func TestQuickRejoin(t *testing.T) {
	c := newCluster(t, 2, clusterOpts{})
	n := netSpec{id: "rejoin", vnis: "4560", v4: []string{"10.46.0.0/24"}}
	c.createNet(n)
	c1 := c.newContainer(c.hosts[0], "c1")
	c.endpoint(c1, n.id, "e1", "10.46.0.11/24", "")
	c.join(c1)
	c1.serveTCP(t, testPort)
	for i := 0; i < 5; i++ {
		ct := c.newContainer(c.hosts[1], fmt.Sprintf("r%d", i))
		c.endpoint(ct, n.id, "r", "10.46.0.12/24", "")
		start := time.Now()
		c.join(ct)
		t.Logf("join %d took %s", i, time.Since(start))
		ct.expectTCP(t, c1.addr.IP, testPort, "c1")
		c.leave(ct)
		if err := c.hosts[1].d.DeleteEndpoint(n.id, "r"); err != nil {
			t.Fatal(err)
		}
		ct.destroy()
	}
}
