package bridge

import (
	"errors"
	"fmt"
	fw "github.com/cnmkit/libnetwork/firewall"
	fwnft "github.com/cnmkit/libnetwork/firewall/nftables"
	gnft "github.com/google/nftables"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/internal/nftdump"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/options"
	"github.com/docker/libkv/store"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

// env is a test's host namespace with a driver working in it.
type env struct {
	t     *testing.T
	hostH netns.NsHandle
	nl    *netlink.Handle
	d     *driver
	cfg   map[string]interface{}
}

// newEnv makes a host namespace of the test's own and a driver in it.
func newEnv(t *testing.T, c Configuration, extra map[string]interface{}) *env {
	t.Helper()
	testutils.RequireRoot(t)
	_, h := testutils.NewNS(t, "host")
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nl.Close)
	e := &env{t: t, hostH: h, nl: nl}
	e.cfg = map[string]interface{}{netlabel.GenericData: c, HostNetNSKey: h}
	for k, v := range extra {
		e.cfg[k] = v
	}
	e.d = e.start()
	return e
}

// start makes a driver on e's namespace and configuration.
func (e *env) start() *driver {
	e.t.Helper()
	d, err := newDriver(e.cfg)
	if err != nil {
		e.t.Fatalf("newDriver: %v", err)
	}
	e.t.Cleanup(func() { d.Close() })
	return d
}

// newStore opens a local boltdb store in dir.
func newStore(t *testing.T, dir string) datastore.DataStore {
	t.Helper()
	s, err := datastore.NewDataStore(datastore.LocalScope, &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{
		Provider: string(store.BOLTDB), Address: filepath.Join(dir, "local-kv.db"),
		Config: &store.Config{Bucket: "cnmkit", ConnectionTimeout: time.Second, PersistConnection: true}}})
	if err != nil {
		t.Fatal(err)
	}
	return s
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

func pool(t testing.TB, p, gw string) []driverapi.IPAMData {
	t.Helper()
	return []driverapi.IPAMData{{AddressSpace: "test", Pool: cidr(t, p), Gateway: cidr(t, gw)}}
}

// netOpts returns CreateNetwork options with generic network options g.
func netOpts(g options.Generic) map[string]interface{} {
	return map[string]interface{}{netlabel.GenericData: g}
}

// createNet creates network nid with pool p (gateway .1).
func (e *env) createNet(nid string, g options.Generic, p, gw string) {
	e.t.Helper()
	if err := e.d.CreateNetwork(nid, netOpts(g), nil, pool(e.t, p, gw), nil); err != nil {
		e.t.Fatalf("CreateNetwork %s: %v", nid, err)
	}
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

// fakeJoin is the JoinInfo a controller would pass.
type fakeJoin struct {
	mu          sync.Mutex
	src, prefix string
	gw, gw6     net.IP
}

func (j *fakeJoin) InterfaceName() driverapi.InterfaceNameInfo { return j }
func (j *fakeJoin) SetNames(src, prefix string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.src, j.prefix = src, prefix
	return nil
}
func (j *fakeJoin) SetGateway(ip net.IP) error     { j.gw = ip; return nil }
func (j *fakeJoin) SetGatewayIPv6(ip net.IP) error { j.gw6 = ip; return nil }
func (j *fakeJoin) AddStaticRoute(*net.IPNet, int, net.IP) error {
	return nil
}
func (j *fakeJoin) DisableGatewayService()                     {}
func (j *fakeJoin) AddTableEntry(string, string, []byte) error { return nil }

// container is a sandbox namespace with an endpoint joined and configured
// the way the controller's sandbox would.
type container struct {
	name string
	path string
	h    netns.NsHandle
	nl   *netlink.Handle
	eid  string
	addr *net.IPNet
	j    *fakeJoin
}

// newSandboxNS creates a pinned namespace for a sandbox; destroy (also run
// at cleanup) drops it.
func newSandboxNS(t *testing.T, name string) (string, netns.NsHandle, *netlink.Handle) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := ns.NewPinned(path, true); err != nil {
		t.Fatal(err)
	}
	h, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	sandboxes.Store(path, &sbHandles{h: h, nl: nl})
	t.Cleanup(func() { destroySandbox(t, path) })
	return path, h, nl
}

type sbHandles struct {
	h  netns.NsHandle
	nl *netlink.Handle
}

var sandboxes sync.Map

// destroySandbox closes our handles to the sandbox at path and unpins it:
// the kernel frees the namespace and its links.
func destroySandbox(t *testing.T, path string) {
	v, ok := sandboxes.LoadAndDelete(path)
	if !ok {
		return
	}
	sb := v.(*sbHandles)
	sb.nl.Close()
	sb.h.Close()
	if err := ns.RemovePinned(path); err != nil {
		t.Errorf("remove sandbox %s: %v", path, err)
	}
}

var errStill = errors.New("still there")

// run creates endpoint eid with addr on nid, joins it to a new sandbox and
// configures the interface there (address, up, default route).
func (e *env) run(name, nid, eid, addr string) *container {
	e.t.Helper()
	c := &container{name: name, eid: eid, addr: cidr(e.t, addr), j: &fakeJoin{}}
	c.path, c.h, c.nl = newSandboxNS(e.t, name)
	if err := e.d.CreateEndpoint(nid, eid, &fakeIf{addr: c.addr}, nil); err != nil {
		e.t.Fatalf("CreateEndpoint %s: %v", eid, err)
	}
	if err := e.d.Join(nid, eid, c.path, c.j, nil); err != nil {
		e.t.Fatalf("Join %s: %v", eid, err)
	}
	c.configure(e.t)
	return c
}

func (c *container) configure(t *testing.T) {
	t.Helper()
	l, err := c.nl.LinkByName(c.j.src)
	if err != nil {
		t.Fatalf("container end %s not in sandbox %s: %v", c.j.src, c.name, err)
	}
	if err := c.nl.LinkSetName(l, "eth0"); err != nil {
		t.Fatal(err)
	}
	if err := c.nl.AddrAdd(l, &netlink.Addr{IPNet: c.addr}); err != nil {
		t.Fatal(err)
	}
	if err := c.nl.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
	if c.j.gw != nil {
		if err := c.nl.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Gw: c.j.gw}); err != nil {
			t.Fatal(err)
		}
	}
}

// eventually polls cond until it holds or a deadline passes.
func eventually(t *testing.T, what string, cond func() error) {
	t.Helper()
	testutils.Eventually(t, what, 10*time.Second, cond)
}

// listen starts a TCP echo server inside h on addr.
func listen(t *testing.T, h netns.NsHandle, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	testutils.InNS(t, h, func() (err error) { ln, err = net.Listen("tcp", addr); return err })
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				// Echo the peer's address as the server saw it, then the data.
				fmt.Fprintf(c, "%s\n", c.RemoteAddr().(*net.TCPAddr).IP)
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln
}

// dial connects from inside h to addr, exchanges a message and returns the
// address the server saw.
func dial(h netns.NsHandle, addr string, timeout time.Duration) (string, error) {
	var seen string
	err := ns.WithNetNS(h, func() error {
		c, err := net.DialTimeout("tcp", addr, timeout)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(timeout))
		if _, err := c.Write([]byte("hello\n")); err != nil {
			return err
		}
		buf := make([]byte, 128)
		n, err := io.ReadAtLeast(c, buf, 1)
		if err != nil {
			return err
		}
		got := string(buf[:n])
		for !strings.Contains(got, "hello") {
			m, err := c.Read(buf)
			if err != nil {
				return err
			}
			got += string(buf[:m])
		}
		seen = strings.SplitN(got, "\n", 2)[0]
		return nil
	})
	return seen, err
}

// links returns the sorted "name type" of the links in the namespace.
func links(t *testing.T, nl *netlink.Handle) []string {
	t.Helper()
	ls, err := nl.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		out = append(out, l.Attrs().Name+" "+l.Type())
	}
	sort.Strings(out)
	return out
}

// firewall returns iptables-save and ip6tables-save of h, without comments
// and counters, and without tables that hold only empty built-in chains
// with the ACCEPT policy (nf_tables keeps a table once used), and h's
// other nf_tables state (the port mapper's tables).
func firewallState(t *testing.T, h netns.NsHandle) string {
	t.Helper()
	var out strings.Builder
	for _, bin := range []string{"iptables-save", "ip6tables-save"} {
		var b []byte
		testutils.InNS(t, h, func() (err error) { b, err = exec.Command(bin).Output(); return err })
		out.WriteString(bin + ":\n" + normalizeSave(string(b)))
	}
	out.WriteString("nf_tables:\n" + nftdump.State(t, h))
	return out.String()
}

func normalizeSave(s string) string {
	var out, table strings.Builder
	interesting := false
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "*"):
			table.Reset()
			interesting = false
			table.WriteString(line + "\n")
		case strings.HasPrefix(line, ":"):
			f := strings.Fields(line)
			table.WriteString(f[0] + " " + f[1] + "\n")
			if f[1] != "ACCEPT" {
				interesting = true
			}
		case line == "COMMIT":
			if interesting {
				out.WriteString(table.String() + "COMMIT\n")
			}
		default:
			interesting = true
			table.WriteString(line + "\n")
		}
	}
	return out.String()
}

// ruleCount returns how many lines of the save output contain all of words.
func ruleCount(state string, words ...string) int {
	n := 0
	for _, line := range strings.Split(state, "\n") {
		ok := strings.HasPrefix(line, "-A ")
		for _, w := range words {
			ok = ok && strings.Contains(line, w)
		}
		if ok {
			n++
		}
	}
	return n
}

// hostVeth returns the host end of an endpoint, or nil.
func (e *env) hostVeth(eid string) netlink.Link {
	l, err := e.nl.LinkByName(hostVethName(eid))
	if err != nil {
		return nil
	}
	return l
}

// ip4 converts "a.b.c.d" into 4 bytes.
func ip4(s string) net.IP { return net.ParseIP(s).To4() }

// backends are the firewall backends every behaviour test runs against.
var backends = []string{fw.NFTables, fw.IPTables}

// withBackend returns c with the firewall backend be.
func withBackend(c Configuration, be string) Configuration {
	c.FirewallBackend = be
	return c
}

// eachBackend runs fn as a subtest per firewall backend.
func eachBackend(t *testing.T, fn func(t *testing.T, cfg Configuration)) {
	for _, be := range backends {
		t.Run(be, func(t *testing.T) { fn(t, withBackend(fullConfig, be)) })
	}
}

// ifHex is an interface name as nftdump shows a set key.
func ifHex(name string) string { return fmt.Sprintf("%x", fwnft.IfName(name)) }

// deleteTable deletes an nf_tables table of h, as someone else might.
func deleteTable(t *testing.T, h netns.NsHandle, tb *gnft.Table) {
	t.Helper()
	c, err := fwnft.Open(h)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Do("test: delete table", func(nc *gnft.Conn) error { nc.DelTable(tb); return nil }); err != nil {
		t.Fatal(err)
	}
}
