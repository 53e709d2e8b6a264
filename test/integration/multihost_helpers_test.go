package integration

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// A multi-host cluster for the tests: "hosts" are namespaces the test
// made, joined by an underlay bridge (ul0, in a namespace of its own)
// through one veth per host (ulN on the bridge, eth0 in the host at
// 192.168.77.N/24). Each host runs its own dnet daemon process, started
// inside its namespace, with its own data dir, exec root and socket; the
// daemons form a gossip cluster over the underlay.
type mhCluster struct {
	t     testing.TB
	bins  dnetBinaries
	ul    netns.NsHandle
	ulNL  *netlink.Handle
	hosts []*mhHost
	key   string // gossip key (hex)
	// extraArgs are more daemon arguments of a host (set by prepare);
	// env, when set, more environment variables of its next start.
	extraArgs func(h *mhHost) []string
	env       map[*mhHost][]string
}

// mhHost is one host of the cluster.
type mhHost struct {
	c        *mhCluster
	idx      int // 1-based
	name     string
	ns       netns.NsHandle
	nl       *netlink.Handle
	ip       net.IP
	dataDir  string
	execRoot string
	sock     string
	resolv   string
	cl       *api.Client
	d        *dnetProc
	before   mhHostState
}

const (
	mhUnderlay = "192.168.77.%d"
	// mhBound bounds how long the cluster may take to notice a change
	// that gossip carries at once (a leave, a join).
	mhBound = 15 * time.Second
	// mhFailBound bounds the detection of a dead or cut-off node
	// (memberlist suspicion, networkdb failure grace) and the healing of
	// a partition (networkdb reconnect, the agent's re-join).
	mhFailBound = 60 * time.Second
)

// newMHCluster makes n hosts and starts their daemons; they form a
// cluster before it returns. At cleanup the daemons stop and, unless the
// test failed, every host namespace must hold what it held before its
// daemon started.
func newMHCluster(t testing.TB, bins dnetBinaries, n int) *mhCluster {
	t.Helper()
	return newMHClusterWith(t, bins, n, nil)
}

// newMHClusterWith is newMHCluster calling prepare, when not nil, once
// the hosts exist and before their daemons start (to start services in
// the hosts and set extraArgs).
func newMHClusterWith(t testing.TB, bins dnetBinaries, n int, prepare func(c *mhCluster)) *mhCluster {
	t.Helper()
	testutils.RequireRoot(t)
	c := &mhCluster{t: t, bins: bins, key: hex.EncodeToString([]byte("cnmkit-multihost-test-key-32byte"))}
	_, c.ul = testutils.NewNS(t, "underlay")
	var err error
	if c.ulNL, err = netlink.NewHandleAt(c.ul); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.ulNL.Close)
	la := netlink.NewLinkAttrs()
	la.Name = "ul0"
	br := &netlink.Bridge{LinkAttrs: la}
	must(t, c.ulNL.LinkAdd(br))
	must(t, c.ulNL.LinkSetUp(br))
	for i := 1; i <= n; i++ {
		c.hosts = append(c.hosts, c.newHost(i, br))
	}
	if prepare != nil {
		prepare(c)
	}
	for _, h := range c.hosts {
		h.start()
	}
	c.waitFormed()
	return c
}

// newHost makes host i: its namespace, its underlay veth (born at both
// ends where it lives), its directories and the checks at cleanup.
func (c *mhCluster) newHost(i int, br *netlink.Bridge) *mhHost {
	t := c.t
	h := &mhHost{c: c, idx: i, name: fmt.Sprintf("host%d", i), ip: net.ParseIP(fmt.Sprintf(mhUnderlay, i)).To4()}
	_, h.ns = testutils.NewNS(t, h.name)
	var err error
	if h.nl, err = netlink.NewHandleAt(h.ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.nl.Close)
	la := netlink.NewLinkAttrs()
	la.Name = fmt.Sprintf("ul%d", i)
	la.MasterIndex = br.Attrs().Index
	veth := &netlink.Veth{LinkAttrs: la, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(h.ns))}
	must(t, c.ulNL.LinkAdd(veth))
	must(t, c.ulNL.LinkSetUp(veth))
	eth, err := h.nl.LinkByName("eth0")
	must(t, err)
	must(t, h.nl.AddrAdd(eth, &netlink.Addr{IPNet: &net.IPNet{IP: h.ip, Mask: net.CIDRMask(24, 32)}}))
	must(t, h.nl.LinkSetUp(eth))
	// The kernel adds the link-local address and its route once duplicate
	// address detection is done: wait for it before taking the state.
	mhPoll(t, h.name+" link-local address", 10*time.Second, func() error {
		addrs, err := h.nl.AddrList(eth, netlink.FAMILY_V6)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if a.IP.IsLinkLocalUnicast() && a.Flags&unix.IFA_F_TENTATIVE == 0 {
				return nil
			}
		}
		return fmt.Errorf("no usable link-local address yet: %v", addrs)
	})

	h.dataDir, h.execRoot = t.TempDir(), t.TempDir()
	h.sock = filepath.Join(h.execRoot, "dnet.sock")
	// No upstream DNS server: the embedded server answers from its records.
	h.resolv = filepath.Join(t.TempDir(), "resolv.conf")
	must(t, os.WriteFile(h.resolv, []byte("options ndots:0\n"), 0o644))
	h.cl = mhClient(t, "unix://"+h.sock)
	// Cleanups run last-registered first: the daemon stops (registered by
	// start), then the host is compared with its state before, then what
	// a failed test left is unpinned.
	t.Cleanup(func() { h.gcPinned() })
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		if d := h.state().diff(h.before); d != "" {
			t.Errorf("%s is not as it was before its daemon started:\n%s", h.name, d)
		}
	})
	h.before = h.state()
	return h
}

// start starts the host's daemon inside its namespace and waits until it
// answers.
func (h *mhHost) start() {
	t := h.c.t
	t.Helper()
	args := []string{"daemon", "--data-dir", h.dataDir, "--exec-root", h.execRoot, "--log-level", "warn",
		"--resolv-conf", h.resolv, "--node-name", h.name, "--bind-addr", h.ip.String(), "--advertise-addr", h.ip.String(),
		"--gossip-key", h.c.key}
	for _, o := range h.c.hosts {
		if o != h {
			args = append(args, "--join", o.ip.String())
		}
	}
	if h.c.extraArgs != nil {
		args = append(args, h.c.extraArgs(h)...)
	}
	p := &dnetProc{stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(h.c.bins.daemon, args...)
	if env := h.c.env[h]; len(env) > 0 {
		p.cmd.Env = append(os.Environ(), env...)
		delete(h.c.env, h)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stderr, p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// Forked from a thread inside the host's namespace: the daemon is
	// born there.
	testutils.InNS(t, h.ns, p.cmd.Start)
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	h.d = p
	t.Cleanup(func() { h.stopProc(p) })
	h.waitReady()
	h.checkNS()
}

// stopProc ends a daemon process with SIGTERM (SIGKILL after a while).
func (h *mhHost) stopProc(p *dnetProc) {
	t := h.c.t
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if strings.Contains(p.stderr.String(), "DATA RACE") {
		t.Errorf("the dnet daemon of %s found a data race:\n%s", h.name, p.stderr.String())
	}
}

// kill ends the daemon with SIGKILL (by its PID) and waits for it.
func (h *mhHost) kill() {
	t := h.c.t
	t.Helper()
	must(t, syscall.Kill(h.d.cmd.Process.Pid, syscall.SIGKILL))
	select {
	case <-h.d.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the daemon survived SIGKILL", h.name)
	}
}

func (h *mhHost) waitReady() {
	t := h.c.t
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-h.d.done:
			t.Fatalf("%s: dnet daemon exited: %v\n%s", h.name, h.d.err, h.d.stderr.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := h.cl.Info(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: dnet daemon not ready: %v\n%s", h.name, err, h.d.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkNS asserts that the daemon runs in the host's namespace.
func (h *mhHost) checkNS() {
	t := h.c.t
	t.Helper()
	var want, got syscall.Stat_t
	must(t, syscall.Fstat(int(h.ns), &want))
	must(t, syscall.Stat(fmt.Sprintf("/proc/%d/ns/net", h.d.cmd.Process.Pid), &got))
	if want.Ino != got.Ino || want.Dev != got.Dev {
		t.Fatalf("%s: the daemon runs in another network namespace", h.name)
	}
}

// gcPinned unpins the namespaces a failed test left under the exec root
// (sandboxes and overlay namespaces), after the daemon stopped.
func (h *mhHost) gcPinned() {
	for _, p := range pinnedUnder(h.execRoot) {
		if err := ns.RemovePinned(p); err != nil {
			h.c.t.Errorf("%s: unpin %s: %v", h.name, p, err)
		}
	}
}

// pinnedUnder lists the namespaces pinned under dir.
func pinnedUnder(dir string) []string {
	var out []string
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && ns.IsNetNS(p) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// mhClient returns a client of the daemon at host, closed at cleanup.
func mhClient(t testing.TB, host string) *api.Client {
	t.Helper()
	c, err := api.NewClient(host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// mhCtx is a context for one API call.
func mhCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// cluster returns the host's cluster view.
func (h *mhHost) cluster() (api.Cluster, error) {
	ctx, cancel := mhCtx()
	defer cancel()
	return h.cl.Cluster(ctx)
}

// alive returns the names of the peers the host sees alive.
func (h *mhHost) alive() ([]string, error) {
	cl, err := h.cluster()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range cl.Peers {
		if p.Status == "alive" {
			out = append(out, p.Name)
		}
	}
	return out, nil
}

// waitFormed waits until every host sees every host alive.
func (c *mhCluster) waitFormed() {
	c.t.Helper()
	c.waitAlive(c.hosts, len(c.hosts), mhFailBound)
}

// waitAlive waits until each of hosts sees n peers alive.
func (c *mhCluster) waitAlive(hosts []*mhHost, n int, bound time.Duration) {
	c.t.Helper()
	mhPoll(c.t, fmt.Sprintf("%d peers alive", n), bound, func() error {
		for _, h := range hosts {
			al, err := h.alive()
			if err != nil {
				return fmt.Errorf("%s: %v", h.name, err)
			}
			if len(al) != n {
				return fmt.Errorf("%s sees %v alive", h.name, al)
			}
		}
		return nil
	})
}

// mhPoll polls cond until it returns nil, failing t after bound.
func mhPoll(t testing.TB, what string, bound time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, bound, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mhNet is the overlay network of the tests.
type mhNet struct {
	id, name, subnet, vni string
}

var mhOverlay = mhNet{id: "mhovl0001", name: "ovl", subnet: "10.77.0.0/24", vni: "4242"}

// createNetwork creates network n on every host, with the same ID and
// options.
func (c *mhCluster) createNetwork(n mhNet) {
	c.t.Helper()
	for _, h := range c.hosts {
		ctx, cancel := mhCtx()
		got, err := h.cl.CreateNetwork(ctx, api.NetworkCreate{ID: n.id, Name: n.name, Driver: "overlay",
			IPAM:    []api.IPAMConfig{{Subnet: n.subnet}},
			Options: map[string]string{"com.docker.network.driver.overlay.vxlanid_list": n.vni}})
		cancel()
		if err != nil {
			c.t.Fatalf("%s: create network %s: %v", h.name, n.name, err)
		}
		if got.ID != n.id || got.Scope != "global" {
			c.t.Fatalf("%s: network %+v, want ID %s and global scope", h.name, got, n.id)
		}
	}
}

// deleteNetwork deletes network n on every host.
func (c *mhCluster) deleteNetwork(n mhNet) {
	c.t.Helper()
	for _, h := range c.hosts {
		ctx, cancel := mhCtx()
		err := h.cl.DeleteNetwork(ctx, n.id)
		cancel()
		if err != nil {
			c.t.Fatalf("%s: delete network %s: %v", h.name, n.name, err)
		}
	}
}

// mhCtr is a container: a sandbox with one endpoint on the overlay
// network, attached.
type mhCtr struct {
	h    *mhHost
	name string
	ip   net.IP
	mac  net.HardwareAddr
	key  string
	ns   netns.NsHandle
}

// run creates container name on h with address ip on network n.
func (h *mhHost) run(n mhNet, name, ip string) *mhCtr {
	t := h.c.t
	t.Helper()
	ctx, cancel := mhCtx()
	defer cancel()
	if _, err := h.cl.CreateSandbox(ctx, api.SandboxCreate{Name: name, Hostname: name}); err != nil {
		t.Fatalf("%s: create sandbox %s: %v", h.name, name, err)
	}
	if _, err := h.cl.CreateEndpoint(ctx, n.id, api.EndpointCreate{Name: name, IPv4Address: ip}); err != nil {
		t.Fatalf("%s: create endpoint %s: %v", h.name, name, err)
	}
	return h.attach(n, name)
}

// attach attaches endpoint name to sandbox name and opens its namespace.
func (h *mhHost) attach(n mhNet, name string) *mhCtr {
	t := h.c.t
	t.Helper()
	ctx, cancel := mhCtx()
	defer cancel()
	sb, err := h.cl.Attach(ctx, name, n.id, name)
	if err != nil {
		t.Fatalf("%s: attach %s: %v", h.name, name, err)
	}
	return h.open(sb)
}

// open returns the container of sandbox sb (attached to one endpoint).
func (h *mhHost) open(sb api.Sandbox) *mhCtr {
	t := h.c.t
	t.Helper()
	if len(sb.Endpoints) != 1 {
		t.Fatalf("%s: sandbox %s has endpoints %+v", h.name, sb.Name, sb.Endpoints)
	}
	ep := sb.Endpoints[0]
	ip, _, err := net.ParseCIDR(ep.IPv4Address)
	must(t, err)
	mac, err := net.ParseMAC(ep.MacAddress)
	must(t, err)
	c := &mhCtr{h: h, name: sb.Name, ip: ip.To4(), mac: mac, key: sb.Key}
	if c.ns, err = netns.GetFromPath(sb.Key); err != nil {
		t.Fatalf("%s: open the namespace of %s: %v", h.name, sb.Name, err)
	}
	t.Cleanup(c.close)
	return c
}

func (c *mhCtr) close() {
	if c.ns.IsOpen() {
		c.ns.Close()
		c.ns = netns.None()
	}
}

// detach detaches the container's endpoint (it stays created).
func (c *mhCtr) detach(n mhNet) {
	t := c.h.c.t
	t.Helper()
	ctx, cancel := mhCtx()
	defer cancel()
	if _, err := c.h.cl.Detach(ctx, c.name, n.id, c.name); err != nil {
		t.Fatalf("%s: detach %s: %v", c.h.name, c.name, err)
	}
}

// remove deletes the container: its sandbox and, with it, its endpoint.
func (c *mhCtr) remove() {
	t := c.h.c.t
	t.Helper()
	c.close()
	ctx, cancel := mhCtx()
	defer cancel()
	if err := c.h.cl.DeleteSandbox(ctx, c.name); err != nil {
		t.Fatalf("%s: delete sandbox %s: %v", c.h.name, c.name, err)
	}
}

// removeAll deletes every sandbox and endpoint on every host, then
// network n.
func (c *mhCluster) removeAll(n mhNet) {
	c.t.Helper()
	for _, h := range c.hosts {
		ctx, cancel := mhCtx()
		sbs, err := h.cl.Sandboxes(ctx)
		must(c.t, err)
		for _, sb := range sbs {
			must(c.t, h.cl.DeleteSandbox(ctx, sb.Name))
		}
		eps, err := h.cl.Endpoints(ctx, n.id)
		must(c.t, err)
		for _, ep := range eps {
			must(c.t, h.cl.DeleteEndpoint(ctx, n.id, ep.ID, true))
		}
		cancel()
	}
	c.deleteNetwork(n)
}

// host returns host i (1-based).
func (c *mhCluster) host(i int) *mhHost { return c.hosts[i-1] }

func itoa(i int) string { return strconv.Itoa(i) }
