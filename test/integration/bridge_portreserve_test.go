package integration

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// hostBind binds network addr in h, with SO_REUSEADDR when reuse, and
// returns the socket's closer.
func hostBind(t testing.TB, h netns.NsHandle, network, addr string, reuse bool) (func(), error) {
	t.Helper()
	var lc net.ListenConfig
	if reuse {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			}); err != nil {
				return err
			}
			return serr
		}
	}
	var closer func()
	var err error
	testutils.InNS(t, h, func() error {
		if strings.HasPrefix(network, "tcp") {
			var ln net.Listener
			if ln, err = lc.Listen(t.Context(), network, addr); err == nil {
				closer = func() { ln.Close() }
			}
			return nil
		}
		var pc net.PacketConn
		if pc, err = lc.ListenPacket(t.Context(), network, addr); err == nil {
			closer = func() { pc.Close() }
		}
		return nil
	})
	return closer, err
}

// wantHeld checks that a host process cannot bind network addr in h.
func wantHeld(t testing.TB, h netns.NsHandle, network, addr string) {
	t.Helper()
	for _, reuse := range []bool{false, true} {
		closer, err := hostBind(t, h, network, addr, reuse)
		if err == nil {
			closer()
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("host bind of the published %s %s (reuse=%v): %v, want EADDRINUSE", network, addr, reuse, err)
		}
	}
}

// answers polls until proto addr, asked from h, is answered by name.
func answers(t testing.TB, h netns.NsHandle, proto, addr, name string) {
	t.Helper()
	eventually(t, proto+" "+addr+" answered by "+name, func() error {
		_, got, err := ask(h, proto, addr, time.Second)
		if err == nil && got != name {
			t.Fatalf("%s %s answered by %s, want %s", proto, addr, got, name)
		}
		return err
	})
}

// TestBridgePortReserved: without the userland proxy, a published port is
// held by a socket in the controller's host namespace. A port a host
// process listens on cannot be published (a Conflict naming it, nothing
// left); a published port cannot be bound by a host process, until the
// container goes; the held socket takes no traffic: the container answers
// from outside, from the host's own address and from its loopback.
func TestBridgePortReserved(t *testing.T) {
	e := newBridgeEnv(t, fullBridge())
	out := e.outside("")
	n := e.network("reserve", "10.141.0.0/24", nil)

	for _, c := range []struct {
		network string
		pb      types.PortBinding
	}{
		{"tcp4", types.PortBinding{Proto: types.TCP, Port: 80, HostPort: 8480}},
		{"udp4", types.PortBinding{Proto: types.UDP, Port: 53, HostPort: 8480}},
	} {
		closer, err := hostBind(t, e.host, c.network, "0.0.0.0:8480", false)
		must(t, err)
		before := e.snapshot()
		sb, err := e.c.NewSandbox("taken", portMap(c.pb))
		must(t, err)
		ep, err := n.CreateEndpoint("taken")
		must(t, err)
		err = ep.Join(sb)
		if !types.IsConflict(err) || !errors.Is(err, syscall.EADDRINUSE) ||
			!strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "8480") {
			t.Fatalf("%s join on a port a host process has: %v, want a Conflict naming 8480", c.network, err)
		}
		must(t, ep.Delete(false))
		must(t, sb.Delete())
		if d := e.snapshot().diff(before); d != "" {
			t.Fatalf("the failed join left:\n%s", d)
		}
		closer()
	}

	a := e.run(n, "a", portMap(
		types.PortBinding{Proto: types.TCP, Port: 80, HostPort: 8481},
		types.PortBinding{Proto: types.UDP, Port: 53, HostPort: 8482}))
	serveTCP(t, a.h, net.JoinHostPort(a.ip.String(), "80"), "a")
	serveUDP(t, a.h, net.JoinHostPort(a.ip.String(), "53"), "a")
	wantHeld(t, e.host, "tcp4", "0.0.0.0:8481")
	wantHeld(t, e.host, "tcp4", "10.99.0.1:8481")
	wantHeld(t, e.host, "udp4", "0.0.0.0:8482")
	wantHeld(t, e.host, "udp4", "127.0.0.1:8482")
	for _, from := range []struct {
		name string
		h    netns.NsHandle
		ip   string
	}{{"outside", out, "10.99.0.1"}, {"host", e.host, "10.99.0.1"}, {"host loopback", e.host, "127.0.0.1"}} {
		answers(t, from.h, "tcp", from.ip+":8481", "a")
		answers(t, from.h, "udp", from.ip+":8482", "a")
	}

	a.remove(t)
	for _, b := range []struct{ network, addr string }{{"tcp4", "0.0.0.0:8481"}, {"udp4", "0.0.0.0:8482"}} {
		closer, err := hostBind(t, e.host, b.network, b.addr, false)
		if err != nil {
			t.Fatalf("%s %s still held after the container went: %v", b.network, b.addr, err)
		}
		closer()
	}
}

// TestBridgePortReservedRestart: a restarted controller holds the ports of
// the live containers again; one whose port a host process took while the
// controller was down keeps its mapping (it still forwards), unheld.
func TestBridgePortReservedRestart(t *testing.T) {
	e := newBridgeEnv(t, fullBridge())
	out := e.outside("")
	n := e.network("reserve", "10.142.0.0/24", nil)
	a := e.run(n, "a", portMap(
		types.PortBinding{Proto: types.TCP, Port: 80, HostPort: 8483},
		types.PortBinding{Proto: types.TCP, Port: 81, HostPort: 8484}))
	serveTCP(t, a.h, net.JoinHostPort(a.ip.String(), "80"), "a")
	serveTCP(t, a.h, net.JoinHostPort(a.ip.String(), "81"), "a")
	answers(t, out, "tcp", "10.99.0.1:8483", "a")
	wantHeld(t, e.host, "tcp4", "0.0.0.0:8483")

	e.c.Stop()
	e.c = nil
	closer, err := hostBind(t, e.host, "tcp4", "0.0.0.0:8483", false)
	if err != nil {
		t.Fatalf("port held while the controller is down: %v", err)
	}
	defer closer()
	e.start(config.OptionActiveSandboxes(map[string]interface{}{a.sb.ID(): nil}))

	n, err = e.c.NetworkByName("reserve")
	must(t, err)
	ep, err := n.EndpointByName(a.eps[0].Name())
	must(t, err)
	a.eps = []libnetwork.Endpoint{ep}
	if got := hostPorts(t, ep); len(got) != 2 {
		t.Fatalf("restored bindings: %v, want both", got)
	}
	answers(t, out, "tcp", "10.99.0.1:8483", "a")
	answers(t, out, "tcp", "10.99.0.1:8484", "a")
	wantHeld(t, e.host, "tcp4", "0.0.0.0:8484")
}
