package vm

import (
	"net"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// missingFeatures lists the features the running kernel lacks.
func missingFeatures() []string {
	var out []string
	for _, f := range testutils.Features {
		if testutils.KernelHas(f) != nil {
			out = append(out, f)
		}
	}
	return out
}

// The TestKernel tests prove that the VM's kernel does what the project's
// VM suites rely on, with real traffic; on a host kernel without the
// feature they skip.

// node is a namespace with a netlink handle in it.
type node struct {
	h  netns.NsHandle
	nl *netlink.Handle
}

func newNode(t *testing.T, name string) node {
	t.Helper()
	_, h := testutils.NewNS(t, name)
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nl.Close)
	return node{h, nl}
}

func (n node) link(t *testing.T, name string) netlink.Link {
	t.Helper()
	l, err := n.nl.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s: %v", name, err)
	}
	return l
}

// up gives the link name of n the address cidr (none if empty) and sets it up.
func (n node) up(t *testing.T, name, cidr string) {
	t.Helper()
	l := n.link(t, name)
	if cidr != "" {
		a, err := netlink.ParseAddr(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.nl.AddrAdd(l, a); err != nil {
			t.Fatalf("address %s on %s: %v", cidr, name, err)
		}
	}
	if err := n.nl.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
}

// veth links a's link an to b's link bn.
func veth(t *testing.T, a node, an string, b node, bn string) {
	t.Helper()
	v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: an}, PeerName: bn, PeerNamespace: netlink.NsFd(int(b.h))}
	if err := a.nl.LinkAdd(v); err != nil {
		t.Fatalf("veth %s/%s: %v", an, bn, err)
	}
}

func ping(t *testing.T, from node, to string) error {
	t.Helper()
	return testutils.Ping(from.h, net.ParseIP(to), 500*time.Millisecond)
}

func mustPing(t *testing.T, from node, to string) {
	t.Helper()
	testutils.Eventually(t, "ping "+to, 10*time.Second, func() error { return ping(t, from, to) })
}

func TestKernelIPVlan(t *testing.T) {
	testutils.RequireKernel(t, testutils.FeatureIPVlan, testutils.FeatureDummy)
	host, a, b := newNode(t, "host"), newNode(t, "a"), newNode(t, "b")
	if err := host.nl.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "parent0"}}); err != nil {
		t.Fatal(err)
	}
	host.up(t, "parent0", "")
	p := host.link(t, "parent0").Attrs().Index
	for _, c := range []struct {
		n    node
		addr string
	}{{a, "10.201.0.2/24"}, {b, "10.201.0.3/24"}} {
		// Born inside the container's namespace with its final name.
		l := &netlink.IPVlan{LinkAttrs: netlink.LinkAttrs{Name: "eth0", ParentIndex: p, Namespace: netlink.NsFd(int(c.n.h))}, Mode: netlink.IPVLAN_MODE_L2}
		if err := host.nl.LinkAdd(l); err != nil {
			t.Fatal(err)
		}
		c.n.up(t, "eth0", c.addr)
	}
	mustPing(t, a, "10.201.0.3")
	mustPing(t, b, "10.201.0.2")
}

func TestKernelVLAN(t *testing.T) {
	testutils.RequireKernel(t, testutils.FeatureVLAN)
	host, peer := newNode(t, "host"), newNode(t, "peer")
	veth(t, host, "trunk0", peer, "trunk1")
	host.up(t, "trunk0", "")
	peer.up(t, "trunk1", "")
	for _, c := range []struct {
		n            node
		parent, name string
		id           int
		addr         string
	}{
		{host, "trunk0", "trunk0.10", 10, "10.202.0.1/24"},
		{peer, "trunk1", "trunk1.10", 10, "10.202.0.2/24"},
		{peer, "trunk1", "trunk1.20", 20, "10.202.1.2/24"},
		{host, "trunk0", "trunk0.30", 30, "10.202.1.1/24"},
	} {
		p := c.n.link(t, c.parent).Attrs().Index
		if err := c.n.nl.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: c.name, ParentIndex: p}, VlanId: c.id}); err != nil {
			t.Fatal(err)
		}
		c.n.up(t, c.name, c.addr)
	}
	mustPing(t, host, "10.202.0.2")
	// VLAN 30 and VLAN 20 share a subnet but not a tag: nothing passes.
	if err := ping(t, host, "10.202.1.2"); err == nil {
		t.Fatal("a frame tagged 30 reached VLAN 20")
	}
}

func TestKernelESP(t *testing.T) {
	testutils.RequireKernel(t, testutils.FeatureESP)
	a, b := newNode(t, "a"), newNode(t, "b")
	veth(t, a, "v0", b, "v1")
	a.up(t, "v0", "10.203.0.1/24")
	b.up(t, "v1", "10.203.0.2/24")
	ipA, ipB := net.ParseIP("10.203.0.1"), net.ParseIP("10.203.0.2")
	key := []byte("0123456789abcdef0123")
	for _, n := range []node{a, b} {
		for _, d := range []struct {
			src, dst net.IP
			spi      int
		}{{ipA, ipB, 0x1001}, {ipB, ipA, 0x1002}} {
			st := &netlink.XfrmState{Src: d.src, Dst: d.dst, Proto: netlink.XFRM_PROTO_ESP, Mode: netlink.XFRM_MODE_TRANSPORT,
				Spi: d.spi, Reqid: 1, Aead: &netlink.XfrmStateAlgo{Name: "rfc4106(gcm(aes))", Key: key, ICVLen: 128}}
			if err := n.nl.XfrmStateAdd(st); err != nil {
				t.Fatal(err)
			}
		}
	}
	policy := func(n node, src, dst net.IP, dir netlink.Dir) {
		p := &netlink.XfrmPolicy{Src: host32(src), Dst: host32(dst), Dir: dir,
			Tmpls: []netlink.XfrmPolicyTmpl{{Src: src, Dst: dst, Proto: netlink.XFRM_PROTO_ESP, Mode: netlink.XFRM_MODE_TRANSPORT, Reqid: 1}}}
		if err := n.nl.XfrmPolicyAdd(p); err != nil {
			t.Fatal(err)
		}
	}
	policy(a, ipA, ipB, netlink.XFRM_DIR_OUT)
	policy(a, ipB, ipA, netlink.XFRM_DIR_IN)
	policy(b, ipB, ipA, netlink.XFRM_DIR_OUT)
	policy(b, ipA, ipB, netlink.XFRM_DIR_IN)
	mustPing(t, a, "10.203.0.2")
	// The echo went through ESP: the states counted it.
	states, err := b.nl.XfrmStateList(netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, s := range states {
		if s.Spi == 0x1001 && s.Statistics.Packets > 0 {
			seen = true
		}
	}
	if !seen {
		t.Fatalf("inbound state 0x1001 counted no packet: %v", states)
	}
}

func host32(ip net.IP) *net.IPNet { return &net.IPNet{IP: ip, Mask: net.CIDRMask(32, 32)} }
