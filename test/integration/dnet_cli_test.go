package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/testutils"
)

// testDnetCLI drives every CLI command against a daemon and checks the
// state through inspect and in the kernel.
func testDnetCLI(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	e.start()

	// Networks: flags after the name too; table, quiet and JSON output.
	id := strings.TrimSpace(e.cliOK("network", "create", "cli1", "-d", "bridge", "--subnet", "10.81.0.0/24",
		"--gateway", "10.81.0.254", "--ip-range", "10.81.0.64/26", "-o", "com.docker.network.bridge.name=dnetcli1", "--label", "env=test"))
	if len(id) != 64 {
		t.Fatalf("network create printed %q, want the ID", id)
	}
	e.cliOK("network", "create", "--driver", "null", "cli-null")
	if got := linkAddrs(t, e, "dnetcli1"); len(got) != 1 || got[0] != "10.81.0.254/24" {
		t.Fatalf("bridge dnetcli1 has %v", got)
	}
	// Docker's column order and 12-character IDs (-q and --no-trunc too).
	ls := e.cliOK("network", "ls")
	if !strings.HasPrefix(ls, "NETWORK ID") || strings.Contains(ls, id) || !strings.Contains(ls, "cli1") || !strings.Contains(ls, id[:12]) || !strings.Contains(ls, "10.81.0.0/24") || !strings.Contains(ls, "cli-null") {
		t.Fatalf("network ls:\n%s", ls)
	}
	if q := e.cliOK("network", "ls", "-q"); len(strings.Fields(q)) != 2 || !strings.Contains(q, id[:12]+"\n") || strings.Contains(q, id) {
		t.Fatalf("network ls -q:\n%s", q)
	}
	if q := e.cliOK("network", "ls", "-q", "--no-trunc"); len(strings.Fields(q)) != 2 || !strings.Contains(q, id) {
		t.Fatalf("network ls -q --no-trunc:\n%s", q)
	}
	var nws []api.Network
	e.cliJSON(&nws, "network", "ls", "--format", "json")
	if len(nws) != 2 || nws[0].Name != "cli-null" || nws[1].ID != id {
		t.Fatalf("network ls json %+v", nws)
	}
	e.cliJSON(&nws, "network", "inspect", "--format", "json", "cli1", id[:10])
	if len(nws) != 2 || nws[0].ID != id || nws[1].ID != id || nws[0].IPAM[0] != (api.IPAMConfig{Subnet: "10.81.0.0/24", Gateway: "10.81.0.254", IPRange: "10.81.0.64/26"}) || nws[0].Labels["env"] != "test" {
		t.Fatalf("network inspect json %+v", nws)
	}
	if out := e.cliOK("network", "inspect", "--format", "table", "cli1"); !strings.Contains(out, "Name:") || !strings.Contains(out, "10.81.0.0/24 gateway 10.81.0.254 range 10.81.0.64/26") || !strings.Contains(out, "env=test") {
		t.Fatalf("network inspect:\n%s", out)
	}

	// Endpoints.
	epID := strings.TrimSpace(e.cliOK("endpoint", "create", "-n", "cli1", "-p", "127.0.0.1:8081:80", "-p", "9000-9010:53/udp", "--expose", "443", "--alias", "www", "web"))
	e.cliOK("endpoint", "create", "--network", "cli1", "--ip", "10.81.0.70", "client")
	e.cliOK("endpoint", "create", "-n", "cli-null", "nulled")
	var ep api.Endpoint
	var eps []api.Endpoint
	e.cliJSON(&eps, "endpoint", "inspect", "-n", "cli1", "--format", "json", "web")
	if len(eps) != 1 {
		t.Fatalf("endpoint inspect %+v", eps)
	}
	ep = eps[0]
	if ep.ID != epID || len(ep.PortBindings) != 2 || ep.PortBindings[0] != (api.PortBinding{Proto: "tcp", Port: 80, HostIP: "127.0.0.1", HostPort: 8081}) ||
		ep.PortBindings[1] != (api.PortBinding{Proto: "udp", Port: 53, HostPort: 9000, HostPortEnd: 9010}) || len(ep.ExposedPorts) != 3 || ep.Aliases[0] != "www" {
		t.Fatalf("endpoint web %+v", ep)
	}
	if out := e.cliOK("endpoint", "inspect", "-n", "cli1", "--format", "table", "client"); !strings.Contains(out, "10.81.0.70/24") || !strings.Contains(out, "IPv4 address:") {
		t.Fatalf("endpoint inspect:\n%s", out)
	}
	if out := e.cliOK("endpoint", "ls"); !strings.Contains(out, "NETWORK") || !strings.Contains(out, "web") || !strings.Contains(out, "nulled") {
		t.Fatalf("endpoint ls:\n%s", out)
	}
	e.cliJSON(&eps, "endpoint", "ls", "-n", "cli1", "--format", "json")
	if len(eps) != 2 || eps[0].Name != "client" || eps[1].Name != "web" {
		t.Fatalf("endpoint ls -n cli1: %+v", eps)
	}
	if q := e.cliOK("endpoint", "ls", "-q"); len(strings.Fields(q)) != 3 {
		t.Fatalf("endpoint ls -q:\n%s", q)
	}

	// Sandboxes.
	sbID := strings.TrimSpace(e.cliOK("sandbox", "create", "--hostname", "webhost", "--domainname", "example.test", "--dns", "10.81.0.53",
		"--dns-search", "example.test", "--dns-option", "ndots:1", "--add-host", "db:10.81.0.99", "box1"))
	e.cliOK("sandbox", "create", "box2")
	var sbs []api.Sandbox
	e.cliJSON(&sbs, "sandbox", "ls", "--format", "json")
	if len(sbs) != 2 || sbs[0].ID != sbID || sbs[0].Hostname != "webhost" || sbs[0].DNSOptions[0] != "ndots:1" {
		t.Fatalf("sandbox ls json %+v", sbs)
	}
	if out := e.cliOK("sandbox", "ls"); !strings.Contains(out, "box1") || !strings.Contains(out, sbs[0].Key) {
		t.Fatalf("sandbox ls:\n%s", out)
	}
	if q := e.cliOK("sandbox", "ls", "-q"); len(strings.Fields(q)) != 2 {
		t.Fatalf("sandbox ls -q:\n%s", q)
	}
	if out := e.cliOK("sandbox", "attach", "-n", "cli1", "box1", "web"); !strings.Contains(out, "attached cli1/web to box1") {
		t.Fatalf("sandbox attach: %s", out)
	}
	var sb api.Sandbox
	e.cliJSON(&sb, "sandbox", "attach", "--network", "cli1", "--format", "json", "box2", "client")
	if len(sb.Endpoints) != 1 || !hasIfaceAddr(sb.Interfaces, "10.81.0.70/24") {
		t.Fatalf("box2 after attach %+v", sb)
	}
	e.cliOK("sandbox", "attach", "-n", "cli-null", "box2", "nulled")
	e.cliJSON(&sbs, "sandbox", "inspect", "--format", "json", "box1")
	webAddr := sbs[0].Endpoints[0].IPv4Address
	if !kernelHas(t, sbs[0].Key, webAddr) || !hasIfaceAddr(sbs[0].Interfaces, webAddr) {
		t.Fatalf("box1 lacks %s: %+v", webAddr, sbs[0])
	}
	out := e.cliOK("sandbox", "inspect", "--format", "table", "box1")
	for _, want := range []string{"Hostname:", "webhost", "cli1/web " + webAddr, "interface", "eth0 up", "db:10.81.0.99"} {
		if !strings.Contains(out, want) {
			t.Fatalf("sandbox inspect lacks %q:\n%s", want, out)
		}
	}
	e.cliJSON(&eps, "endpoint", "inspect", "-n", "cli1", "--format", "json", "web")
	if eps[0].Sandbox != "box1" || len(eps[0].Published) != 2 {
		t.Fatalf("web attached: %+v", eps[0])
	}
	if out := e.cliOK("endpoint", "ls", "-n", "cli1"); !strings.Contains(out, "127.0.0.1:8081->80/tcp") {
		t.Fatalf("endpoint ls shows no published port:\n%s", out)
	}
	dnetTCP(t, sbs[0].Key, sb.Key, webAddr)

	// Errors: exit 1 with the daemon's message.
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"network", "inspect", "nope"}, "not found"},
		{[]string{"network", "rm", "cli1"}, "active endpoints"},
		{[]string{"network", "create", "-d", "bridge", "--subnet", "10.81.0.0/33", "x"}, "ipam[0].subnet"},
		{[]string{"endpoint", "create", "-n", "cli1", "-p", "70000:80", "x"}, "port_bindings[0].host_port"},
		{[]string{"endpoint", "create", "-n", "cli1", "web"}, "already has an endpoint"},
		{[]string{"sandbox", "attach", "-n", "cli1", "box2", "web"}, "already attached"},
		{[]string{"sandbox", "create", "box1"}, "already exists"},
		{[]string{"endpoint", "rm", "-n", "cli1", "web"}, "active"},
	} {
		out, errOut, code := e.cli(c.args...)
		if code != 1 || !strings.Contains(errOut, c.msg) {
			t.Errorf("dnet %s: exit %d, stderr %q (stdout %q); want exit 1 and %q", strings.Join(c.args, " "), code, errOut, out, c.msg)
		}
	}
	// inspect of several with one missing: exit 1, the others shown.
	if out, _, code := e.cli("network", "inspect", "cli1", "nope"); code != 1 || !strings.Contains(out, "cli1") {
		t.Errorf("inspect with one missing: exit %d\n%s", code, out)
	}

	// Detach and remove, through the CLI.
	if out := e.cliOK("sandbox", "detach", "-n", "cli1", "box1", "web"); !strings.Contains(out, "detached cli1/web from box1") {
		t.Fatalf("sandbox detach: %s", out)
	}
	dnetPoll(t, "web's address leaves box1", func() error {
		if kernelHas(t, sbs[0].Key, webAddr) {
			return fmt.Errorf("still there")
		}
		return nil
	})
	e.cliOK("endpoint", "rm", "-n", "cli1", "web")
	e.cliOK("endpoint", "rm", "-n", "cli1", "--force", "client")
	e.cliOK("sandbox", "rm", "box1", "box2")
	e.cliOK("network", "rm", "cli1")
	if _, errOut, code := e.cli("network", "rm", "cli-null"); code != 1 || !strings.Contains(errOut, "cannot be deleted") {
		t.Fatalf("rm of the null network: exit %d %q", code, errOut)
	}
	if q := e.cliOK("network", "ls", "-q"); len(strings.Fields(q)) != 1 {
		t.Fatalf("networks left: %s", q)
	}
	if q := e.cliOK("endpoint", "ls", "-q"); q != "" {
		t.Fatalf("endpoints left: %s", q)
	}
	if q := e.cliOK("sandbox", "ls", "-q"); q != "" {
		t.Fatalf("sandboxes left: %s", q)
	}
	if p := e.pinned(); len(p) != 0 {
		t.Fatalf("namespaces left: %v", p)
	}
	dnetPoll(t, "bridge dnetcli1 removed", func() error {
		if _, err := e.nl.LinkByName("dnetcli1"); err == nil {
			return fmt.Errorf("still there")
		}
		return nil
	})
}

// testDnetCLIUsage checks --help everywhere and the exit codes of usage
// errors and of an unreachable daemon; no daemon is needed.
func testDnetCLIUsage(t *testing.T, bins dnetBinaries) {
	helps := [][]string{
		{"--help"}, {"help"}, {"-h"},
		{"daemon", "--help"}, {"demo", "--help"},
		{"network", "--help"}, {"network", "create", "--help"}, {"network", "ls", "--help"}, {"network", "inspect", "-h"}, {"network", "rm", "--help"},
		{"endpoint", "--help"}, {"endpoint", "create", "--help"}, {"endpoint", "ls", "--help"}, {"endpoint", "inspect", "--help"}, {"endpoint", "rm", "--help"},
		{"sandbox", "help"}, {"sandbox", "create", "--help"}, {"sandbox", "ls", "--help"}, {"sandbox", "inspect", "--help"}, {"sandbox", "rm", "--help"},
		{"sandbox", "attach", "--help"}, {"sandbox", "detach", "--help"},
		{"network", "connect", "--help"}, {"network", "disconnect", "--help"}, {"network", "prune", "--help"}, {"version", "--help"},
		{"help", "network"}, {"network", "help"},
	}
	for _, args := range helps {
		out, errOut, code := dnetRun(t, bins.cli, args...)
		if code != 0 || !strings.Contains(out, "Usage:") || errOut != "" {
			t.Errorf("dnet %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), code, out, errOut)
		}
	}
	usage := [][]string{
		{}, {"bogus"}, {"--bogus"}, {"network"}, {"network", "bogus"}, {"network", "create"}, {"network", "create", "a", "b"},
		{"network", "create", "--bogus", "x"}, {"network", "ls", "--format", "yaml"}, {"network", "ls", "extra"},
		{"network", "inspect"}, {"network", "rm"}, {"network", "create", "--gateway", "10.0.0.1", "x"},
		{"network", "create", "--subnet", "10.0.0.0/24", "--subnet", "10.1.0.0/24", "--gateway", "10.2.0.1", "x"},
		{"network", "create", "-o", "novalue", "x"},
		{"endpoint", "create", "x"}, {"endpoint", "create", "-n", "n"}, {"endpoint", "create", "-n", "n", "-p", "a:b:c:d", "x"},
		{"endpoint", "create", "-n", "n", "--expose", "http", "x"}, {"endpoint", "inspect", "x"}, {"endpoint", "rm", "x"},
		{"sandbox", "create"}, {"sandbox", "attach", "-n", "n", "only-one"}, {"sandbox", "detach", "a", "b"},
		{"sandbox", "inspect"}, {"sandbox", "rm"},
		{"daemon", "extra"}, {"daemon", "--tcp", "0.0.0.0:2375"}, {"daemon", "--tcp", ":2375"}, {"daemon", "--tcp", "10.1.2.3:2375"},
		{"daemon", "--log-level", "loud"}, {"daemon", "--default-bridge", "maybe"}, {"daemon", "--config", "/nonexistent/dnet.json"},
		{"-H", "ftp://x", "network", "ls"},
		{"demo", "extra"},
		{"network", "connect", "n"}, {"network", "disconnect"}, {"network", "prune", "extra"}, {"network", "ls", "--filter", "bogus=1"},
		{"network", "ls", "--format", "{{.Name"}, {"network", "create", "--aux-address", "x", "n"}, {"version", "extra"},
	}
	for _, args := range usage {
		_, errOut, code := dnetRun(t, bins.cli, args...)
		if code != 2 || errOut == "" {
			t.Errorf("dnet %s: exit %d, stderr %q; want exit 2 and a message", strings.Join(args, " "), code, errOut)
		}
	}
	_, errOut, code := dnetRun(t, bins.cli, "daemon", "--tcp", "0.0.0.0:2375")
	if !strings.Contains(errOut, "non-loopback") || code != 2 {
		t.Errorf("non-loopback --tcp: %d %q", code, errOut)
	}
	// No daemon at the address: exit 1.
	_, errOut, code = dnetRun(t, bins.cli, "-H", "unix://"+t.TempDir()+"/none.sock", "network", "ls")
	if code != 1 || !strings.Contains(errOut, "cannot reach the dnet daemon") {
		t.Errorf("no daemon: exit %d, %q", code, errOut)
	}
	if !testutils.IsRoot() {
		_, errOut, code := dnetRun(t, bins.cli, "demo")
		if code != 1 || !strings.Contains(errOut, "needs root") {
			t.Errorf("demo as non-root: exit %d, %q", code, errOut)
		}
	}
}
