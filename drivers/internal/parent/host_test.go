package parent

import (
	"net"
	"sort"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

// hostEnv is a namespace of the test's own with a veth parent "par0" (its
// peer "peer0" in the same namespace) and a Host of driver in it.
type hostEnv struct {
	t    *testing.T
	path string
	nlh  *netlink.Handle
	h    *Host
}

func newHostEnv(t *testing.T, driver string) *hostEnv {
	t.Helper()
	path, ns := testutils.NewNS(t, "host")
	nlh, err := netlink.NewHandleAt(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nlh.Close)
	la := netlink.NewLinkAttrs()
	la.Name = "par0"
	if err := nlh.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "peer0"}); err != nil {
		t.Fatal(err)
	}
	if err := nlh.LinkSetUp(&netlink.Veth{LinkAttrs: la}); err != nil {
		t.Fatal(err)
	}
	h, err := NewHost(driver, ns, nlh)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return &hostEnv{t: t, path: path, nlh: nlh, h: h}
}

func (e *hostEnv) links() string {
	e.t.Helper()
	ls, err := e.nlh.LinkList()
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Attrs().Name+"/"+l.Type()+"/"+l.Attrs().Alias)
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

func (e *hostEnv) addLink(name, alias string) {
	e.t.Helper()
	la := netlink.NewLinkAttrs()
	la.Name = name
	if err := e.nlh.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: name + "p"}); err != nil {
		e.t.Fatal(err)
	}
	if alias != "" {
		l, err := e.nlh.LinkByName(name)
		if err != nil {
			e.t.Fatal(err)
		}
		if err := e.nlh.LinkSetAlias(l, alias); err != nil {
			e.t.Fatal(err)
		}
	}
}

func claimOn(nid string, subnets ...string) Claim {
	c := Claim{Driver: "macvlan", NetworkID: nid, Mode: "bridge"}
	for _, s := range subnets {
		c.Subnets = append(c.Subnets, mustNet(s))
	}
	return c
}

func spec(t *testing.T, s string) Spec {
	t.Helper()
	sp, err := ParseSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func TestAttachRefusesBadParents(t *testing.T) {
	e := newHostEnv(t, "macvlan")
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0", TxQLen: -1}}
	if err := e.nlh.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	e.addLink("port0", "")
	port, _ := e.nlh.LinkByName("port0")
	if err := e.nlh.LinkSetMaster(port, br); err != nil {
		t.Fatal(err)
	}
	before := e.links()
	for _, tc := range []struct {
		parent string
		is     func(error) bool
		want   string
	}{
		{"nope0", types.IsNotFound, "parent nope0 does not exist"},
		{"lo", types.IsBadRequest, "parent lo is a loopback link"},
		{"port0", types.IsBadRequest, "parent port0 is a port of link index"},
		{"nope0.10", types.IsNotFound, "link nope0 (for VLAN 10) does not exist"},
		{"lo.10", types.IsBadRequest, "parent lo is a loopback link"},
		{"port0.7", types.IsBadRequest, "parent port0 is a port"},
		{"par0.0", types.IsBadRequest, `parent "par0.0": VLAN ID 0 is outside 1-4094`},
		{"par0.4095", types.IsBadRequest, "VLAN ID 4095"},
		{"par0.x", types.IsBadRequest, `VLAN ID "x" is not a number`},
	} {
		_, err := e.h.Attach(claimOn("n1", "10.1.0.0/24"), spec(t, tc.parent), false)
		if err == nil || !tc.is(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Attach(%s) = %v, want %q", tc.parent, err, tc.want)
		}
	}
	if got := e.links(); got != before {
		t.Errorf("links changed:\n%s\nwere:\n%s", got, before)
	}
	// Nothing claimed: the network can still claim a good parent.
	if _, err := e.h.Attach(claimOn("n1", "10.1.0.0/24"), spec(t, "par0"), false); err != nil {
		t.Fatal(err)
	}
}

func TestAttachDetachKeepsForeignParent(t *testing.T) {
	e := newHostEnv(t, "macvlan")
	before := e.links()
	l, err := e.h.Attach(claimOn("n1", "10.1.0.0/24"), spec(t, "par0"), false)
	if err != nil {
		t.Fatal(err)
	}
	if l.Name != "par0" || l.Index == 0 || l.Created {
		t.Errorf("Attach = %+v", l)
	}
	if _, err := e.h.Attach(claimOn("n2", "10.1.0.0/16"), spec(t, "par0"), false); !types.IsConflict(err) {
		t.Errorf("overlapping subnet: %v", err)
	}
	o, err := NewHost("ipvlan", mustNS(t, e), e.nlh)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if _, err := o.Attach(Claim{Driver: "ipvlan", NetworkID: "n3", Mode: "l2"}, spec(t, "par0"), false); !types.IsConflict(err) ||
		!strings.Contains(err.Error(), "macvlan network n1 (mode bridge)") || !strings.Contains(err.Error(), "ipvlan network n3 (mode l2)") {
		t.Errorf("other driver: %v", err)
	}
	if _, err := e.h.Attach(claimOn("n2", "10.2.0.0/24"), spec(t, "par0"), false); err != nil {
		t.Fatal(err)
	}
	for _, nid := range []string{"n1", "n2"} {
		if err := e.h.Detach(nid); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.links(); got != before {
		t.Errorf("links changed:\n%s\nwere:\n%s", got, before)
	}
	// Released: the other driver may have it now.
	if _, err := o.Attach(Claim{Driver: "ipvlan", NetworkID: "n3", Mode: "l2"}, spec(t, "par0"), false); err != nil {
		t.Error(err)
	}
}

func TestCloseLeavesClaimsForTheNextDriver(t *testing.T) {
	e := newHostEnv(t, "macvlan")
	if _, err := e.h.Attach(claimOn("n1", "10.1.0.0/24"), spec(t, "par0"), false); err != nil {
		t.Fatal(err)
	}
	e.h.Close()
	h2, err := NewHost("macvlan", mustNS(t, e), e.nlh)
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	if _, err := h2.Readopt(claimOn("n1", "10.1.0.0/24"), spec(t, "par0"), false); err != nil {
		t.Fatal(err)
	}
	if _, err := h2.Attach(claimOn("n2", "10.1.0.0/24"), spec(t, "par0"), false); !types.IsConflict(err) {
		t.Errorf("readopted claim not seen: %v", err)
	}
}

func TestSweepDeletesOnlyOurUnclaimedLinks(t *testing.T) {
	e := newHostEnv(t, "macvlan")
	e.addLink("ours0", "cnmkit-macvlan")
	e.addLink("ours1", "cnmkit-macvlan")
	e.addLink("theirs0", "cnmkit-ipvlan")
	e.addLink("user0", "")
	// ours1 is claimed (a parent made by us and in use).
	if _, err := e.h.Readopt(claimOn("n1", "10.1.0.0/24"), spec(t, "ours1"), false); err != nil {
		t.Fatal(err)
	}
	if err := e.h.Sweep(); err != nil {
		t.Fatal(err)
	}
	got := e.links()
	for _, name := range []string{"ours1/", "theirs0/", "user0/", "par0/"} {
		if !strings.Contains(got, name) {
			t.Errorf("%s deleted: %s", name, got)
		}
	}
	if strings.Contains(got, "ours0/") {
		t.Errorf("ours0 kept: %s", got)
	}
	// Its last network gone, a link of ours goes too.
	if err := e.h.Detach("n1"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.links(), "ours1/") {
		t.Errorf("ours1 kept after its last network: %s", e.links())
	}
}

func TestVLANSubInterface(t *testing.T) {
	testutils.RequireLinkType(t, "vlan")
	e := newHostEnv(t, "macvlan")
	before := e.links()
	l, err := e.h.Attach(claimOn("n1", "10.1.0.0/24"), spec(t, "par0.10"), false)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Created || l.Name != "par0.10" {
		t.Errorf("Attach = %+v", l)
	}
	vl, err := e.nlh.LinkByName("par0.10")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := vl.(*netlink.Vlan); !ok || v.VlanId != 10 || vl.Attrs().Alias != "cnmkit-macvlan" {
		t.Errorf("sub-interface %+v", vl)
	}
	if _, err := e.h.Attach(claimOn("n2", "10.2.0.0/24"), spec(t, "par0.10"), false); err != nil {
		t.Fatal(err)
	}
	if err := e.h.Detach("n1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.nlh.LinkByName("par0.10"); err != nil {
		t.Errorf("sub-interface gone while a network uses it: %v", err)
	}
	if err := e.h.Detach("n2"); err != nil {
		t.Fatal(err)
	}
	if got := e.links(); got != before {
		t.Errorf("links left:\n%s\nwere:\n%s", got, before)
	}
	// One we did not make stays.
	par, _ := e.nlh.LinkByName("par0")
	if err := e.nlh.LinkAdd(&netlink.Vlan{LinkAttrs: netlink.LinkAttrs{Name: "par0.20", ParentIndex: par.Attrs().Index, TxQLen: -1}, VlanId: 20}); err != nil {
		t.Fatal(err)
	}
	if l, err := e.h.Attach(claimOn("n3", "10.3.0.0/24"), spec(t, "par0.20"), false); err != nil || l.Created {
		t.Fatalf("Attach existing sub-interface = %+v, %v", l, err)
	}
	if err := e.h.Detach("n3"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.nlh.LinkByName("par0.20"); err != nil {
		t.Errorf("a sub-interface we did not make was deleted: %v", err)
	}
}

func TestDummyParent(t *testing.T) {
	testutils.RequireLinkType(t, "dummy")
	e := newHostEnv(t, "macvlan")
	before := e.links()
	l, err := e.h.Attach(claimOn("0123456789ab", "10.1.0.0/24"), Spec{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Created || l.Name != "cnm-dm-01234567" {
		t.Errorf("Attach = %+v", l)
	}
	dl, err := e.nlh.LinkByName(l.Name)
	if err != nil || dl.Type() != "dummy" || dl.Attrs().Alias != "cnmkit-macvlan" {
		t.Fatalf("dummy link %v, %v", dl, err)
	}
	if err := e.h.Detach("0123456789ab"); err != nil {
		t.Fatal(err)
	}
	if got := e.links(); got != before {
		t.Errorf("links left:\n%s\nwere:\n%s", got, before)
	}
}

func mustNet(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}

// mustNS returns a new handle of e's namespace.
func mustNS(t *testing.T, e *hostEnv) netns.NsHandle {
	t.Helper()
	h, err := netns.GetFromPath(e.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestVLANOnDownLinkRefused(t *testing.T) {
	e := newHostEnv(t, "macvlan")
	par, err := e.nlh.LinkByName("par0")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.nlh.LinkSetDown(par); err != nil {
		t.Fatal(err)
	}
	before := e.links()
	_, err = e.h.Attach(claimOn("n1", "10.1.0.0/24"), spec(t, "par0.10"), false)
	if !types.IsBadRequest(err) || !strings.Contains(err.Error(), "par0 is down") {
		t.Fatalf("got %v, want a BadRequest naming the down link", err)
	}
	if after := e.links(); after != before {
		t.Fatalf("links changed: %v → %v", before, after)
	}
}
