package integration

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netns"
)

// TestDnet builds cmd/dnet once and runs the daemon, API, CLI and demo
// tests with it; each daemon runs in a namespace of its subtest's own.
func TestDnet(t *testing.T) {
	bins := dnetBuild(t, t.TempDir())
	t.Run("API", func(t *testing.T) { testDnetAPI(t, bins) })
	t.Run("BadRequests", func(t *testing.T) { testDnetBadRequests(t, bins) })
	t.Run("CLI", func(t *testing.T) { testDnetCLI(t, bins) })
	t.Run("CLIUsage", func(t *testing.T) { testDnetCLIUsage(t, bins) })
	t.Run("DockerCLI", func(t *testing.T) { testDnetDockerCLI(t, bins) })
	t.Run("Restart", func(t *testing.T) { testDnetRestart(t, bins) })
	t.Run("SecondDaemon", func(t *testing.T) { testDnetSecondDaemon(t, bins) })
	t.Run("Signals", func(t *testing.T) { testDnetSignals(t, bins) })
	t.Run("TCP", func(t *testing.T) { testDnetTCP(t, bins) })
	t.Run("ConfigFile", func(t *testing.T) { testDnetConfigFile(t, bins) })
	t.Run("DefaultBridge", func(t *testing.T) { testDnetDefaultBridge(t, bins) })
	t.Run("Macvlan", func(t *testing.T) { testDnetMacvlan(t, bins) })
	t.Run("Demo", func(t *testing.T) { testDnetDemo(t, bins) })
}

// testDnetAPI drives every route with the null and bridge drivers and
// checks the state through the API and in the kernel.
func testDnetAPI(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	e.start()

	var info api.Info
	e.rawJSON(http.MethodGet, "/v1/info", "", http.StatusOK, &info)
	if info.APIVersion != "v1" || info.ExecRoot != e.execRoot || info.DataDir != e.dataDir || info.PID != e.d.cmd.Process.Pid || info.ControllerID == "" {
		t.Fatalf("info %+v", info)
	}

	// Networks.
	var nullNet, br api.Network
	e.rawJSON(http.MethodPost, "/v1/networks", `{"name":"nullnet","driver":"null"}`, http.StatusCreated, &nullNet)
	if nullNet.Driver != "null" || nullNet.Name != "nullnet" || nullNet.ID == "" {
		t.Fatalf("null network %+v", nullNet)
	}
	e.rawJSON(http.MethodPost, "/v1/networks", `{"name":"br1","driver":"bridge",
		"ipam":[{"subnet":"10.77.0.0/24","gateway":"10.77.0.1","ip_range":"10.77.0.128/25"}],
		"options":{"com.docker.network.bridge.name":"dnetbr1"},"labels":{"team":"a"}}`, http.StatusCreated, &br)
	if len(br.IPAM) != 1 || br.IPAM[0] != (api.IPAMConfig{Subnet: "10.77.0.0/24", Gateway: "10.77.0.1", IPRange: "10.77.0.128/25"}) ||
		br.Labels["team"] != "a" || br.Options["com.docker.network.bridge.name"] != "dnetbr1" || br.Driver != "bridge" || br.Scope != "local" {
		t.Fatalf("bridge network %+v", br)
	}
	if got := linkAddrs(t, e, "dnetbr1"); len(got) != 1 || got[0] != "10.77.0.1/24" {
		t.Fatalf("bridge dnetbr1 in the kernel has %v, want 10.77.0.1/24", got)
	}
	var nws []api.Network
	e.rawJSON(http.MethodGet, "/v1/networks", "", http.StatusOK, &nws)
	if len(nws) != 2 || nws[0].Name != "br1" || nws[1].Name != "nullnet" {
		t.Fatalf("networks %+v", nws)
	}
	for _, ref := range []string{"br1", br.ID, br.ID[:7]} {
		var n api.Network
		e.rawJSON(http.MethodGet, "/v1/networks/"+ref, "", http.StatusOK, &n)
		if n.ID != br.ID {
			t.Fatalf("network %s is %s, want %s", ref, n.ID, br.ID)
		}
	}

	// Endpoints.
	var ep1, ep2, nep api.Endpoint
	e.rawJSON(http.MethodPost, "/v1/networks/br1/endpoints", `{"name":"ep1","exposed_ports":[{"port":443}],
		"port_bindings":[{"proto":"tcp","port":80,"host_port":8080}],"aliases":["web"]}`, http.StatusCreated, &ep1)
	_, rng, _ := net.ParseCIDR("10.77.0.128/25")
	if ip, _, err := net.ParseCIDR(ep1.IPv4Address); err != nil || !rng.Contains(ip) {
		t.Fatalf("ep1 address %q is not in the ip range %s", ep1.IPv4Address, rng)
	}
	if ep1.Network != "br1" || ep1.NetworkID != br.ID || len(ep1.Aliases) != 1 || ep1.Aliases[0] != "web" ||
		len(ep1.ExposedPorts) != 2 || len(ep1.PortBindings) != 1 || ep1.PortBindings[0].HostPort != 8080 || ep1.Sandbox != "" {
		t.Fatalf("ep1 %+v", ep1)
	}
	e.rawJSON(http.MethodPost, "/v1/networks/"+br.ID+"/endpoints", `{"name":"ep2","ipv4_address":"10.77.0.200"}`, http.StatusCreated, &ep2)
	if ep2.IPv4Address != "10.77.0.200/24" {
		t.Fatalf("ep2 address %q, want 10.77.0.200/24", ep2.IPv4Address)
	}
	e.rawJSON(http.MethodPost, "/v1/networks/nullnet/endpoints", `{"name":"nep"}`, http.StatusCreated, &nep)
	var eps []api.Endpoint
	e.rawJSON(http.MethodGet, "/v1/networks/br1/endpoints", "", http.StatusOK, &eps)
	if len(eps) != 2 || eps[0].Name != "ep1" || eps[1].Name != "ep2" {
		t.Fatalf("br1 endpoints %+v", eps)
	}
	e.rawJSON(http.MethodGet, "/v1/endpoints", "", http.StatusOK, &eps)
	if len(eps) != 3 || eps[2].Name != "nep" || eps[2].Network != "nullnet" {
		t.Fatalf("all endpoints %+v", eps)
	}
	var got api.Endpoint
	e.rawJSON(http.MethodGet, "/v1/networks/br1/endpoints/"+ep1.ID[:8], "", http.StatusOK, &got)
	if got.ID != ep1.ID || len(got.Published) != 0 {
		t.Fatalf("ep1 by ID prefix %+v", got)
	}

	// Sandboxes.
	var sb1, sb2 api.Sandbox
	e.rawJSON(http.MethodPost, "/v1/sandboxes", `{"name":"sb1","hostname":"sb1","domainname":"example.test",
		"dns":["10.77.0.53"],"dns_search":["example.test"],"dns_options":["ndots:2"],"extra_hosts":["db:10.77.0.99"]}`, http.StatusCreated, &sb1)
	if sb1.Name != "sb1" || sb1.Hostname != "sb1" || sb1.Domainname != "example.test" || len(sb1.DNS) != 1 ||
		len(sb1.ExtraHosts) != 1 || filepath.Dir(sb1.Key) != filepath.Join(e.execRoot, "netns") || !ns.IsNetNS(sb1.Key) {
		t.Fatalf("sb1 %+v", sb1)
	}
	if len(sb1.Interfaces) != 1 || sb1.Interfaces[0].Name != "lo" {
		t.Fatalf("sb1 interfaces before attach %+v", sb1.Interfaces)
	}
	e.rawJSON(http.MethodPost, "/v1/sandboxes", `{"name":"sb2"}`, http.StatusCreated, &sb2)
	var sbs []api.Sandbox
	e.rawJSON(http.MethodGet, "/v1/sandboxes", "", http.StatusOK, &sbs)
	if len(sbs) != 2 || sbs[0].Name != "sb1" || sbs[1].Name != "sb2" {
		t.Fatalf("sandboxes %+v", sbs)
	}

	// Attach: the interface and its address appear in the namespace.
	e.rawJSON(http.MethodPost, "/v1/sandboxes/sb1/attach", `{"network":"br1","endpoint":"ep1"}`, http.StatusOK, &sb1)
	if len(sb1.Endpoints) != 1 || sb1.Endpoints[0].ID != ep1.ID || sb1.Endpoints[0].Gateway != "10.77.0.1" ||
		!hasIfaceAddr(sb1.Interfaces, ep1.IPv4Address) {
		t.Fatalf("sb1 after attach %+v", sb1)
	}
	if !kernelHas(t, sb1.Key, ep1.IPv4Address) {
		t.Fatalf("%s not in sb1's namespace: %v", ep1.IPv4Address, sandboxAddrs(t, sb1.Key))
	}
	e.rawJSON(http.MethodPost, "/v1/sandboxes/"+sb2.ID[:6]+"/attach", `{"network":"`+br.ID+`","endpoint":"ep2"}`, http.StatusOK, &sb2)
	e.rawJSON(http.MethodPost, "/v1/sandboxes/sb2/attach", `{"network":"nullnet","endpoint":"nep"}`, http.StatusOK, &sb2)
	if len(sb2.Endpoints) != 2 {
		t.Fatalf("sb2 endpoints %+v", sb2.Endpoints)
	}
	e.rawJSON(http.MethodGet, "/v1/networks/br1/endpoints/ep1", "", http.StatusOK, &got)
	if got.Sandbox != "sb1" || len(got.Published) != 1 || got.Published[0].HostPort != 8080 || got.Published[0].Port != 80 {
		t.Fatalf("ep1 attached %+v", got)
	}
	// Real packets between the two sandboxes.
	dnetTCP(t, sb1.Key, sb2.Key, ep1.IPv4Address)

	// Detach: the address leaves the namespace; the endpoint stays.
	e.rawJSON(http.MethodPost, "/v1/sandboxes/sb1/detach", `{"network":"br1","endpoint":"ep1"}`, http.StatusOK, &sb1)
	if len(sb1.Endpoints) != 0 {
		t.Fatalf("sb1 after detach %+v", sb1.Endpoints)
	}
	dnetPoll(t, "ep1's address leaves sb1", func() error {
		if kernelHas(t, sb1.Key, ep1.IPv4Address) {
			return fmt.Errorf("still there")
		}
		return nil
	})
	e.rawJSON(http.MethodGet, "/v1/networks/br1/endpoints/ep1", "", http.StatusOK, &got)
	if got.Sandbox != "" {
		t.Fatalf("ep1 after detach %+v", got)
	}

	// Deletes.
	e.rawJSON(http.MethodDelete, "/v1/networks/br1/endpoints/ep1", "", http.StatusNoContent, nil)
	e.expectError(http.MethodGet, "/v1/networks/br1/endpoints/ep1", "", http.StatusNotFound, "")
	e.expectError(http.MethodDelete, "/v1/networks/br1/endpoints/ep2", "", http.StatusForbidden, "", "active")
	e.rawJSON(http.MethodDelete, "/v1/networks/br1/endpoints/ep2?force=true", "", http.StatusNoContent, nil)
	e.rawJSON(http.MethodGet, "/v1/sandboxes/sb2", "", http.StatusOK, &sb2)
	if len(sb2.Endpoints) != 1 || sb2.Endpoints[0].Name != "nep" {
		t.Fatalf("sb2 after forced delete of ep2 %+v", sb2.Endpoints)
	}
	e.rawJSON(http.MethodDelete, "/v1/sandboxes/sb2", "", http.StatusNoContent, nil)
	e.rawJSON(http.MethodGet, "/v1/networks/nullnet/endpoints", "", http.StatusOK, &eps)
	if len(eps) != 0 {
		t.Fatalf("deleting sb2 left its endpoint: %+v", eps)
	}
	e.rawJSON(http.MethodDelete, "/v1/sandboxes/"+sb1.ID, "", http.StatusNoContent, nil)
	if p := e.pinned(); len(p) != 0 {
		t.Fatalf("namespaces left under the exec root: %v", p)
	}
	e.rawJSON(http.MethodDelete, "/v1/networks/br1", "", http.StatusNoContent, nil)
	// The null network is the controller's to keep.
	e.expectError(http.MethodDelete, "/v1/networks/"+nullNet.ID, "", http.StatusForbidden, "", "cannot be deleted")
	dnetPoll(t, "bridge dnetbr1 removed", func() error {
		if _, err := e.nl.LinkByName("dnetbr1"); err == nil {
			return fmt.Errorf("still there")
		}
		return nil
	})
	e.rawJSON(http.MethodGet, "/v1/networks", "", http.StatusOK, &nws)
	if len(nws) != 1 || nws[0].Name != "nullnet" {
		t.Fatalf("networks left: %+v", nws)
	}
}

// linkAddrs returns the IPv4 addresses of a link of the daemon's namespace.
func linkAddrs(t *testing.T, e *dnetEnv, name string) []string {
	t.Helper()
	l, err := e.nl.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s: %v", name, err)
	}
	addrs, err := e.nl.AddrList(l, 2 /* FAMILY_V4 */)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range addrs {
		out = append(out, a.IPNet.String())
	}
	return out
}

func hasIfaceAddr(itfs []api.Interface, addr string) bool {
	for _, i := range itfs {
		for _, a := range i.Addresses {
			if a == addr && i.Up {
				return true
			}
		}
	}
	return false
}

// kernelHas reports whether an interface of the namespace at key has addr.
func kernelHas(t *testing.T, key, addr string) bool {
	for _, addrs := range sandboxAddrs(t, key) {
		for _, a := range addrs {
			if a == addr {
				return true
			}
		}
	}
	return false
}

// dnetTCP serves TCP on port 7 inside the namespace at srvKey and checks
// that a client in the namespace at cliKey reaches it at addr (CIDR).
func dnetTCP(t *testing.T, srvKey, cliKey, addr string) {
	t.Helper()
	ip, _, _ := net.ParseCIDR(addr)
	target := net.JoinHostPort(ip.String(), "7")
	srv, err := netns.GetFromPath(srvKey)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var ln net.Listener
	if err := ns.WithNetNS(srv, func() (err error) { ln, err = net.Listen("tcp4", target); return err }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			fmt.Fprintf(c, "echo %s", line)
			c.Close()
		}
	}()
	cli, err := netns.GetFromPath(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	dnetPoll(t, "TCP to "+target, func() error {
		return ns.WithNetNS(cli, func() error {
			c, err := net.DialTimeout("tcp4", target, time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			fmt.Fprintln(c, "ping")
			got, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				return err
			}
			if strings.TrimSpace(got) != "echo ping" {
				return fmt.Errorf("answer %q", got)
			}
			return nil
		})
	})
}
