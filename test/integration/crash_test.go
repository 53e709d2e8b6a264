package integration

import (
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// The crash suite: a dnet daemon is killed (SIGKILL, by the crashpoint
// hook) at each step boundary of each operation, then restarted; the state
// must be the one before the operation or the one after it, the operation
// must then succeed, and published ports must carry traffic.

const (
	crSubnet = "10.90.0.0/24"
	crGw     = "10.90.0.1"
	crIP     = "10.90.0.10"
	crPort   = 18080
)

// crLevel is a point of the life cycle: 0 nothing, 1 a network, 2 and an
// endpoint publishing a port, 3 and a sandbox, 4 the endpoint joined.
type crLevel int

// crOp is one operation of the cycle: the dnet command that goes from one
// level to another.
type crOp struct {
	name     string
	from, to crLevel
	args     []string
}

var (
	crUp = []crOp{
		{"network create", 0, 1, []string{"network", "create", "-d", "bridge", "--subnet", crSubnet, "crn"}},
		{"endpoint create", 1, 2, []string{"endpoint", "create", "-n", "crn", "--ip", crIP, "-p", fmt.Sprintf("%d:80", crPort), "cre"}},
		{"sandbox create", 2, 3, []string{"sandbox", "create", "crs"}},
		{"join", 3, 4, []string{"sandbox", "attach", "-n", "crn", "crs", "cre"}},
	}
	crDown = []crOp{
		{"network delete", 1, 0, []string{"network", "rm", "crn"}},
		{"endpoint delete", 2, 1, []string{"endpoint", "rm", "-n", "crn", "cre"}},
		{"sandbox delete", 3, 2, []string{"sandbox", "rm", "crs"}},
		{"leave", 4, 3, []string{"sandbox", "detach", "-n", "crn", "crs", "cre"}},
	}
	// crDeleteJoined deletes a sandbox with its joined endpoint.
	crDeleteJoined = crOp{"sandbox delete (joined)", 4, 1, []string{"sandbox", "rm", "crs"}}
)

// crSteps are the step boundaries of each operation (crashpoint names).
var crSteps = map[string][]string{
	"network create": {"network-create/intent", "bridge-create/intent", "bridge-create/device", "bridge-create/mtu",
		"bridge-create/ipv4", "bridge-create/ipv6", "bridge-create/forwarding", "bridge-create/bridge-netfilter",
		"bridge-create/firewall", "bridge-create/stored", "network-create/driver", "network-create/stored"},
	"network delete": {"network-delete/intent", "bridge-delete/firewall", "bridge-delete/ipv6", "bridge-delete/ipv4",
		"bridge-delete/device", "network-delete/driver", "network-delete/stored"},
	"endpoint create": {"endpoint-create/intent", "endpoint-create/driver", "endpoint-create/stored"},
	"endpoint delete": {"endpoint-delete/intent", "endpoint-delete/driver", "endpoint-delete/stored"},
	"sandbox create":  {"sandbox-create/intent", "sandbox-create/namespace"},
	"sandbox delete":  {"sandbox-delete/intent", "sandbox-delete/endpoints", "sandbox-delete/namespace", "sandbox-delete/stored"},
	"join":            {"join/intent", "join/driver", "join/interface", "join/resolver", "join/gateway", "join/stored"},
	"leave":           {"leave/intent", "leave/driver", "leave/interface", "leave/stored"},
	"sandbox delete (joined)": {"sandbox-delete/intent", "leave/intent", "leave/driver", "leave/interface",
		"endpoint-delete/intent", "endpoint-delete/driver", "endpoint-delete/stored", "sandbox-delete/endpoints",
		"sandbox-delete/namespace", "sandbox-delete/stored"},
}

// crashSuite is the shared environment of the crash tests.
type crashSuite struct {
	*crashEnv
	level   crLevel
	outside netns.NsHandle
	levels  [5]crashSnap
	opDur   map[string]time.Duration
}

func newCrashSuite(t *testing.T) *crashSuite {
	testutils.RequireRoot(t)
	bins := dnetBuild(t, t.TempDir())
	s := &crashSuite{crashEnv: newCrashEnv(t, bins), opDur: map[string]time.Duration{}}
	s.addForeign()
	// The reference states, each taken after a clean restart (pending
	// deletions done).
	s.settle()
	s.levels[0] = s.snap()
	for _, op := range crUp {
		start := time.Now()
		s.cliOK(op.args...)
		s.opDur[op.name] = time.Since(start)
		s.level = op.to
		s.settle()
		s.levels[op.to] = s.snap()
	}
	start := time.Now()
	s.cliOK("network", "ls")
	s.opDur["ls"] = time.Since(start)
	s.checkTraffic()
	for i := len(crDown) - 1; i >= 0; i-- {
		op := crDown[i]
		start := time.Now()
		s.cliOK(op.args...)
		s.opDur[op.name] = time.Since(start)
		s.level = op.to
		s.settle()
		if d := s.snap().diff(s.levels[op.to]); d != "" {
			t.Fatalf("level %d after %s differs from the way up:\n%s", op.to, op.name, d)
		}
	}
	return s
}

// settle restarts the daemon cleanly.
func (s *crashSuite) settle() {
	s.t.Helper()
	s.restartWith("")
}

// goTo brings the daemon's state to level l with ordinary operations.
func (s *crashSuite) goTo(l crLevel) {
	s.t.Helper()
	for s.level < l {
		s.cliOK(crUp[s.level].args...)
		s.level++
	}
	for s.level > l {
		s.cliOK(crDown[s.level-1].args...)
		s.level--
	}
}

// match returns the level whose reference state the current state equals
// among candidates, or -1 with the differences. It polls for a few seconds:
// a finished leave deletes its interfaces a moment later, in the
// background.
func (s *crashSuite) match(cands ...crLevel) (crLevel, string) {
	s.t.Helper()
	deadline := time.Now().Add(6 * time.Second)
	for {
		l, d := s.matchNow(cands...)
		if l >= 0 || time.Now().After(deadline) {
			return l, d
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *crashSuite) matchNow(cands ...crLevel) (crLevel, string) {
	s.t.Helper()
	now := s.snap()
	var diffs []string
	for _, l := range cands {
		d := now.diff(s.levels[l])
		if d == "" {
			return l, ""
		}
		diffs = append(diffs, fmt.Sprintf("-- against level %d:\n%s", l, d))
	}
	return -1, strings.Join(diffs, "\n")
}

// crashAt runs op on a daemon that dies at step, restarts it and checks
// the state; then the operation is done (again, when it was undone).
func (s *crashSuite) crashAt(op crOp, step string) {
	t := s.t
	t.Helper()
	s.goTo(op.from)
	s.restartWith(step)
	_, _, _ = s.cli(op.args...) // the daemon dies under it
	select {
	case <-s.d.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: daemon not killed at %s", op.name, step)
	}
	if !s.d.killed() {
		t.Fatalf("%s: daemon ended without being killed at %s: %v\n%s", op.name, step, s.d.err, s.d.stderr.String())
	}
	s.d = s.spawnCrash("")
	s.waitReady(s.d)
	got, d := s.match(op.from, op.to)
	if got < 0 {
		t.Fatalf("%s killed at %s: the state after restart is neither the one before nor the one after:\n%s\n%s", op.name, step, d, s.d.stderr.String())
	}
	s.level = got
	if got == op.from {
		s.cliOK(op.args...)
		s.level = op.to
		s.settle()
		if got, d := s.match(op.to); got < 0 {
			t.Fatalf("%s redone after a kill at %s:\n%s", op.name, step, d)
		}
	}
	if s.level == 4 {
		s.checkTraffic()
	}
}

// addForeign makes objects that are not the daemon's, which every state
// compared includes: an "outside" namespace (pinned outside the exec
// root) joined by a veth, from which published ports are reached, and a
// bridge whose name is one the driver could give.
func (s *crashSuite) addForeign() {
	t := s.t
	path := filepath.Join(t.TempDir(), "outside")
	if err := ns.NewPinned(path, true); err != nil {
		t.Fatal(err)
	}
	h, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	s.outside = h
	t.Cleanup(func() {
		h.Close()
		_ = ns.RemovePinned(path)
	})
	onl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer onl.Close()
	la := netlink.NewLinkAttrs()
	la.Name = "tout"
	must(t, s.nl.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "out0", PeerNamespace: netlink.NsFd(int(h))}))
	hl, err := s.nl.LinkByName("tout")
	if err != nil {
		t.Fatal(err)
	}
	must(t, s.nl.AddrAdd(hl, &netlink.Addr{IPNet: mustCIDR(t, "10.99.0.1/24")}))
	must(t, s.nl.LinkSetUp(hl))
	ol, err := onl.LinkByName("out0")
	if err != nil {
		t.Fatal(err)
	}
	must(t, onl.AddrAdd(ol, &netlink.Addr{IPNet: mustCIDR(t, "10.99.0.2/24")}))
	must(t, onl.LinkSetUp(ol))
	ba := netlink.NewLinkAttrs()
	ba.Name = "cnm-f0000000000"
	must(t, s.nl.LinkAdd(&netlink.Bridge{LinkAttrs: ba}))
}

// checkTraffic proves that the published port reaches the container from
// outside (the host's address), and that the host reaches the container's
// address directly.
func (s *crashSuite) checkTraffic() {
	t := s.t
	t.Helper()
	var sb api.Sandbox
	s.rawJSON(http.MethodGet, "/v1/sandboxes/crs", "", http.StatusOK, &sb)
	h, err := netns.GetFromPath(sb.Key)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var ln net.Listener
	testutils.InNS(t, h, func() (err error) { ln, err = net.Listen("tcp", ":80"); return err })
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "%s crs\n", c.RemoteAddr().(*net.TCPAddr).IP)
			c.Close()
		}
	}()
	for _, c := range []struct {
		from netns.NsHandle
		addr string
	}{{s.ns, net.JoinHostPort(crIP, "80")}, {s.outside, net.JoinHostPort("10.99.0.1", fmt.Sprint(crPort))}} {
		addr := c.addr
		eventually(t, "tcp "+addr, func() error {
			_, name, err := ask(c.from, "tcp", addr, time.Second)
			if err == nil && name != "crs" {
				err = fmt.Errorf("answered by %q", name)
			}
			return err
		})
	}
}

// TestCrashEveryStep kills the daemon at every step of every operation.
func TestCrashEveryStep(t *testing.T) {
	s := newCrashSuite(t)
	start, n := time.Now(), 0
	ops := append(append(append([]crOp{}, crUp...), crDown...), crDeleteJoined)
	for _, op := range ops {
		for _, step := range crSteps[op.name] {
			s.crashAt(op, step)
			n++
		}
	}
	s.goTo(0)
	s.settle()
	if got, d := s.match(0); got < 0 {
		t.Fatalf("state after the suite:\n%s", d)
	}
	t.Logf("%d crash cases in %s", n, time.Since(start).Round(time.Millisecond))
}

// TestCrashRandomInstant kills the daemon 100 times at a random instant
// of the operations of the cycle.
func TestCrashRandomInstant(t *testing.T) {
	s := newCrashSuite(t)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	start, up, undone := time.Now(), true, 0
	for i := 0; i < 100; i++ {
		if s.level == 4 {
			up = false
		} else if s.level == 0 {
			up = true
		}
		var op crOp
		if up {
			op = crUp[s.level]
		} else {
			op = crDown[s.level-1]
		}
		// Within the operation's time, mostly after the CLI's start-up
		// (the time of a listing), when the daemon is at work.
		lo := s.opDur["ls"] / 2
		delay := lo + time.Duration(rng.Int63n(int64(max(s.opDur[op.name]-lo, 0))+1))
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _, _ = s.cli(op.args...)
		}()
		time.Sleep(delay) // the instant to die at, not a synchronisation
		_ = s.d.cmd.Process.Kill()
		<-done
		<-s.d.done
		s.d = s.spawnCrash("")
		s.waitReady(s.d)
		got, d := s.match(op.from, op.to)
		if got < 0 {
			t.Fatalf("kill %d during %s after %s: the state is neither before nor after:\n%s", i, op.name, delay, d)
		}
		if got == op.from {
			undone++
		}
		s.level = got
	}
	s.goTo(4)
	s.checkTraffic()
	s.goTo(0)
	t.Logf("100 random kills in %s (%d operations undone, %d complete)",
		time.Since(start).Round(time.Millisecond), undone, 100-undone)
}

// TestCrashNetworkCreateStaleBridge is the case seen by a user: the
// daemon killed during `network create`, once the bridge has its gateway
// address, left the bridge up with its address and routes, unknown to the
// restarted daemon; a new network on the same subnet then lost its
// traffic to it. After the restart the bridge is gone, and the new
// network's published port works.
func TestCrashNetworkCreateStaleBridge(t *testing.T) {
	s := newCrashSuite(t)
	s.crashAt(crUp[0], "bridge-create/ipv4")
	s.goTo(4)
	s.checkTraffic()
	s.goTo(0)
}
