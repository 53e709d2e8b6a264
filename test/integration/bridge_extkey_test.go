package integration

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// runtimeNS starts a process in a network namespace of its own, as a
// container runtime does, and returns its /proc/PID/ns/net path and a
// handle. The process is killed at cleanup.
func runtimeNS(t *testing.T) (string, netns.NsHandle) {
	t.Helper()
	cmd := exec.Command("unshare", "--net", "sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start a process in a namespace of its own: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	path := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/ns/net"
	// The child starts in this thread's namespace (the test's, locked to
	// the thread), not the process's first thread's.
	self, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the process unshares its namespace", func() error {
		if l, err := os.Readlink(path); err != nil || l == self {
			return errStill
		}
		return nil
	})
	h, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return path, h
}

// Docker's order for a namespace the runtime makes: the sandbox with an
// external key, the join, then SetKey with the runtime's namespace.
func TestBridgeExternalKeyJoinBeforeSetKey(t *testing.T) {
	e := newBridgeEnv(t, fullBridge())
	n := e.network("extnet", "10.124.0.0/24", nil)
	b := e.run(n, "b")

	sb, err := e.c.NewSandbox("ext", libnetwork.OptionUseExternalKey())
	must(t, err)
	ep, err := n.CreateEndpoint("ext-ep")
	must(t, err)
	must(t, ep.Join(sb)) // before the namespace exists
	path, h := runtimeNS(t)
	must(t, sb.SetKey(path))

	withNL(t, h, func(nlh *netlink.Handle) {
		lo, err := nlh.LinkByName("lo")
		must(t, err)
		if lo.Attrs().Flags&net.FlagUp == 0 {
			t.Error("SetKey left the namespace's loopback down")
		}
		eth0, err := nlh.LinkByName("eth0")
		if err != nil {
			t.Fatalf("no eth0 in the runtime's namespace: %v", err)
		}
		addrs, _ := nlh.AddrList(eth0, netlink.FAMILY_V4)
		if len(addrs) != 1 || !addrs[0].IP.Equal(ep.Info().Iface().Address().IP) {
			t.Fatalf("eth0 addresses %v, want %s", addrs, ep.Info().Iface().Address())
		}
	})
	ip := ep.Info().Iface().Address().IP
	reach(t, h, b.h, b.ip, 7101)
	reach(t, b.h, h, ip, 7102)
	dnsExpect(t, h, "udp", b.eps[0].Name(), dns.TypeA, dns.RcodeSuccess, b.ip.String())

	must(t, ep.Leave(sb))
	must(t, ep.Delete(false))
	must(t, sb.Delete())
	withNL(t, h, func(nlh *netlink.Handle) {
		if _, err := nlh.LinkByName("eth0"); err == nil {
			t.Fatal("eth0 left in the runtime's namespace")
		}
	})
}

// An embedded DNS server that cannot start fails the call that starts it,
// naming the sandbox, and the call leaves nothing behind.
func TestBridgeDNSStartFailure(t *testing.T) {
	e := newBridgeEnv(t, fullBridge())
	e.restart(config.OptionDNSDirectBind(true))
	n := e.network("dnsfail", "10.125.0.0/24", nil)

	t.Run("SetKey", func(t *testing.T) {
		sb, err := e.c.NewSandbox("ext-fail", libnetwork.OptionUseExternalKey())
		must(t, err)
		ep, err := n.CreateEndpoint("ext-fail-ep")
		must(t, err)
		must(t, ep.Join(sb))
		path, h := runtimeNS(t)
		occupyDNSPort(t, h)
		err = sb.SetKey(path)
		if !types.IsConflict(err) || !strings.Contains(err.Error(), sb.ID()) {
			t.Fatalf("SetKey: %v; want a Conflict naming sandbox %s", err, sb.ID())
		}
		withNL(t, h, func(nlh *netlink.Handle) {
			if _, err := nlh.LinkByName("eth0"); err == nil {
				t.Fatal("a failed SetKey left eth0 in the runtime's namespace")
			}
		})
		must(t, sb.Delete())
	})
	t.Run("Join", func(t *testing.T) {
		sb, err := e.c.NewSandbox("own-fail")
		must(t, err)
		h, err := netns.GetFromPath(sb.Key())
		must(t, err)
		defer h.Close()
		occupyDNSPort(t, h)
		ep, err := n.CreateEndpoint("own-fail-ep")
		must(t, err)
		err = ep.Join(sb)
		if !types.IsConflict(err) || !strings.Contains(err.Error(), sb.ID()) {
			t.Fatalf("Join: %v; want a Conflict naming sandbox %s", err, sb.ID())
		}
		if ep.Info().Sandbox() != nil || len(sb.Endpoints()) != 0 {
			t.Fatal("a failed join left the endpoint joined")
		}
		withNL(t, h, func(nlh *netlink.Handle) {
			if _, err := nlh.LinkByName("eth0"); err == nil {
				t.Fatal("a failed join left eth0 in the sandbox")
			}
		})
		must(t, ep.Delete(false))
		must(t, sb.Delete())
	})
}

// occupyDNSPort binds 127.0.0.11:53 (UDP) inside h until the test ends.
func occupyDNSPort(t *testing.T, h netns.NsHandle) {
	t.Helper()
	withNL(t, h, func(nlh *netlink.Handle) {
		lo, err := nlh.LinkByName("lo")
		must(t, err)
		must(t, nlh.LinkSetUp(lo))
	})
	var c *net.UDPConn
	must(t, ns.WithNetNS(h, func() error {
		var err error
		c, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP("127.0.0.11"), Port: 53})
		return err
	}))
	t.Cleanup(func() { c.Close() })
}

func withNL(t *testing.T, h netns.NsHandle, fn func(*netlink.Handle)) {
	t.Helper()
	nlh, err := netlink.NewHandleAt(h)
	must(t, err)
	defer nlh.Close()
	fn(nlh)
}
