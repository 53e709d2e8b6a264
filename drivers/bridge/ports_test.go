package bridge

import (
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

// buildProxy builds cmd/proxy into a directory of t's.
func buildProxy(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cnmkit-proxy")
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "../../cmd/proxy").CombinedOutput(); err != nil {
		t.Fatalf("build the proxy: %v\n%s", err, out)
	}
	return bin
}

// udpEcho starts a UDP server in h on addr that answers with the sender's IP.
func udpEcho(t *testing.T, h netns.NsHandle, addr string) {
	t.Helper()
	var c net.PacketConn
	testutils.InNS(t, h, func() (err error) { c, err = net.ListenPacket("udp", addr); return err })
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			_, from, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteTo([]byte(from.(*net.UDPAddr).IP.String()), from)
		}
	}()
}

func udpAsk(h netns.NsHandle, addr string, timeout time.Duration) (string, error) {
	var got string
	err := ns.WithNetNS(h, func() error {
		c, err := net.Dial("udp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(timeout))
		if _, err := c.Write([]byte("hi")); err != nil {
			return err
		}
		buf := make([]byte, 100)
		n, err := c.Read(buf)
		got = string(buf[:n])
		return err
	})
	return got, err
}

func bindingsOf(t *testing.T, e *env, nid, eid string) []types.PortBinding {
	t.Helper()
	info, err := e.d.EndpointOperInfo(nid, eid)
	if err != nil {
		t.Fatal(err)
	}
	return info[netlabel.PortMap].([]types.PortBinding)
}

func TestPortMapping(t *testing.T) {
	testutils.RequireRoot(t)
	bin := buildProxy(t)
	eachBackend(t, func(t *testing.T, cfg Configuration) {
		for _, proxy := range []bool{false, true} {
			name := "no-proxy"
			if proxy {
				name = "proxy"
			}
			t.Run(name, func(t *testing.T) { testPortMapping(t, cfg, proxy, bin) })
		}
	})
}

func testPortMapping(t *testing.T, cfg Configuration, proxy bool, bin string) {
	if proxy {
		cfg.EnableUserlandProxy, cfg.UserlandProxyPath = true, bin
	}
	e := newEnv(t, cfg, map[string]interface{}{ExecRootKey: t.TempDir()})
	fwBefore := firewallState(t, e.hostH)
	out := e.outside(t, "")
	e.createNet("n1", nil, "10.87.0.0/24", "10.87.0.1/24")
	a := e.run("a", "n1", "e-a", "10.87.0.2/24")
	listen(t, a.h, "10.87.0.2:80")
	udpEcho(t, a.h, "10.87.0.2:53")
	err := e.d.ProgramExternalConnectivity("n1", "e-a", map[string]interface{}{netlabel.PortMap: []types.PortBinding{
		{Proto: types.TCP, Port: 80, HostPort: 8080}, {Proto: types.UDP, Port: 53, HostPort: 5353}}})
	if err != nil {
		t.Fatal(err)
	}
	got := bindingsOf(t, e, "n1", "e-a")
	if len(got) != 2 || got[0].HostPort != 8080 || got[1].HostPort != 5353 || !got[0].IP.Equal(ip4("10.87.0.2")) {
		t.Fatalf("port map %v", got)
	}
	eventually(t, "tcp from outside", func() error { _, err := dial(out, "10.99.0.1:8080", time.Second); return err })
	eventually(t, "udp from outside", func() error { _, err := udpAsk(out, "10.99.0.1:5353", time.Second); return err })
	eventually(t, "tcp from the host's loopback", func() error { _, err := dial(e.hostH, "127.0.0.1:8080", time.Second); return err })

	// A host port already published is a typed error; nothing is left.
	b := e.run("b", "n1", "e-b", "10.87.0.3/24")
	err = e.d.ProgramExternalConnectivity("n1", "e-b", map[string]interface{}{netlabel.PortMap: []types.PortBinding{
		{Proto: types.TCP, Port: 81, HostPort: 9000, HostPortEnd: 9001}, {Proto: types.TCP, Port: 80, HostPort: 8080}}})
	if !types.IsConflict(err) || !strings.Contains(err.Error(), "8080") {
		t.Fatalf("taken host port: %v, want a Conflict naming 8080", err)
	}
	if got := bindingsOf(t, e, "n1", "e-b"); len(got) != 0 {
		t.Fatalf("failed publish left %v", got)
	}
	if fw := firewallState(t, e.hostH); strings.Contains(fw, "10.87.0.3") {
		t.Fatalf("failed publish left rules:\n%s", fw)
	}
	// A range picks a free port.
	for _, want := range []uint16{9000, 9001} {
		eid := "e-b"
		if want == 9001 {
			eid = "e-a2"
			if err := e.d.CreateEndpoint("n1", eid, &fakeIf{addr: cidr(t, "10.87.0.4/24")}, nil); err != nil {
				t.Fatal(err)
			}
		}
		err = e.d.ProgramExternalConnectivity("n1", eid, map[string]interface{}{netlabel.PortMap: []types.PortBinding{
			{Proto: types.TCP, Port: 81, HostPort: 9000, HostPortEnd: 9001}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := bindingsOf(t, e, "n1", eid); len(got) != 1 || got[0].HostPort != want {
			t.Fatalf("range binding of %s: %v, want host port %d", eid, got, want)
		}
	}
	_ = b

	for _, eid := range []string{"e-a", "e-b", "e-a2"} {
		if err := e.d.RevokeExternalConnectivity("n1", eid); err != nil {
			t.Fatal(err)
		}
	}
	// Unpublished when the revocation returns.
	if _, err := dial(out, "10.99.0.1:8080", blockedWait); err == nil {
		t.Fatal("port still published after revoke")
	}
	for _, eid := range []string{"e-a", "e-b"} {
		if err := e.d.Leave("n1", eid); err != nil {
			t.Fatal(err)
		}
	}
	for _, eid := range []string{"e-a", "e-b", "e-a2"} {
		if err := e.d.DeleteEndpoint("n1", eid); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.d.DeleteNetwork("n1"); err != nil {
		t.Fatal(err)
	}
	if got := firewallState(t, e.hostH); got != fwBefore {
		t.Fatalf("firewall at the end:\n%s\nbefore:\n%s", got, fwBefore)
	}
}

// banner starts a TCP server in h on addr that writes text and closes.
func banner(t *testing.T, h netns.NsHandle, addr, text string) {
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
			_, _ = c.Write([]byte(text + "\n"))
			c.Close()
		}
	}()
}

func readBanner(h netns.NsHandle, addr string) (string, error) {
	var got string
	err := ns.WithNetNS(h, func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(time.Second))
		b := make([]byte, 64)
		n, err := c.Read(b)
		got = strings.TrimSpace(string(b[:n]))
		return err
	})
	return got, err
}

// TestRevokeThenReuse: a host port revoked a moment ago can be published
// again at once, and a container that gets a revoked container's address
// is never reached through the old rules.
func TestRevokeThenReuse(t *testing.T) { eachBackend(t, testRevokeThenReuse) }

func testRevokeThenReuse(t *testing.T, cfg Configuration) {
	e := newEnv(t, cfg, nil)
	out := e.outside(t, "")
	e.createNet("n1", nil, "10.90.0.0/24", "10.90.0.1/24")
	a := e.run("a", "n1", "e-a", "10.90.0.2/24")
	b := e.run("b", "n1", "e-b", "10.90.0.3/24")
	banner(t, a.h, "10.90.0.2:80", "a")
	banner(t, b.h, "10.90.0.3:80", "b")
	publish := func(eid string) {
		t.Helper()
		if err := e.d.ProgramExternalConnectivity("n1", eid, map[string]interface{}{netlabel.PortMap: []types.PortBinding{
			{Proto: types.TCP, Port: 80, HostPort: 8080}}}); err != nil {
			t.Fatalf("publish %s on 8080: %v", eid, err)
		}
	}
	publish("e-a")
	eventually(t, "a on 8080", func() error {
		if got, err := readBanner(out, "10.99.0.1:8080"); err != nil || got != "a" {
			return errStill
		}
		return nil
	})
	if err := e.d.RevokeExternalConnectivity("n1", "e-a"); err != nil {
		t.Fatal(err)
	}
	publish("e-b") // at once
	// b answers; a never does. (Under load the first SYN is now and then
	// answered only after its retransmission: the loop allows for that.)
	eventually(t, "b on 8080", func() error {
		got, err := readBanner(out, "10.99.0.1:8080")
		if got == "a" {
			t.Fatal("8080 reached a after republishing to b")
		}
		if err != nil || got != "b" {
			return errStill
		}
		return nil
	})

	// b leaves and its address goes to a new endpoint at once.
	if err := e.d.RevokeExternalConnectivity("n1", "e-b"); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Leave("n1", "e-b"); err != nil {
		t.Fatal(err)
	}
	if err := e.d.DeleteEndpoint("n1", "e-b"); err != nil {
		t.Fatal(err)
	}
	c := e.run("c", "n1", "e-c", "10.90.0.3/24")
	if fw := firewallState(t, e.hostH); strings.Contains(fw, "10.90.0.3") {
		t.Fatalf("a rule to the reused address survived the join:\n%s", fw)
	}
	_ = c
}
