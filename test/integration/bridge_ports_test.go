package integration

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
)

func portMap(pbs ...types.PortBinding) libnetwork.SandboxOption {
	return libnetwork.OptionPortMapping(pbs)
}

// hostPorts returns the host ports the driver published for ep.
func hostPorts(t testing.TB, ep libnetwork.Endpoint) []uint16 {
	t.Helper()
	info, err := ep.DriverInfo()
	if err != nil {
		t.Fatal(err)
	}
	pm, _ := info[netlabel.PortMap].([]types.PortBinding)
	var out []uint16
	for _, b := range pm {
		out = append(out, b.HostPort)
	}
	return out
}

func TestBridgePortMapping(t *testing.T) {
	eachFirewall(t, func(t *testing.T, base options.Generic) {
		for _, proxy := range []bool{false, true} {
			name := map[bool]string{false: "no-proxy", true: "proxy"}[proxy]
			t.Run(name, func(t *testing.T) {
				drv := options.Generic{}
				for k, v := range base {
					drv[k] = v
				}
				if proxy {
					drv["EnableUserlandProxy"], drv["UserlandProxyPath"] = true, buildProxy(t)
				}
				testPortMapping(t, drv)
			})
		}
	})
}

func testPortMapping(t *testing.T, drv options.Generic) {
	e := newBridgeEnv(t, drv)
	out := e.outside("")
	n := e.network("net1", "10.127.0.0/24", nil)
	a := e.run(n, "a", portMap(
		types.PortBinding{Proto: types.TCP, Port: 80, HostPort: 8080},
		types.PortBinding{Proto: types.UDP, Port: 53, HostPort: 5353}))
	serveTCP(t, a.h, net.JoinHostPort(a.ip.String(), "80"), "a")
	serveUDP(t, a.h, net.JoinHostPort(a.ip.String(), "53"), "a")
	for _, c := range []struct {
		from      string
		proto     string
		addr      string
		wantOwnIP string // the address the container sees, when it is known
	}{
		{"outside", "tcp", "10.99.0.1:8080", "10.99.0.2"},
		{"outside", "udp", "10.99.0.1:5353", "10.99.0.2"},
		{"host", "tcp", "127.0.0.1:8080", ""},
		{"host", "udp", "127.0.0.1:5353", ""},
	} {
		h := out
		if c.from == "host" {
			h = e.host
		}
		var seen, name string
		eventually(t, c.proto+" from "+c.from+" to "+c.addr, func() (err error) {
			seen, name, err = ask(h, c.proto, c.addr, time.Second)
			return err
		})
		if name != "a" || (c.wantOwnIP != "" && seen != c.wantOwnIP) {
			t.Errorf("%s %s from %s: answer %q from %s", c.proto, c.addr, c.from, seen, name)
		}
	}

	// A host port already published: a typed error, and nothing stays.
	before := e.save("iptables-save")
	sb, err := e.c.NewSandbox("b", portMap(types.PortBinding{Proto: types.TCP, Port: 81, HostPort: 8080}))
	must(t, err)
	ep, err := n.CreateEndpoint("b")
	must(t, err)
	err = ep.Join(sb)
	if !types.IsConflict(err) || !strings.Contains(err.Error(), "8080") {
		t.Fatalf("join with a taken host port: %v, want a Conflict naming 8080", err)
	}
	if got := e.save("iptables-save"); got != before {
		t.Fatalf("the failed join changed the firewall:\n%s\nwas:\n%s", got, before)
	}
	must(t, ep.Delete(false))
	must(t, sb.Delete())

	// A host port range picks a free port.
	rng := types.PortBinding{Proto: types.TCP, Port: 80, HostPort: 9000, HostPortEnd: 9010}
	c := e.run(n, "c", portMap(rng))
	d := e.run(n, "d", portMap(rng))
	if pc, pd := hostPorts(t, c.eps[0]), hostPorts(t, d.eps[0]); len(pc) != 1 || len(pd) != 1 || pc[0] == pd[0] ||
		pc[0] < 9000 || pc[0] > 9010 || pd[0] < 9000 || pd[0] > 9010 {
		t.Fatalf("range ports %v %v", pc, pd)
	}
	serveTCP(t, d.h, net.JoinHostPort(d.ip.String(), "80"), "d")
	dport := strconv.Itoa(int(hostPorts(t, d.eps[0])[0]))
	eventually(t, "d's ranged port", func() error {
		_, name, err := ask(out, "tcp", "10.99.0.1:"+dport, time.Second)
		if err == nil && name != "d" {
			t.Fatalf("port %s answered by %s", dport, name)
		}
		return err
	})

	// Bad bindings are typed errors naming the value.
	for _, bad := range []types.PortBinding{
		{Proto: types.Protocol(99), Port: 80, HostPort: 8090},
		{Proto: types.TCP, Port: 80, HostPort: 9100, HostPortEnd: 9050},
	} {
		sb, err := e.c.NewSandbox("bad", portMap(bad))
		must(t, err)
		ep, err := n.CreateEndpoint("bad")
		must(t, err)
		err = ep.Join(sb)
		if !types.IsBadRequest(err) {
			t.Errorf("binding %s: %v, want a BadRequest", bad, err)
		}
		must(t, ep.Delete(false))
		must(t, sb.Delete())
	}
}

// proxies returns the pids of running processes whose executable is bin.
func proxies(t testing.TB, bin string) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", ent.Name(), "exe"))
		if err == nil && exe == bin {
			out = append(out, pid)
		}
	}
	return out
}
