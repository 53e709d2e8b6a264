package integration

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/nftdump"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
)

// TestBridgeTeardown builds networks of every kind with containers and
// published ports, removes them all, and checks that the host namespace's
// links, iptables and ip6tables rules, the whole nf_tables ruleset (no
// empty table or chain of iptables-nft's either), pinned namespaces and
// proxies are exactly as before, with each firewall backend.
func TestBridgeTeardown(t *testing.T) { eachFirewall(t, testBridgeTeardown) }

func testBridgeTeardown(t *testing.T, drv options.Generic) {
	bin := buildProxy(t)
	drv["EnableUserlandProxy"], drv["UserlandProxyPath"] = true, bin
	e := newBridgeEnv(t, drv)
	before := e.snapshot()

	plain := e.network("plain", "10.130.0.0/24", nil)
	noicc := e.network("noicc", "10.131.0.0/24", map[string]string{"com.docker.network.bridge.enable_icc": "false"})
	internal := e.network("internal", "10.132.0.0/24", nil, libnetwork.NetworkOptionInternalNetwork())
	v6, err := e.c.NewNetwork("bridge", "v6", "", libnetwork.NetworkOptionEnableIPv6(true),
		libnetwork.NetworkOptionIpam("default", "", []*libnetwork.IpamConf{{PreferredPool: "10.133.0.0/24"}},
			[]*libnetwork.IpamConf{{PreferredPool: "fd00:133::/64"}}, nil))
	must(t, err)
	var ctrs []*ctr
	for i, n := range []libnetwork.Network{plain, noicc, internal, v6} {
		name := n.Name()
		ctrs = append(ctrs, e.run(n, name+"-a", portMap(types.PortBinding{Proto: types.TCP, Port: 80, HostPort: uint16(8000 + i)})))
		ctrs = append(ctrs, e.run(n, name+"-b"))
	}
	e.join(ctrs[1], noicc) // a container on two networks
	if len(proxies(t, bin)) == 0 {
		t.Fatal("no proxy runs for the published ports")
	}
	during := e.snapshot()
	if during.nft == before.nft || during.links == before.links {
		t.Fatal("the setup changed nothing")
	}

	for _, c := range ctrs {
		c.remove(t)
	}
	for _, n := range []libnetwork.Network{plain, noicc, internal, v6} {
		must(t, n.Delete())
	}
	// Sandbox namespaces are freed by the kernel in the background, and
	// their veth pairs with them.
	eventually(t, "the host namespace as before", func() error {
		if d := e.snapshot().diff(before); d != "" {
			return &diffError{d}
		}
		return nil
	})
	if p := proxies(t, bin); len(p) != 0 {
		t.Fatalf("proxies left: %v", p)
	}
	if empty := nftdump.Empty(e.snapshot().nft); len(empty) > 0 {
		t.Fatalf("empty tables or chains left: %v", empty)
	}
}

type diffError struct{ d string }

func (e *diffError) Error() string { return e.d }

// TestBridgeRestart stops the controller and starts another on the same
// data dir: the container declared live keeps working (from outside and
// through the host's loopback, with its proxy replaced), the other is
// removed and so are its rules and its proxy.
func TestBridgeRestart(t *testing.T) {
	drv := fullBridge()
	bin := buildProxy(t)
	drv["EnableUserlandProxy"], drv["UserlandProxyPath"] = true, bin
	e := newBridgeEnv(t, drv)
	out := e.outside("")
	withOutside := e.snapshot()
	n := e.network("net1", "10.134.0.0/24", nil)
	a := e.run(n, "a", portMap(types.PortBinding{Proto: types.TCP, Port: 80, HostPort: 8080}))
	b := e.run(n, "b", portMap(types.PortBinding{Proto: types.TCP, Port: 80, HostPort: 8081}))
	serveTCP(t, a.h, net.JoinHostPort(a.ip.String(), "80"), "a")
	serveTCP(t, b.h, net.JoinHostPort(b.ip.String(), "80"), "b")
	for _, addr := range []string{"10.99.0.1:8080", "10.99.0.1:8081"} {
		eventually(t, "before the restart: "+addr, func() error { _, _, err := ask(out, "tcp", addr, time.Second); return err })
	}
	aID, bIP := a.sb.ID(), b.ip.String()

	e.restart(config.OptionActiveSandboxes(map[string]interface{}{aID: nil}))

	sb, err := e.c.SandboxByID(aID)
	if err != nil {
		t.Fatalf("live sandbox not restored: %v", err)
	}
	a.sb = sb
	n, err = e.c.NetworkByName("net1")
	must(t, err)
	ep, err := n.EndpointByName(a.eps[0].Name())
	must(t, err)
	a.eps = []libnetwork.Endpoint{ep}
	for _, h := range []struct {
		from string
		addr string
	}{{"outside", "10.99.0.1:8080"}, {"host", "127.0.0.1:8080"}} {
		from := out
		if h.from == "host" {
			from = e.host
		}
		eventually(t, "after the restart: "+h.addr+" from "+h.from, func() error {
			_, name, err := ask(from, "tcp", h.addr, time.Second)
			if err == nil && name != "a" {
				t.Fatalf("%s answered by %s", h.addr, name)
			}
			return err
		})
	}
	eventually(t, "b's rules and proxy gone", func() error {
		if fw := e.save("iptables-save"); strings.Contains(fw, "8081") || strings.Contains(fw, bIP) {
			return errStill
		}
		if len(proxies(t, bin)) != 1 {
			return errStill
		}
		return nil
	})
	if _, _, err := ask(out, "tcp", "10.99.0.1:8081", blockedWait); err == nil {
		t.Fatal("b's port still answers")
	}

	a.remove(t)
	must(t, n.Delete())
	eventually(t, "the host namespace as before", func() error {
		if d := e.snapshot().diff(withOutside); d != "" {
			return &diffError{d}
		}
		return nil
	})
	if p := proxies(t, bin); len(p) != 0 {
		t.Fatalf("proxies left: %v", p)
	}
}

// TestBridgeBadInput checks that bad network options are typed errors
// naming the value and leave nothing behind.
func TestBridgeBadInput(t *testing.T) {
	e := newBridgeEnv(t, fullBridge())
	e.network("taken", "10.135.0.0/24", map[string]string{"com.docker.network.bridge.name": "cnmtaken"})
	before := e.snapshot()
	ipam := func(pool, gw string) libnetwork.NetworkOption {
		return libnetwork.NetworkOptionIpam("default", "", []*libnetwork.IpamConf{{PreferredPool: pool, Gateway: gw}}, nil, nil)
	}
	for i, c := range []struct {
		name  string
		opts  []libnetwork.NetworkOption
		class func(error) bool
		want  string
	}{
		{"long bridge name", []libnetwork.NetworkOption{libnetwork.NetworkOptionDriverOpts(map[string]string{"com.docker.network.bridge.name": "waytoolongbridgename"})},
			types.IsBadRequest, "waytoolongbridgename"},
		{"illegal bridge name", []libnetwork.NetworkOption{libnetwork.NetworkOptionDriverOpts(map[string]string{"com.docker.network.bridge.name": "br/0"})},
			types.IsBadRequest, "br/0"},
		{"bridge name taken", []libnetwork.NetworkOption{libnetwork.NetworkOptionDriverOpts(map[string]string{"com.docker.network.bridge.name": "cnmtaken"})},
			types.IsConflict, "cnmtaken"},
		{"mtu", []libnetwork.NetworkOption{libnetwork.NetworkOptionDriverOpts(map[string]string{"com.docker.network.driver.mtu": "40"})},
			types.IsBadRequest, "40"},
		{"wrong type", []libnetwork.NetworkOption{libnetwork.NetworkOptionGeneric(map[string]interface{}{
			netlabel.GenericData: options.Generic{"EnableICC": 3.5}})}, types.IsBadRequest, "3.5"},
		{"gateway outside the pool", []libnetwork.NetworkOption{ipam("10.136.0.0/24", "10.137.0.1")}, types.IsBadRequest, "10.137.0.1"},
		{"null IPAM", []libnetwork.NetworkOption{libnetwork.NetworkOptionIpam("null", "", nil, nil, nil)}, types.IsBadRequest, "ipv4 pool is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := append([]libnetwork.NetworkOption{ipam(fmt.Sprintf("10.140.%d.0/24", i), "")}, c.opts...)
			_, err := e.c.NewNetwork("bridge", "bad", "", opts...)
			if err == nil || !c.class(err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a typed error naming %q", err, c.want)
			}
			if _, err := e.c.NetworkByName("bad"); err == nil {
				t.Fatal("the bad network exists")
			}
		})
	}
	if d := e.snapshot().diff(before); d != "" {
		t.Fatalf("bad input left:\n%s", d)
	}
}
