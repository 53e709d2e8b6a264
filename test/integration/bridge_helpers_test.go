package integration

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/nftdump"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/osl"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// bridgeEnv is a controller whose host namespace is a namespace of the
// test's own (the test goroutine's thread is moved into it), with its data
// dir and exec root in temporary directories.
type bridgeEnv struct {
	t        testing.TB
	host     netns.NsHandle
	hnl      *netlink.Handle
	dataDir  string
	execRoot string
	drv      options.Generic
	opts     []config.Option // given to every start
	c        libnetwork.NetworkController
}

// fullBridge is the driver configuration of a container runtime.
func fullBridge() options.Generic {
	return options.Generic{"EnableIPForwarding": true, "EnableIPTables": true}
}

// firewallBackends are the bridge firewall backends the behaviour tests
// run against.
var firewallBackends = []string{"nftables", "iptables"}

// eachFirewall runs fn as a subtest per firewall backend, with fullBridge
// forcing that backend.
func eachFirewall(t *testing.T, fn func(t *testing.T, drv options.Generic)) {
	for _, be := range firewallBackends {
		t.Run(be, func(t *testing.T) {
			drv := fullBridge()
			drv["FirewallBackend"] = be
			fn(t, drv)
		})
	}
}

func newBridgeEnv(t testing.TB, drv options.Generic) *bridgeEnv {
	t.Helper()
	return newBridgeEnvWith(t, drv)
}

// newBridgeEnvWith is newBridgeEnv whose controllers all get opts too.
func newBridgeEnvWith(t testing.TB, drv options.Generic, opts ...config.Option) *bridgeEnv {
	t.Helper()
	h := testutils.SetupTestOSContext(t)
	hnl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	e := &bridgeEnv{t: t, host: h, hnl: hnl, dataDir: t.TempDir(), execRoot: tmpfsDir(t), drv: drv, opts: opts}
	t.Cleanup(func() {
		if e.c != nil {
			e.c.Stop()
		}
		_ = osl.GCAt(e.execRoot, nil)
		hnl.Close()
	})
	e.start()
	return e
}

// tmpfsDir returns a temporary directory with a tmpfs mounted on it, as
// the default exec root (/run/cnmkit) is on a Linux host. The tests run in
// a mount namespace of their own whose mounts do not propagate.
func tmpfsDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "mode=0755"); err != nil {
		t.Fatalf("mount a tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

func (e *bridgeEnv) start(opts ...config.Option) {
	e.t.Helper()
	c, err := libnetwork.New(append([]config.Option{config.OptionDataDir(e.dataDir), config.OptionExecRoot(e.execRoot),
		config.OptionHostResolvConf(filepath.Join(e.dataDir, "no-host-resolv.conf")),
		config.OptionDriverConfig("bridge", map[string]interface{}{netlabel.GenericData: e.drv})}, append(e.opts, opts...)...)...)
	if err != nil {
		e.t.Fatalf("libnetwork.New: %v", err)
	}
	e.c = c
}

// restart stops the controller and starts another on the same dirs.
func (e *bridgeEnv) restart(opts ...config.Option) {
	e.t.Helper()
	e.c.Stop()
	e.c = nil
	e.start(opts...)
}

// network creates a bridge network on pool (gateway .1) with driver
// options opts (labels) and network options.
func (e *bridgeEnv) network(name, pool string, opts map[string]string, nopts ...libnetwork.NetworkOption) libnetwork.Network {
	e.t.Helper()
	all := []libnetwork.NetworkOption{
		libnetwork.NetworkOptionIpam("default", "", []*libnetwork.IpamConf{{PreferredPool: pool}}, nil, nil),
	}
	if opts != nil {
		all = append(all, libnetwork.NetworkOptionDriverOpts(opts))
	}
	n, err := e.c.NewNetwork("bridge", name, "", append(all, nopts...)...)
	if err != nil {
		e.t.Fatalf("NewNetwork %s: %v", name, err)
	}
	return n
}

// ctr is a container: a sandbox with an endpoint joined.
type ctr struct {
	sb  libnetwork.Sandbox
	eps []libnetwork.Endpoint
	h   netns.NsHandle
	ip  net.IP
	ip6 net.IP
}

// run creates a sandbox named name and joins a new endpoint of n to it.
func (e *bridgeEnv) run(n libnetwork.Network, name string, sbOpts ...libnetwork.SandboxOption) *ctr {
	e.t.Helper()
	sb, err := e.c.NewSandbox(name, sbOpts...)
	if err != nil {
		e.t.Fatalf("NewSandbox %s: %v", name, err)
	}
	c := &ctr{sb: sb}
	if c.h, err = netns.GetFromPath(sb.Key()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.h.Close() })
	e.join(c, n)
	return c
}

// join joins c to a new endpoint of n.
func (e *bridgeEnv) join(c *ctr, n libnetwork.Network) libnetwork.Endpoint {
	e.t.Helper()
	ep, err := n.CreateEndpoint(fmt.Sprintf("%s-%d", c.sb.ContainerID(), len(c.eps)))
	if err != nil {
		e.t.Fatalf("CreateEndpoint: %v", err)
	}
	if err := ep.Join(c.sb); err != nil {
		e.t.Fatalf("Join: %v", err)
	}
	c.eps = append(c.eps, ep)
	if c.ip == nil {
		c.ip = ep.Info().Iface().Address().IP
		if a6 := ep.Info().Iface().AddressIPv6(); a6 != nil {
			c.ip6 = a6.IP
		}
	}
	return ep
}

// remove leaves and deletes c's endpoints and deletes its sandbox.
func (c *ctr) remove(t testing.TB) {
	t.Helper()
	for _, ep := range c.eps {
		if err := ep.Leave(c.sb); err != nil {
			t.Fatalf("Leave: %v", err)
		}
		if err := ep.Delete(false); err != nil {
			t.Fatalf("endpoint Delete: %v", err)
		}
	}
	if err := c.sb.Delete(); err != nil {
		t.Fatalf("sandbox Delete: %v", err)
	}
}

// outside makes an "outside world" namespace joined to the host namespace
// by a veth: host side 10.99.0.1/24, outside side 10.99.0.2/24. With
// routeTo, the outside routes that prefix back through the host.
func (e *bridgeEnv) outside(routeTo string) netns.NsHandle {
	t := e.t
	t.Helper()
	path := filepath.Join(t.TempDir(), "outside")
	if err := ns.NewPinned(path, true); err != nil {
		t.Fatal(err)
	}
	h, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	onl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		onl.Close()
		h.Close()
		_ = ns.RemovePinned(path)
	})
	la := netlink.NewLinkAttrs()
	la.Name, la.Index = "tout", 4242 // an index unlike its peer's: prompt carrier events
	if err := e.hnl.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "out0", PeerNamespace: netlink.NsFd(int(h))}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if l, err := e.hnl.LinkByName("tout"); err == nil {
			_ = e.hnl.LinkDel(l)
		}
	})
	hl, err := e.hnl.LinkByName("tout")
	if err != nil {
		t.Fatal(err)
	}
	must(t, e.hnl.AddrAdd(hl, &netlink.Addr{IPNet: mustCIDR(t, "10.99.0.1/24")}))
	must(t, e.hnl.LinkSetUp(hl))
	ol, err := onl.LinkByName("out0")
	if err != nil {
		t.Fatal(err)
	}
	must(t, onl.AddrAdd(ol, &netlink.Addr{IPNet: mustCIDR(t, "10.99.0.2/24")}))
	must(t, onl.LinkSetUp(ol))
	if routeTo != "" {
		must(t, onl.RouteAdd(&netlink.Route{Dst: mustCIDR(t, routeTo), Gw: net.ParseIP("10.99.0.1"), LinkIndex: ol.Attrs().Index}))
	}
	return h
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustCIDR(t testing.TB, s string) *net.IPNet {
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

// blockedWait is how long a probe that must fail waits.
const blockedWait = 700 * time.Millisecond

var errStill = errors.New("not yet")

// eventually polls cond until it returns nil or a deadline passes.
func eventually(t testing.TB, what string, cond func() error) {
	t.Helper()
	testutils.Eventually(t, what, 10*time.Second, cond)
}

// serveTCP starts a TCP server in h on addr that writes the client's
// address as it sees it, then name, and closes.
func serveTCP(t testing.TB, h netns.NsHandle, addr, name string) {
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
			fmt.Fprintf(c, "%s %s\n", c.RemoteAddr().(*net.TCPAddr).IP, name)
			c.Close()
		}
	}()
}

// serveUDP starts a UDP server in h on addr answering "<client ip> <name>".
func serveUDP(t testing.TB, h netns.NsHandle, addr, name string) {
	t.Helper()
	var pc net.PacketConn
	testutils.InNS(t, h, func() (err error) { pc, err = net.ListenPacket("udp", addr); return err })
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo([]byte(from.(*net.UDPAddr).IP.String()+" "+name), from)
		}
	}()
}

// ask connects from inside h to addr ("tcp" or "udp") and returns the
// server's answer: the client address it saw and its name.
func ask(h netns.NsHandle, proto, addr string, timeout time.Duration) (seen, name string, err error) {
	err = ns.WithNetNS(h, func() error {
		c, err := net.DialTimeout(proto, addr, timeout)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(timeout))
		var b []byte
		if proto == "udp" {
			if _, err := c.Write([]byte("?")); err != nil {
				return err
			}
			buf := make([]byte, 256)
			n, err := c.Read(buf)
			if err != nil {
				return err
			}
			b = buf[:n]
		} else if b, err = io.ReadAll(io.LimitReader(c, 256)); err != nil {
			return err
		}
		f := strings.Fields(string(b))
		if len(f) != 2 {
			return fmt.Errorf("unexpected answer %q", b)
		}
		seen, name = f[0], f[1]
		return nil
	})
	return seen, name, err
}

// reach polls until ICMP and TCP from h reach the container or host
// address ip, where a TCP server (named name) is started in srv on port.
func reach(t testing.TB, from, srv netns.NsHandle, ip net.IP, port int) {
	t.Helper()
	addr := net.JoinHostPort(ip.String(), fmt.Sprint(port))
	serveTCP(t, srv, addr, "srv")
	eventually(t, "ping "+ip.String(), func() error { return testutils.Ping(from, ip, 300*time.Millisecond) })
	eventually(t, "tcp "+addr, func() error { _, _, err := ask(from, "tcp", addr, time.Second); return err })
}

// unreachable checks that neither ICMP nor TCP from h reach ip.
func unreachable(t testing.TB, from, srv netns.NsHandle, ip net.IP, port int) {
	t.Helper()
	addr := net.JoinHostPort(ip.String(), fmt.Sprint(port))
	serveTCP(t, srv, addr, "srv")
	if err := testutils.Ping(from, ip, blockedWait); err == nil {
		t.Errorf("ping %s got through", ip)
	}
	if _, _, err := ask(from, "tcp", addr, blockedWait); err == nil {
		t.Errorf("tcp %s got through", addr)
	}
}

// snapshot is what the host namespace holds: links, firewall rules and the
// namespaces pinned under the exec root.
type snapshot struct {
	links, ipt, ip6t, nft, netns string
	net                          testutils.NetState
	procs, mounts                string
}

func (e *bridgeEnv) snapshot() snapshot {
	e.t.Helper()
	ls, err := e.hnl.LinkList()
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Attrs().Name+"/"+l.Type())
	}
	sort.Strings(names)
	var pinned []string
	_ = filepath.Walk(e.execRoot, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && ns.IsNetNS(p) {
			pinned = append(pinned, p)
		}
		return nil
	})
	return snapshot{links: strings.Join(names, " "), ipt: e.save("iptables-save"), ip6t: e.save("ip6tables-save"),
		nft: nftdump.State(e.t, e.host), netns: strings.Join(pinned, " "),
		net: testutils.SnapNetState(e.t, e.host), procs: testutils.ChildProcesses(e.t), mounts: mountsUnder(e.t, e.execRoot)}
}

// mountsUnder lists the mount points below dir (dir itself excluded).
func mountsUnder(t testing.TB, dir string) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			out = append(out, f[4])
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// save returns the output of bin in the host namespace without comments
// and counters, and without tables holding only empty built-in chains with
// the ACCEPT policy (nf_tables keeps a table once it has been used).
func (e *bridgeEnv) save(bin string) string {
	e.t.Helper()
	var b []byte
	testutils.InNS(e.t, e.host, func() (err error) { b, err = exec.Command(bin).Output(); return err })
	return filterSave(b)
}

// filterSave drops comments, counters and the tables holding only empty
// built-in chains with the ACCEPT policy from an iptables-save output.
func filterSave(b []byte) string {
	var out, table strings.Builder
	keep := false
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "*"):
			table.Reset()
			keep = false
			table.WriteString(line + "\n")
		case strings.HasPrefix(line, ":"):
			f := strings.Fields(line)
			table.WriteString(f[0] + " " + f[1] + "\n")
			keep = keep || f[1] != "ACCEPT"
		case line == "COMMIT":
			if keep {
				out.WriteString(table.String() + "COMMIT\n")
			}
		default:
			keep = true
			table.WriteString(line + "\n")
		}
	}
	return out.String()
}

// withoutProcs is s without its child processes, for tests that restart
// processes of their own.
func (s snapshot) withoutProcs() snapshot {
	s.procs = ""
	return s
}

func (s snapshot) diff(o snapshot) string {
	var d []string
	if s.links != o.links {
		d = append(d, fmt.Sprintf("links: %s\nwere: %s", s.links, o.links))
	}
	if s.ipt != o.ipt {
		d = append(d, fmt.Sprintf("iptables:\n%s\nwas:\n%s", s.ipt, o.ipt))
	}
	if s.ip6t != o.ip6t {
		d = append(d, fmt.Sprintf("ip6tables:\n%s\nwas:\n%s", s.ip6t, o.ip6t))
	}
	if s.nft != o.nft {
		d = append(d, fmt.Sprintf("nf_tables:\n%s\nwas:\n%s", s.nft, o.nft))
	}
	if s.netns != o.netns {
		d = append(d, fmt.Sprintf("namespaces: %s\nwere: %s", s.netns, o.netns))
	}
	if nd := s.net.Diff(o.net); nd != "" {
		d = append(d, nd)
	}
	if s.procs != o.procs {
		d = append(d, fmt.Sprintf("child processes:\n%s\nwere:\n%s", s.procs, o.procs))
	}
	if s.mounts != o.mounts {
		d = append(d, fmt.Sprintf("mounts: %s\nwere: %s", s.mounts, o.mounts))
	}
	return strings.Join(d, "\n")
}

// buildProxy builds cmd/proxy into a directory of t's.
func buildProxy(t testing.TB) string {
	t.Helper()
	testutils.RequireRoot(t) // the tests that use it need root anyway
	bin := filepath.Join(t.TempDir(), "cnmkit-proxy")
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "../../cmd/proxy").CombinedOutput(); err != nil {
		t.Fatalf("build the proxy: %v\n%s", err, out)
	}
	return bin
}
