package overlay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// netlinkLinks lists the links of the calling thread's namespace.
func netlinkLinks() ([]string, error) {
	links, err := netlink.LinkList()
	var out []string
	for _, l := range links {
		out = append(out, l.Attrs().Name)
	}
	return out, err
}

// TestTunnelAddress: the bind address must be an address of the host
// namespace; the error names the value.
func TestTunnelAddress(t *testing.T) {
	c := newCluster(t, 1, clusterOpts{})
	d := c.hosts[0].d
	cases := []struct {
		nd    discoverapi.NodeDiscoveryData
		check func(error) bool
		name  string
	}{
		{discoverapi.NodeDiscoveryData{Address: "10.99.99.99", Self: true}, types.IsBadRequest, "10.99.99.99"},
		{discoverapi.NodeDiscoveryData{Address: "203.0.113.7", BindAddress: "10.99.99.98", Self: true}, types.IsBadRequest, "10.99.99.98"},
		{discoverapi.NodeDiscoveryData{Address: "", BindAddress: "0.0.0.0", Self: true}, types.IsBadRequest, "0.0.0.0"},
		{discoverapi.NodeDiscoveryData{Address: "fd00::1", BindAddress: "192.168.100.1", Self: true}, types.IsBadRequest, "fd00::1"},
	}
	for _, cs := range cases {
		err := d.DiscoverNew(discoverapi.NodeDiscovery, cs.nd)
		if !cs.check(err) || !strings.Contains(err.Error(), cs.name) {
			t.Errorf("%+v: got %v, want a typed error naming %s", cs.nd, err, cs.name)
		}
	}
	// NAT: advertise a public address, bind to the local one.
	if err := d.DiscoverNew(discoverapi.NodeDiscovery, discoverapi.NodeDiscoveryData{Address: "203.0.113.7:7946", BindAddress: "192.168.100.1", Self: true}); err != nil {
		t.Errorf("advertise a non-local address over a local bind address: %v", err)
	}
	if tun := d.tunnelAddrs(); tun.advertise.String() != "203.0.113.7" || tun.local.String() != "192.168.100.1" {
		t.Errorf("tunnel %+v", tun)
	}
	// Other nodes and stores are none of the driver's business.
	if err := d.DiscoverNew(discoverapi.NodeDiscovery, discoverapi.NodeDiscoveryData{Address: "10.99.99.99"}); err != nil {
		t.Errorf("discovery of another node: %v", err)
	}
	if err := d.DiscoverNew(discoverapi.EncryptionKeysConfig, discoverapi.DriverEncryptionConfig{}); !types.IsBadRequest(err) {
		t.Errorf("encryption key configuration without a key: %v, want a BadRequestError", err)
	}
}

// TestCreateNetworkBadInput: every refused network names the bad value and
// leaves nothing behind.
func TestCreateNetworkBadInput(t *testing.T) {
	c := newCluster(t, 1, clusterOpts{})
	h := c.hosts[0]
	c.createNet(netSpec{id: "base", vnis: "4700", v4: []string{"10.60.0.0/24"}, v6: []string{"fd00:60::/64"}}, h)
	opts := func(kv ...string) map[string]interface{} {
		g := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			g[kv[i]] = kv[i+1]
		}
		return map[string]interface{}{netlabel.GenericData: g}
	}
	ids := netlabel.OverlayVxlanIDList
	cases := []struct {
		name  string
		opts  map[string]interface{}
		v4    []string
		v6    []string
		check func(error) bool
		names string
	}{
		{"no VXLAN ID", opts(), []string{"10.61.0.0/24"}, nil, types.IsBadRequest, ids},
		{"ID 0", opts(ids, "0"), []string{"10.61.0.0/24"}, nil, types.IsBadRequest, "0"},
		{"ID too big", opts(ids, "16777216"), []string{"10.61.0.0/24"}, nil, types.IsBadRequest, "16777216"},
		{"ID not a number", opts(ids, "x1"), []string{"10.61.0.0/24"}, nil, types.IsBadRequest, "x1"},
		{"too many IDs", opts(ids, "4701,4702"), []string{"10.61.0.0/24"}, nil, types.IsBadRequest, "4701,4702"},
		{"ID taken", opts(ids, "4700"), []string{"10.61.0.0/24"}, nil, types.IsConflict, "4700"},
		{"IPv4 overlap", opts(ids, "4701"), []string{"10.60.0.128/25"}, nil, types.IsForbidden, "10.60.0.128/25"},
		{"IPv6 overlap", opts(ids, "4701"), []string{"10.61.0.0/24"}, []string{"fd00:60::/80"}, types.IsForbidden, "fd00:60::/80"},
		{"overlap inside", opts(ids, "4701,4702"), []string{"10.61.0.0/24", "10.61.0.0/16"}, nil, types.IsBadRequest, "10.61.0.0/16"},
		{"encrypted without keys", opts(ids, "4701", EncryptedOption, ""), []string{"10.61.0.0/24"}, nil, types.IsForbidden, EncryptedOption},
		{"encrypted not a boolean", opts(ids, "4701", EncryptedOption, "maybe"), []string{"10.61.0.0/24"}, nil, types.IsBadRequest, `"maybe"`},
		{"bad MTU", opts(ids, "4701", netlabel.DriverMTU, "9x"), []string{"10.61.0.0/24"}, nil, types.IsBadRequest, "9x"},
		{"no subnet", opts(ids, "4701"), nil, nil, types.IsBadRequest, "subnet"},
	}
	for _, cs := range cases {
		err := h.d.CreateNetwork("bad", cs.opts, &fakeNetInfo{}, pools(t, cs.v4...), pools(t, cs.v6...))
		if !cs.check(err) || !strings.Contains(err.Error(), cs.names) {
			t.Errorf("%s: got %v, want a typed error naming %q", cs.name, err, cs.names)
		}
		if _, err := h.d.network("bad"); err == nil {
			t.Fatalf("%s: the refused network was recorded", cs.name)
		}
	}
	if err := h.d.CreateNetwork("base", opts(ids, "4799"), &fakeNetInfo{}, pools(t, "10.62.0.0/24"), nil); !types.IsConflict(err) {
		t.Errorf("same network ID twice: %v, want a ConflictError", err)
	}
	c.createNet(netSpec{id: "bad", vnis: "4701", v4: []string{"10.61.0.0/24"}}, h)
}

// TestJoinBadInput: refused joins and endpoints change nothing; a network
// whose namespace cannot be built is rolled back completely.
func TestJoinBadInput(t *testing.T) {
	c := newCluster(t, 1, clusterOpts{})
	h := c.hosts[0]
	baseline := h.hostLinks(t)
	n := netSpec{id: "j", vnis: "4800", v4: []string{"10.70.0.0/24"}, v6: []string{"fd00:70::/64"}}
	c.createNet(n, h)

	for _, a := range [][3]string{
		{"10.71.0.5/24", "", "10.71.0.5/24"},
		{"", "fd00:71::5/64", "fd00:71::5/64"},
		{"10.70.0.1/24", "", "10.70.0.1/24"},
		{"10.70.0.7/24", "fd00:70::1/64", "fd00:70::1/64"},
	} {
		fi := &fakeIf{}
		if a[0] != "" {
			fi.addr = mustCIDR(t, a[0])
		}
		if a[1] != "" {
			fi.addr6 = mustCIDR(t, a[1])
		}
		err := h.d.CreateEndpoint(n.id, "x", fi, nil)
		if !types.IsBadRequest(err) || !strings.Contains(err.Error(), a[2]) {
			t.Errorf("endpoint at %v: %v, want a BadRequestError naming %s", a[:2], err, a[2])
		}
	}
	ct := c.newContainer(h, "c")
	c.endpoint(ct, n.id, "e", "10.70.0.5/24", "fd00:70::5/64")
	notNS := filepath.Join(t.TempDir(), "not-a-netns")
	if err := os.WriteFile(notNS, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.d.Join(n.id, "e", notNS, &fakeJoin{}, nil); !types.IsBadRequest(err) {
		t.Errorf("join into a sandbox key that is no namespace: %v, want a BadRequestError", err)
	}
	if _, ok := h.inspect(t, n.id); ok {
		t.Error("a refused join built the overlay namespace")
	}
	if err := h.d.Join(n.id, "nope", ct.path, &fakeJoin{}, nil); !types.IsNotFound(err) {
		t.Errorf("join of an unknown endpoint: %v, want a NotFoundError", err)
	}
	if err := h.d.Leave(n.id, "e"); !types.IsForbidden(err) {
		t.Errorf("leave before join: %v, want a ForbiddenError", err)
	}

	// A second driver on the same host namespace whose network uses the
	// same VXLAN ID: its namespace cannot be built, and nothing is left.
	c.join(ct)
	other := &host{name: "host1-b", h: h.h, nl: h.nl, ip: h.ip, root: filepath.Join(t.TempDir(), "other")}
	other.d = c.startDriver(other)
	if err := other.d.CreateNetwork("clash", netSpec{vnis: "4800"}.options(), &fakeNetInfo{}, pools(t, "10.72.0.0/24"), nil); err != nil {
		t.Fatal(err)
	}
	ct2 := c.newContainer(other, "c2")
	c.endpoint(ct2, "clash", "e2", "10.72.0.5/24", "")
	err := other.d.Join("clash", "e2", ct2.path, &fakeJoin{}, nil)
	if !types.IsConflict(err) || !strings.Contains(err.Error(), "4800") {
		t.Fatalf("join with a VXLAN ID held by another device: %v, want a ConflictError naming 4800", err)
	}
	if _, ok := other.inspect(t, "clash"); ok {
		t.Error("the failed build left its overlay namespace")
	}
	err = ct2.run(func() error {
		links, err := netlinkLinks()
		if err == nil && len(links) != 1 {
			t.Errorf("the failed join left links in the sandbox: %v", links)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.d.Join(n.id, "e", ct.path, &fakeJoin{}, nil); !types.IsForbidden(err) {
		t.Errorf("second join: %v, want a ForbiddenError", err)
	}
	if err := h.d.DeleteNetwork(n.id); !types.IsForbidden(err) {
		t.Errorf("delete a network with a joined endpoint: %v, want a ForbiddenError", err)
	}
	// DeleteEndpoint of a joined endpoint leaves first.
	if err := h.d.DeleteEndpoint(n.id, "e"); err != nil {
		t.Fatal(err)
	}
	c.gossip.withdraw(n.id, "e")
	for _, id := range []string{n.id} {
		if err := h.d.DeleteNetwork(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.d.DeleteNetwork("clash"); err != nil {
		t.Fatal(err)
	}
	h.assertNothing(t, n.id, baseline)
}

// TestJoinWithoutCluster: without a node discovery event the driver has no
// tunnel address and refuses joins with a NoServiceError.
func TestJoinWithoutCluster(t *testing.T) {
	c := newCluster(t, 1, clusterOpts{})
	h := c.hosts[0]
	d, err := newDriver(map[string]interface{}{netlabel.HostNetNS: h.h, ExecRootKey: filepath.Join(t.TempDir(), "x")})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	lone := &host{name: "lone", h: h.h, nl: h.nl, d: d}
	if err := d.CreateNetwork("n", netSpec{vnis: "4900"}.options(), &fakeNetInfo{}, pools(t, "10.80.0.0/24"), nil); err != nil {
		t.Fatal(err)
	}
	ct := c.newContainer(lone, "c")
	c.endpoint(ct, "n", "e", "10.80.0.5/24", "")
	if err := d.Join("n", "e", ct.path, &fakeJoin{}, nil); !types.IsNoService(err) {
		t.Errorf("join without a tunnel address: %v, want a NoServiceError", err)
	}
}

// TestMalformedPeerEvents: garbage from the gossip layer is dropped with a
// log line; nothing panics and nothing reaches the kernel.
func TestMalformedPeerEvents(t *testing.T) {
	c := newCluster(t, 1, clusterOpts{})
	h := c.hosts[0]
	n := netSpec{id: "m", vnis: "5000", v4: []string{"10.90.0.0/24"}}
	c.createNet(n, h)
	ct := c.newContainer(h, "c")
	c.endpoint(ct, n.id, "e", "10.90.0.5/24", "")
	c.join(ct)
	enc := func(r PeerRecord) []byte {
		b, err := r.Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	mac := mustMAC(t, "02:42:0a:5a:00:09")
	values := map[string][]byte{
		"nil":            nil,
		"garbage":        []byte("not a record"),
		"truncated":      enc(PeerRecord{Addr: mustCIDR(t, "10.90.0.9/24"), MAC: mac, TunnelIP: mustCIDR(t, "192.168.100.9/24").IP})[:10],
		"outside subnet": enc(PeerRecord{Addr: mustCIDR(t, "10.91.0.9/24"), MAC: mac, TunnelIP: mustCIDR(t, "192.168.100.9/24").IP}),
		"v6 tunnel":      enc(PeerRecord{Addr: mustCIDR(t, "10.90.0.9/24"), MAC: mac, TunnelIP: mustCIDR(t, "fd00::9/64").IP}),
		"own tunnel":     enc(PeerRecord{Addr: mustCIDR(t, "10.90.0.9/24"), MAC: mac, TunnelIP: h.ip}),
	}
	for name, v := range values {
		for _, et := range []driverapi.EventType{driverapi.Create, driverapi.Update, driverapi.EventType(9)} {
			h.d.EventNotify(et, n.id, PeerTable, "k-"+name, v)
		}
	}
	h.d.EventNotify(driverapi.Delete, n.id, PeerTable, "unknown", nil)
	h.d.EventNotify(driverapi.Create, n.id, PeerTable, "", values["outside subnet"])
	h.d.EventNotify(driverapi.Create, "no-such-network", PeerTable, "k", values["v6 tunnel"])
	good := enc(PeerRecord{Addr: mustCIDR(t, "10.90.0.9/24"), MAC: mac, TunnelIP: mustCIDR(t, "192.168.100.9/24").IP})
	h.d.EventNotify(driverapi.Create, n.id, "other_table", "k", good)
	st, _ := h.inspect(t, n.id)
	if len(st.fdb) != 0 || len(st.neigh) != 0 {
		t.Fatalf("malformed events reached the kernel: %v %v", st.fdb, st.neigh)
	}
	// A good entry after all that still works; a malformed update of it
	// removes it rather than leaving it stale.
	h.d.EventNotify(driverapi.Create, n.id, PeerTable, "k-good", good)
	if st, _ := h.inspect(t, n.id); st.fdb[mac.String()] != "192.168.100.9" {
		t.Fatalf("good entry not programmed: %v", st.fdb)
	}
	h.d.EventNotify(driverapi.Update, n.id, PeerTable, "k-good", values["outside subnet"])
	if st, _ := h.inspect(t, n.id); len(st.fdb) != 0 || len(st.neigh) != 0 {
		t.Fatalf("entry kept after an update that moved it outside the network: %v %v", st.fdb, st.neigh)
	}
}

type fakeRegistry struct {
	name string
	d    driverapi.Driver
	cap  driverapi.Capability
}

func (r *fakeRegistry) RegisterDriver(name string, d driverapi.Driver, c driverapi.Capability) error {
	r.name, r.d, r.cap = name, d, c
	return nil
}

// TestInit: the driver registers as "overlay" with global data scope; bad
// configuration values are refused naming them.
func TestInit(t *testing.T) {
	c := newCluster(t, 1, clusterOpts{})
	h := c.hosts[0]
	r := &fakeRegistry{}
	cfg := map[string]interface{}{netlabel.HostNetNS: h.h, ExecRootKey: filepath.Join(t.TempDir(), "o"), VXLANPortKey: "8472"}
	if err := Init(r, cfg); err != nil {
		t.Fatal(err)
	}
	defer r.d.(*driver).Close()
	if r.name != "overlay" || r.cap.DataScope != "global" || r.d.Type() != "overlay" || r.d.(*driver).vxlanPort != 8472 {
		t.Errorf("registered %q %+v, port %d", r.name, r.cap, r.d.(*driver).vxlanPort)
	}
	for k, v := range map[string]interface{}{VXLANPortKey: "70000", ExecRootKey: "relative", RestartGraceKey: "soon", netlabel.HostNetNS: 3, netlabel.LocalKVClient: "db"} {
		err := Init(r, map[string]interface{}{k: v})
		if !types.IsBadRequest(err) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%v: %v, want a BadRequestError naming the option", k, v, err)
		}
	}
}
