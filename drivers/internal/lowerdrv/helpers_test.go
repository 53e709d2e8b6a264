package lowerdrv_test

import (
	"net"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/ipvlan"
	"github.com/cnmkit/libnetwork/drivers/macvlan"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/docker/libkv/store"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

// env is a host namespace of the test's own holding parent link "par0",
// a veth whose peer is in an "external router" namespace holding
// 10.150.0.1/24 and fd00:150::1/64, with a macvlan and an ipvlan driver.
type env struct {
	t      *testing.T
	host   netns.NsHandle
	hnl    *netlink.Handle
	rtr    netns.NsHandle
	rnl    *netlink.Handle
	store  datastore.DataStore
	mv, iv driverapi.Driver
}

var (
	routerIP  = net.ParseIP("10.150.0.1").To4()
	routerIP6 = net.ParseIP("fd00:150::1")
)

func newEnv(t *testing.T, persist bool) *env {
	t.Helper()
	testutils.RequireRoot(t)
	_, h := testutils.NewNS(t, "host")
	_, r := testutils.NewNS(t, "router")
	e := &env{t: t, host: h, rtr: r}
	var err error
	if e.hnl, err = netlink.NewHandleAt(h); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.hnl.Close)
	if e.rnl, err = netlink.NewHandleAt(r); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.rnl.Close)
	e.veth("par0", "rtr0", "10.150.0.1/24", "fd00:150::1/64")
	if persist {
		e.store = newStore(t, t.TempDir())
	}
	e.start()
	return e
}

// veth makes parent link name in the host namespace, its peer in the
// router namespace with addrs, both up.
func (e *env) veth(name, peer string, addrs ...string) {
	t := e.t
	t.Helper()
	la := netlink.NewLinkAttrs()
	la.Name = name
	if err := e.hnl.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: peer, PeerNamespace: netlink.NsFd(int(e.rtr))}); err != nil {
		t.Fatal(err)
	}
	hl, err := e.hnl.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	must(t, e.hnl.LinkSetUp(hl))
	rl, err := e.rnl.LinkByName(peer)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		must(t, e.rnl.AddrAdd(rl, &netlink.Addr{IPNet: cidr(t, a), Flags: unix.IFA_F_NODAD}))
	}
	must(t, e.rnl.LinkSetUp(rl))
}

// start makes the drivers (again) on the host namespace and store.
func (e *env) start() {
	e.t.Helper()
	cfg := map[string]interface{}{netlabel.HostNetNS: e.host}
	if e.store != nil {
		cfg[netlabel.LocalKVClient] = e.store
	}
	var mv, iv testutils.Registered
	if err := macvlan.Init(&mv, cfg); err != nil {
		e.t.Fatalf("macvlan.Init: %v", err)
	}
	if err := ipvlan.Init(&iv, cfg); err != nil {
		e.t.Fatalf("ipvlan.Init: %v", err)
	}
	if mv.Name != "macvlan" || iv.Name != "ipvlan" || mv.Cap.DataScope != datastore.LocalScope {
		e.t.Fatalf("registered %q %q %+v", mv.Name, iv.Name, mv.Cap)
	}
	e.mv, e.iv = mv.Driver, iv.Driver
	for _, d := range []driverapi.Driver{e.mv, e.iv} {
		d := d
		e.t.Cleanup(func() { closeDriver(d) })
	}
}

func closeDriver(d driverapi.Driver) {
	if c, ok := d.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}

// restart closes the drivers and makes new ones.
func (e *env) restart() {
	e.t.Helper()
	closeDriver(e.mv)
	closeDriver(e.iv)
	e.start()
}

func newStore(t *testing.T, dir string) datastore.DataStore {
	t.Helper()
	s, err := datastore.NewDataStore(datastore.LocalScope, &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{
		Provider: string(store.BOLTDB), Address: filepath.Join(dir, "local-kv.db"),
		Config: &store.Config{Bucket: "cnmkit", ConnectionTimeout: time.Second, PersistConnection: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// links lists the host namespace's links (name/type/alias) and addresses.
func (e *env) links() string {
	e.t.Helper()
	ls, err := e.hnl.LinkList()
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		out = append(out, l.Attrs().Name+"/"+l.Type()+"/"+l.Attrs().Alias)
	}
	as, err := e.hnl.AddrList(nil, netlink.FAMILY_ALL)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range as {
		if a.IP.IsLinkLocalUnicast() {
			continue
		}
		out = append(out, "addr "+a.IPNet.String())
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func cidr(t testing.TB, s string) *net.IPNet {
	t.Helper()
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	n.IP = ip
	return n
}

func ipam(t testing.TB, pool, gw string) []driverapi.IPAMData {
	t.Helper()
	if pool == "" {
		return nil
	}
	d := driverapi.IPAMData{AddressSpace: "test", Pool: cidr(t, pool)}
	if gw != "" {
		d.Gateway = cidr(t, gw)
	}
	return []driverapi.IPAMData{d}
}

func opts(kv ...string) map[string]interface{} {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return map[string]interface{}{netlabel.GenericData: m}
}

// fakeIf is the InterfaceInfo a controller would pass.
type fakeIf struct {
	mac   net.HardwareAddr
	addr  *net.IPNet
	addr6 *net.IPNet
}

func (f *fakeIf) SetMacAddress(m net.HardwareAddr) error { f.mac = m; return nil }
func (f *fakeIf) SetIPAddress(a *net.IPNet) error        { return nil }
func (f *fakeIf) MacAddress() net.HardwareAddr           { return f.mac }
func (f *fakeIf) Address() *net.IPNet                    { return f.addr }
func (f *fakeIf) AddressIPv6() *net.IPNet                { return f.addr6 }

// fakeJoin is the JoinInfo a controller would pass; it suggests "eth0".
type fakeJoin struct {
	mu          sync.Mutex
	src, prefix string
	gw, gw6     net.IP
	routes      []*net.IPNet
	noGWService bool
}

func (j *fakeJoin) InterfaceName() driverapi.InterfaceNameInfo { return j }
func (j *fakeJoin) SuggestName(prefix string) string           { return prefix + "0" }
func (j *fakeJoin) SetNames(src, prefix string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.src, j.prefix = src, prefix
	return nil
}
func (j *fakeJoin) SetGateway(ip net.IP) error     { j.gw = ip; return nil }
func (j *fakeJoin) SetGatewayIPv6(ip net.IP) error { j.gw6 = ip; return nil }
func (j *fakeJoin) AddStaticRoute(dst *net.IPNet, typ int, nh net.IP) error {
	j.routes = append(j.routes, dst)
	return nil
}
func (j *fakeJoin) DisableGatewayService()                     { j.noGWService = true }
func (j *fakeJoin) AddTableEntry(string, string, []byte) error { return nil }

// ctr is a sandbox namespace with an endpoint joined and configured the
// way the controller's sandbox would (addresses, up, default routes).
type ctr struct {
	path string
	h    netns.NsHandle
	nl   *netlink.Handle
	eid  string
	ip   net.IP
	ip6  net.IP
	mac  net.HardwareAddr
	j    *fakeJoin
}

// run creates endpoint eid of network nid of d with addr (and addr6 when
// set) and joins it to a new sandbox namespace.
func (e *env) run(d driverapi.Driver, nid, eid, addr, addr6 string) *ctr {
	t := e.t
	t.Helper()
	path, h := testutils.NewNS(t, eid)
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nl.Close)
	c := &ctr{path: path, h: h, nl: nl, eid: eid, j: &fakeJoin{}}
	ifi := &fakeIf{}
	if addr != "" {
		ifi.addr = cidr(t, addr)
		c.ip = ifi.addr.IP
	}
	if addr6 != "" {
		ifi.addr6 = cidr(t, addr6)
		c.ip6 = ifi.addr6.IP
	}
	if err := d.CreateEndpoint(nid, eid, ifi, nil); err != nil {
		t.Fatalf("CreateEndpoint %s: %v", eid, err)
	}
	c.mac = ifi.mac
	if err := d.Join(nid, eid, path, c.j, nil); err != nil {
		t.Fatalf("Join %s: %v", eid, err)
	}
	c.configure(t, ifi)
	return c
}

// configure does the sandbox's part of the join.
func (c *ctr) configure(t *testing.T, ifi *fakeIf) {
	t.Helper()
	l, err := c.nl.LinkByName(c.j.src)
	if err != nil {
		t.Fatalf("interface %s not in the sandbox: %v", c.j.src, err)
	}
	for _, a := range []*net.IPNet{ifi.addr, ifi.addr6} {
		if a != nil {
			must(t, c.nl.AddrAdd(l, &netlink.Addr{IPNet: a, Flags: unix.IFA_F_NODAD}))
		}
	}
	must(t, c.nl.LinkSetUp(l))
	if c.j.gw != nil {
		must(t, c.nl.RouteAdd(&netlink.Route{Gw: c.j.gw, LinkIndex: l.Attrs().Index}))
	}
	if c.j.gw6 != nil {
		must(t, c.nl.RouteAdd(&netlink.Route{Gw: c.j.gw6, LinkIndex: l.Attrs().Index}))
	}
	for _, r := range c.j.routes {
		rt := &netlink.Route{Dst: r, LinkIndex: l.Attrs().Index}
		if r.IP.To4() != nil {
			rt.Scope = netlink.SCOPE_LINK
		}
		must(t, c.nl.RouteAdd(rt))
	}
}

// pings polls until ICMP from h reaches ip.
func pings(t *testing.T, h netns.NsHandle, ip net.IP) {
	t.Helper()
	testutils.Eventually(t, "ping "+ip.String(), 10*time.Second, func() error {
		return testutils.Ping(h, ip, 300*time.Millisecond)
	})
}

// noPing checks that ICMP from h does not reach ip.
func noPing(t *testing.T, h netns.NsHandle, ip net.IP) {
	t.Helper()
	if err := testutils.Ping(h, ip, 700*time.Millisecond); err == nil {
		t.Errorf("ping %s got through", ip)
	}
}
