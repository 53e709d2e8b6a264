package overlay

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/osl"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// A cluster is a set of "hosts": namespaces made by the test, joined by
// an underlay bridge in a namespace of its own, each running a driver
// whose host namespace is the host's. Containers are sandbox namespaces
// made by the test. A fake gossip carries each host's table entries to the
// other hosts' EventNotify.
type cluster struct {
	t      testing.TB
	hosts  []*host
	gossip *gossip
	ul     netns.NsHandle // the underlay namespace
	// what the hosts held before any network (tests that record it)
	baseLinks  [][]string
	baseStates []testutils.NetState
}

type host struct {
	name string
	idx  int
	h    netns.NsHandle
	nl   *netlink.Handle
	ip   net.IP
	root string // the driver's exec root
	d    *driver
}

// clusterOpts shape a cluster.
type clusterOpts struct {
	v6Underlay  bool
	underlayMTU int
}

// newCluster makes n hosts on an underlay 192.168.100.0/24 (or
// fd00:100::/64), hosts at .1, .2, …, each with a driver told its address.
func newCluster(t testing.TB, n int, o clusterOpts) *cluster {
	t.Helper()
	testutils.RequireRoot(t)
	_, uh := testutils.NewNS(t, "underlay")
	unl, err := netlink.NewHandleAt(uh)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unl.Close)
	la := netlink.NewLinkAttrs()
	la.Name = "ul0"
	br := &netlink.Bridge{LinkAttrs: la}
	if err := unl.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	if err := unl.LinkSetUp(br); err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, gossip: &gossip{}, ul: uh}
	for i := 0; i < n; i++ {
		hst := &host{name: fmt.Sprintf("host%d", i+1), idx: i}
		_, hst.h = testutils.NewNS(t, hst.name)
		if hst.nl, err = netlink.NewHandleAt(hst.h); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(hst.nl.Close)
		va := netlink.NewLinkAttrs()
		va.Name, va.MasterIndex = fmt.Sprintf("ul-%d", i+1), br.Index
		if o.underlayMTU > 0 {
			va.MTU = o.underlayMTU
		}
		veth := &netlink.Veth{LinkAttrs: va, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(hst.h))}
		if err := unl.LinkAdd(veth); err != nil {
			t.Fatal(err)
		}
		if err := unl.LinkSetUp(veth); err != nil {
			t.Fatal(err)
		}
		eth, err := hst.nl.LinkByName("eth0")
		if err != nil {
			t.Fatal(err)
		}
		if o.underlayMTU > 0 {
			if err := hst.nl.LinkSetMTU(eth, o.underlayMTU); err != nil {
				t.Fatal(err)
			}
		}
		addr := &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(192, 168, 100, byte(i+1)).To4(), Mask: net.CIDRMask(24, 32)}}
		if o.v6Underlay {
			addr = &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP(fmt.Sprintf("fd00:100::%d", i+1)), Mask: net.CIDRMask(64, 128)}, Flags: unix.IFA_F_NODAD}
		}
		if err := hst.nl.AddrAdd(eth, addr); err != nil {
			t.Fatal(err)
		}
		if err := hst.nl.LinkSetUp(eth); err != nil {
			t.Fatal(err)
		}
		hst.ip = addr.IP
		hst.root = filepath.Join(t.TempDir(), "overlay")
		hst.d = c.startDriver(hst)
		c.hosts = append(c.hosts, hst)
	}
	c.gossip.hosts = c.hosts
	return c
}

// startDriver starts a driver for hst and tells it its address.
func (c *cluster) startDriver(hst *host, extra ...interface{}) *driver {
	c.t.Helper()
	cfg := map[string]interface{}{netlabel.HostNetNS: hst.h, ExecRootKey: hst.root}
	for i := 0; i+1 < len(extra); i += 2 {
		cfg[extra[i].(string)] = extra[i+1]
	}
	d, err := newDriver(cfg)
	if err != nil {
		c.t.Fatalf("%s: newDriver: %v", hst.name, err)
	}
	// Close keeps the overlay namespaces for a next driver: unpin what is
	// left once the driver is closed (cleanups run last-in first-out).
	root := hst.root
	c.t.Cleanup(func() { unpinAll(root) })
	c.t.Cleanup(func() { d.Close() })
	ip := hst.ip.String()
	if err := d.DiscoverNew(discoverapi.NodeDiscovery, discoverapi.NodeDiscoveryData{Address: ip, BindAddress: ip, Self: true}); err != nil {
		c.t.Fatalf("%s: node discovery: %v", hst.name, err)
	}
	return d
}

// netSpec is an overlay network to create on hosts.
type netSpec struct {
	id   string
	vnis string
	v4   []string // "10.10.0.0/24" (gateway .1)
	v6   []string
	mtu  int
}

func (s netSpec) options() map[string]interface{} {
	g := map[string]string{netlabel.OverlayVxlanIDList: s.vnis}
	if s.mtu > 0 {
		g[netlabel.DriverMTU] = fmt.Sprint(s.mtu)
	}
	return map[string]interface{}{netlabel.GenericData: g}
}

type fakeNetInfo struct{ tables []string }

func (f *fakeNetInfo) TableEventRegister(table string) error {
	f.tables = append(f.tables, table)
	return nil
}

// createNet creates s on the given hosts (all when none given).
func (c *cluster) createNet(s netSpec, on ...*host) {
	c.t.Helper()
	if len(on) == 0 {
		on = c.hosts
	}
	for _, h := range on {
		ni := &fakeNetInfo{}
		if err := h.d.CreateNetwork(s.id, s.options(), ni, pools(c.t, s.v4...), pools(c.t, s.v6...)); err != nil {
			c.t.Fatalf("%s: CreateNetwork %s: %v", h.name, s.id, err)
		}
		if len(ni.tables) != 1 || ni.tables[0] != PeerTable {
			c.t.Fatalf("%s: CreateNetwork registered tables %v, want [%s]", h.name, ni.tables, PeerTable)
		}
		c.gossip.replay(h, s.id)
	}
}

// container is a sandbox namespace with one endpoint joined, configured
// the way the controller's sandbox would (osl.AddInterface).
type container struct {
	name  string
	path  string
	h     netns.NsHandle
	sb    osl.Sandbox
	host  *host
	nid   string
	eid   string
	addr  *net.IPNet
	addr6 *net.IPNet
	j     *fakeJoin
}

// newContainer makes a sandbox namespace on host h.
func (c *cluster) newContainer(h *host, name string) *container {
	c.t.Helper()
	path := filepath.Join(c.t.TempDir(), name)
	sb, err := osl.NewSandbox(path, true)
	if err != nil {
		c.t.Fatal(err)
	}
	nh, err := netns.GetFromPath(path)
	if err != nil {
		c.t.Fatal(err)
	}
	ct := &container{name: name, path: path, h: nh, sb: sb, host: h}
	c.t.Cleanup(ct.destroy)
	return ct
}

func (ct *container) destroy() {
	if ct.h.IsOpen() {
		ct.h.Close()
	}
	_ = ct.sb.Destroy()
}

// endpoint creates endpoint eid on nid with the given addresses ("" for none).
func (c *cluster) endpoint(ct *container, nid, eid, addr, addr6 string) {
	c.t.Helper()
	ct.nid, ct.eid = nid, eid
	fi := &fakeIf{}
	if addr != "" {
		fi.addr = mustCIDR(c.t, addr)
	}
	if addr6 != "" {
		fi.addr6 = mustCIDR(c.t, addr6)
	}
	if err := ct.host.d.CreateEndpoint(nid, eid, fi, nil); err != nil {
		c.t.Fatalf("%s: CreateEndpoint %s: %v", ct.host.name, eid, err)
	}
	ct.addr, ct.addr6 = fi.addr, fi.addr6
}

// join joins ct's endpoint, configures its interface like the controller
// and publishes its entry through the gossip.
func (c *cluster) join(ct *container) {
	c.t.Helper()
	if err := c.tryJoin(ct); err != nil {
		c.t.Fatalf("%s: join %s: %v", ct.host.name, ct.name, err)
	}
	for k, v := range ct.j.entries {
		c.gossip.publish(ct.host, ct.nid, k, v)
	}
}

// tryJoin is join without the gossip.
func (c *cluster) tryJoin(ct *container) error {
	ct.j = &fakeJoin{}
	if err := ct.host.d.Join(ct.nid, ct.eid, ct.path, ct.j, nil); err != nil {
		return err
	}
	opts := []osl.IfaceOption{osl.WithAddress(ct.addr), osl.WithIPv6Address(ct.addr6)}
	if err := ct.sb.AddInterface(ct.j.src, ct.j.prefix, opts...); err != nil {
		return err
	}
	for _, r := range ct.j.routes {
		if err := ct.sb.AddStaticRoute(r); err != nil {
			return err
		}
	}
	return nil
}

// leave makes ct's endpoint leave and withdraws its entry, then removes
// its interface from the sandbox as the controller does.
func (c *cluster) leave(ct *container) {
	c.t.Helper()
	if err := ct.host.d.Leave(ct.nid, ct.eid); err != nil {
		c.t.Fatalf("%s: leave %s: %v", ct.host.name, ct.name, err)
	}
	c.gossip.withdraw(ct.nid, ct.eid)
	for _, i := range ct.sb.Interfaces() {
		_ = i.Remove()
	}
}

// run runs fn inside the container's namespace.
func (ct *container) run(fn func() error) error { return ns.WithNetNS(ct.h, fn) }

// eventually polls cond until it returns nil or the deadline passes.
func eventually(t testing.TB, what string, d time.Duration, cond func() error) {
	t.Helper()
	testutils.Eventually(t, what, d, cond)
}

// overlayState is what a host's overlay namespace of a network holds.
type overlayState struct {
	links []string
	fdb   map[string]string // MAC → VTEP (static tunnel entries)
	neigh map[string]string // IP → MAC (on the VXLAN devices)
}

// inspect reads the overlay namespace of nid on h; ok is false when there
// is none. The handle is closed before returning, so the namespace is not
// kept alive.
func (h *host) inspect(t testing.TB, nid string) (overlayState, bool) {
	t.Helper()
	path := filepath.Join(h.root, nsFileName(nid))
	st := overlayState{fdb: map[string]string{}, neigh: map[string]string{}}
	if !ns.IsNetNS(path) {
		return st, false
	}
	nh, err := netns.GetFromPath(path)
	if err != nil {
		return st, false
	}
	defer nh.Close()
	nl, err := netlink.NewHandleAt(nh)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	links, err := nl.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		st.links = append(st.links, l.Attrs().Name+"/"+l.Type())
		if l.Type() != "vxlan" {
			continue
		}
		fdb, err := nl.NeighList(l.Attrs().Index, unix.AF_BRIDGE)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range fdb {
			if e.Flags&netlink.NTF_SELF != 0 && e.IP != nil && e.State&netlink.NUD_PERMANENT != 0 {
				st.fdb[e.HardwareAddr.String()] = e.IP.String()
			}
		}
		for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
			ns, err := nl.NeighList(l.Attrs().Index, fam)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ns {
				if e.State&netlink.NUD_PERMANENT != 0 {
					st.neigh[e.IP.String()] = e.HardwareAddr.String()
				}
			}
		}
	}
	sort.Strings(st.links)
	return st, true
}

// hostLinks returns the links of h's host namespace.
func (h *host) hostLinks(t testing.TB) []string {
	t.Helper()
	links, err := h.nl.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range links {
		out = append(out, l.Attrs().Name)
	}
	sort.Strings(out)
	return out
}

// vxlanSocket reports whether h's host namespace has a UDP socket on port.
func (h *host) vxlanSocket(t testing.TB, port int) bool {
	t.Helper()
	found := false
	err := ns.WithNetNS(h.h, func() error {
		for _, f := range []string{"/proc/thread-self/net/udp", "/proc/thread-self/net/udp6"} {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			if strings.Contains(string(b), fmt.Sprintf(":%04X ", port)) {
				found = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// assertNothing checks that h holds no kernel object of network nid (and
// no VXLAN socket at all), polling while the kernel frees the namespace.
func (h *host) assertNothing(t testing.TB, nid string, baseline []string) {
	t.Helper()
	eventually(t, h.name+": no kernel object of "+nid, 10*time.Second, func() error {
		if _, ok := h.inspect(t, nid); ok {
			return fmt.Errorf("overlay namespace still pinned")
		}
		if h.vxlanSocket(t, DefaultVXLANPort) {
			return fmt.Errorf("VXLAN UDP socket still open in the host namespace")
		}
		if got := h.hostLinks(t); strings.Join(got, ",") != strings.Join(baseline, ",") {
			return fmt.Errorf("host links %v, want %v", got, baseline)
		}
		if entries, _ := os.ReadDir(h.root); len(entries) != 0 {
			return fmt.Errorf("exec root holds %d files", len(entries))
		}
		return nil
	})
}

// unpinAll removes every namespace pinned under root.
func unpinAll(root string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		_ = ns.RemovePinned(filepath.Join(root, e.Name()))
	}
}
