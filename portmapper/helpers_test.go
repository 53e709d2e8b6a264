package portmapper

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	nftfw "github.com/cnmkit/libnetwork/firewall/nftables"
	"github.com/cnmkit/libnetwork/internal/nftdump"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/portallocator"
	gnft "github.com/google/nftables"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The tests run twice: with nf_tables rules and with iptables rules.
func TestMain(m *testing.M) { testutils.IsolatedMainEach(m, "", iptablesRulesEnv+"=1") }

const iptablesRulesEnv = "CNMKIT_TEST_IPTABLES_RULES"

// newPM is New with the rules of the test run's variant.
func newPM(o Options) (*PortMapper, error) {
	if os.Getenv(iptablesRulesEnv) == "1" {
		o.IPTablesRules = true
	}
	return NewWithOptions(o)
}

// buildProxy builds cmd/proxy into the test's temp dir.
func buildProxy(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "proxy")
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "../cmd/proxy").CombinedOutput(); err != nil {
		t.Fatalf("go build proxy: %v\n%s", err, out)
	}
	return bin
}

var topoSeq atomic.Int32

// topo is a "host" namespace (the test's own, or one given) with a
// "container" namespace and an "outside" namespace, each joined to the host
// by a veth with private addresses and a default route via the host.
type topo struct {
	host               *netns.NsHandle // nil = the test's namespace
	ctr, out           netns.NsHandle
	hostCtrIP, ctrIP   net.IP // host end and container end of the container veth
	hostOutIP, outIP   net.IP
	ctrIface, outIface string // host-side names
	v6                 bool
}

// newTopo builds the topology; host may be nil (the test's namespace).
func newTopo(t testing.TB, host *netns.NsHandle, v6 bool) *topo {
	t.Helper()
	n := topoSeq.Add(1)
	tp := &topo{host: host, v6: v6,
		ctrIface: fmt.Sprintf("pmc%d", n), outIface: fmt.Sprintf("pmo%d", n)}
	_, tp.ctr = testutils.NewNS(t, fmt.Sprintf("ctr%d", n))
	_, tp.out = testutils.NewNS(t, fmt.Sprintf("out%d", n))
	addr := func(side, host int) (net.IP, int) {
		if v6 {
			return net.ParseIP(fmt.Sprintf("fd77:%d:%d::%d", n, side, host)), 64
		}
		return net.IPv4(10, byte(77+side), byte(n), byte(host)).To4(), 24
	}
	var bits int
	tp.hostCtrIP, bits = addr(0, 1)
	tp.ctrIP, _ = addr(0, 2)
	tp.hostOutIP, _ = addr(1, 1)
	tp.outIP, _ = addr(1, 2)
	hh := hostHandle(t, host)
	defer hh.Close()
	link(t, hh, tp.ctrIface, tp.ctr, tp.hostCtrIP, tp.ctrIP, bits)
	link(t, hh, tp.outIface, tp.out, tp.hostOutIP, tp.outIP, bits)
	fwd := "/proc/sys/net/ipv4/ip_forward"
	if v6 {
		fwd = "/proc/sys/net/ipv6/conf/all/forwarding"
	}
	inHost(t, host, func() error { return os.WriteFile(fwd, []byte("1"), 0o644) })
	return tp
}

func hostHandle(t testing.TB, host *netns.NsHandle) *netlink.Handle {
	t.Helper()
	var h *netlink.Handle
	var err error
	if host != nil {
		h, err = netlink.NewHandleAt(*host)
	} else {
		h, err = netlink.NewHandle()
	}
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func inHost(t testing.TB, host *netns.NsHandle, fn func() error) {
	t.Helper()
	if host != nil {
		testutils.InNS(t, *host, fn)
		return
	}
	if err := fn(); err != nil {
		t.Fatal(err)
	}
}

// link creates a veth whose peer is born in peerNS as eth0, addresses both
// ends and routes the peer's traffic via the host end.
func link(t testing.TB, hh *netlink.Handle, name string, peerNS netns.NsHandle, hostIP, peerIP net.IP, bits int) {
	t.Helper()
	mask := net.CIDRMask(bits, len(hostIP)*8)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: "eth0", PeerNamespace: netlink.NsFd(int(peerNS))}
	if err := hh.LinkAdd(veth); err != nil {
		t.Fatalf("veth %s: %v", name, err)
	}
	l, err := hh.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hh.LinkDel(l) })
	if err := hh.AddrAdd(l, &netlink.Addr{IPNet: &net.IPNet{IP: hostIP, Mask: mask}, Flags: unix.IFA_F_NODAD}); err != nil {
		t.Fatal(err)
	}
	if err := hh.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
	ph, err := netlink.NewHandleAt(peerNS)
	if err != nil {
		t.Fatal(err)
	}
	defer ph.Close()
	pl, err := ph.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if err := ph.AddrAdd(pl, &netlink.Addr{IPNet: &net.IPNet{IP: peerIP, Mask: mask}, Flags: unix.IFA_F_NODAD}); err != nil {
		t.Fatal(err)
	}
	if err := ph.LinkSetUp(pl); err != nil {
		t.Fatal(err)
	}
	if err := ph.RouteAdd(&netlink.Route{LinkIndex: pl.Attrs().Index, Gw: hostIP}); err != nil {
		t.Fatal(err)
	}
}

// serve starts a TCP and a UDP server in the container namespace on port
// (both). Each answers "echo:<msg> from:<client ip>".
func (tp *topo) serve(t testing.TB, port int) {
	t.Helper()
	var ln net.Listener
	var pc net.PacketConn
	testutils.InNS(t, tp.ctr, func() error {
		var err error
		hp := net.JoinHostPort(tp.ctrIP.String(), fmt.Sprint(port))
		if ln, err = net.Listen("tcp", hp); err != nil {
			return err
		}
		pc, err = net.ListenPacket("udp", hp)
		return err
	})
	t.Cleanup(func() { ln.Close(); pc.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				line, _ := bufio.NewReader(c).ReadString('\n')
				ip, _, _ := net.SplitHostPort(c.RemoteAddr().String())
				fmt.Fprintf(c, "echo:%s from:%s\n", strings.TrimSpace(line), ip)
			}()
		}
	}()
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			ip, _, _ := net.SplitHostPort(from.String())
			_, _ = pc.WriteTo([]byte(fmt.Sprintf("echo:%s from:%s", buf[:n], ip)), from)
		}
	}()
}

// ask sends msg over proto to addr from inside h (nil = the test's
// namespace) and returns the reply.
func ask(t testing.TB, h *netns.NsHandle, proto, addr, msg string) (string, error) {
	t.Helper()
	var reply string
	do := func() error {
		if proto == "tcp" {
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := fmt.Fprintf(c, "%s\n", msg); err != nil {
				return err
			}
			line, err := bufio.NewReader(c).ReadString('\n')
			reply = strings.TrimSpace(line)
			return err
		}
		c, err := net.Dial("udp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		buf := make([]byte, 2048)
		var lastErr error
		for try := 0; try < 10; try++ {
			if _, err := c.Write([]byte(msg)); err != nil {
				return err
			}
			_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			n, err := c.Read(buf)
			if err == nil {
				reply = string(buf[:n])
				return nil
			}
			lastErr = err
		}
		return lastErr
	}
	var err error
	if h != nil {
		err = ns.WithNetNS(*h, do)
	} else {
		err = do()
	}
	return reply, err
}

// mustAsk asks and checks the reply and the client address the server saw.
func mustAsk(t testing.TB, h *netns.NsHandle, proto, addr string, wantFrom net.IP) {
	t.Helper()
	got, err := ask(t, h, proto, addr, "hi")
	if err != nil {
		t.Fatalf("%s to %s: %v", proto, addr, err)
	}
	if want := "echo:hi from:" + wantFrom.String(); got != want {
		t.Fatalf("%s to %s: got %q, want %q", proto, addr, got, want)
	}
}

var counters = regexp.MustCompile(` \[\d+:\d+\]`)

// save returns iptables-save (ip6tables-save for v6) of the host namespace
// without comments and counters.
func save(t testing.TB, host *netns.NsHandle, v6 bool) string {
	t.Helper()
	bin := "iptables-save"
	if v6 {
		bin = "ip6tables-save"
	}
	var out []byte
	inHost(t, host, func() error {
		var err error
		out, err = exec.Command(bin).Output()
		return err
	})
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			keep = append(keep, counters.ReplaceAllString(l, ""))
		}
	}
	h := netns.None()
	if host != nil {
		h = *host
	}
	return strings.Join(keep, "\n") + "\nnf_tables:\n" + nftdump.State(t, h)
}

// delTables deletes the nf_tables tables of the host namespace whose name
// match accepts, in one transaction, and returns how many there were.
func delTables(t testing.TB, host *netns.NsHandle, match func(string) bool) int {
	t.Helper()
	h := netns.None()
	if host != nil {
		h = *host
	}
	c, err := nftfw.Open(h)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n := 0
	if err := c.Do("test: delete tables", func(nc *gnft.Conn) error {
		tables, err := nc.ListTables()
		if err != nil {
			return err
		}
		for _, tb := range tables {
			if match(tb.Name) {
				nc.DelTable(tb)
				n++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// instantiate makes the nat and filter tables exist (iptables-save shows a
// table only once something used it), so that "before" snapshots are fair.
func instantiate(t testing.TB, host *netns.NsHandle, v6 bool) {
	t.Helper()
	bin := "iptables"
	if v6 {
		bin = "ip6tables"
	}
	inHost(t, host, func() error {
		for _, table := range []string{"nat", "filter"} {
			for _, op := range []string{"-N", "-X"} {
				if out, err := exec.Command(bin, "-w", "-t", table, op, "TMP-INIT").CombinedOutput(); err != nil {
					return fmt.Errorf("%s: %v: %s", bin, err, out)
				}
			}
		}
		return nil
	})
}

// newIPT returns an IPTable with a per-test prefix (tests share the
// namespace), bound to host when given, and removes its chains at cleanup.
func newIPT(t testing.TB, host *netns.NsHandle, v6 bool) *iptables.IPTable {
	t.Helper()
	v := iptables.IPv4
	if v6 {
		v = iptables.IPv6
	}
	opts := []iptables.Option{iptables.WithPrefix(fmt.Sprintf("CNMKITT%d", topoSeq.Add(1)))}
	if host != nil {
		opts = append(opts, iptables.WithNetNS(*host))
	}
	ipt, err := iptables.New(v, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = ipt.RemoveAll(ipt.Prefix())
		delTables(t, host, func(name string) bool { return strings.HasPrefix(name, ipt.Prefix()+"-") })
	})
	return ipt
}

func newAlloc(t testing.TB) *portallocator.PortAllocator {
	t.Helper()
	pa, err := portallocator.NewWithRange(45000, 45999)
	if err != nil {
		t.Fatal(err)
	}
	return pa
}

func readSysctl(t testing.TB, host *netns.NsHandle, path string) string {
	t.Helper()
	var v string
	inHost(t, host, func() error {
		b, err := os.ReadFile(path)
		v = strings.TrimSpace(string(b))
		return err
	})
	return v
}

// proxyPIDs returns the PIDs of running processes whose binary is bin.
func proxyPIDs(t testing.TB, bin string) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !strings.HasPrefix(string(b), bin+"\x00") {
			continue
		}
		if st, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			if i := strings.LastIndexByte(string(st), ')'); i >= 0 && i+2 < len(st) && st[i+2] == 'Z' {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

func runIPT(args ...string) error {
	out, err := exec.Command("iptables", append([]string{"-w"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("iptables %v: %v: %s", args, err, out)
	}
	return nil
}

// startSleeper starts a process that is not a proxy, killed at cleanup.
func startSleeper(t testing.TB) int {
	t.Helper()
	cmd := exec.Command("sleep", "600")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	return cmd.Process.Pid
}

func isRunning(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}
