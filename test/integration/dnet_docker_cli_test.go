package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/api"
)

// testDnetDockerCLI drives the CLI's Docker-shaped commands (version,
// network connect, disconnect, prune, rm -f, ls --filter, --format
// templates, --no-trunc, --aux-address, --ipam-opt) against a daemon and
// checks the state through inspect and in the kernel.
func testDnetDockerCLI(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	e.start()

	// dnet version: the client's and the daemon's (GET /v1/info).
	var info api.Info
	e.rawJSON(http.MethodGet, "/v1/info", "", http.StatusOK, &info)
	if info.Version == "" || info.GoVersion == "" || info.OSArch == "" {
		t.Fatalf("info has no version: %+v", info)
	}
	if out := e.cliOK("version"); !strings.Contains(out, "Client:") || !strings.Contains(out, "Server:") || !strings.Contains(out, "API version:") {
		t.Fatalf("dnet version:\n%s", out)
	}
	if out := e.cliOK("version", "--format", "{{.Server.Version}} {{.Server.PID}} {{.Client.APIVersion}}"); out != fmt.Sprintf("%s %d v1\n", info.Version, e.d.cmd.Process.Pid) {
		t.Fatalf("dnet version --format: %q", out)
	}

	// create with --aux-address and --ipam-opt; inspect prints JSON.
	id := strings.TrimSpace(e.cliOK("network", "create", "dk1", "--subnet", "10.82.0.0/24", "--gateway", "10.82.0.1",
		"--aux-address", "router=10.82.0.2", "--ipam-opt", "com.example.opt=1", "--ipv6", "--subnet", "fd00:82::/64",
		"-o", "com.docker.network.bridge.name=dnetdk1", "--label", "env=prod", "--label", "team=a"))
	var nws []api.Network
	e.cliJSON(&nws, "network", "inspect", "dk1")
	if len(nws) != 1 || nws[0].ID != id || nws[0].AuxAddresses["router"] != "10.82.0.2" || nws[0].IPAMOptions["com.example.opt"] != "1" || len(nws[0].IPAM) != 2 {
		t.Fatalf("network inspect dk1: %+v", nws)
	}
	if out := e.cliOK("network", "inspect", "--format", "{{.Name}} {{json .Labels}}", "dk1"); out != `dk1 {"env":"prod","team":"a"}`+"\n" {
		t.Fatalf("inspect --format: %q", out)
	}
	e.cliOK("network", "create", "dk2", "--subnet", "10.83.0.0/24", "--label", "env=dev", "-o", "com.docker.network.bridge.name=dnetdk2")
	e.cliOK("network", "create", "-d", "null", "dk-null")

	// ls --filter: name and id match part, driver and scope exactly; one
	// key's values OR-ed, keys AND-ed.
	names := func(args ...string) string {
		t.Helper()
		out := e.cliOK(append([]string{"network", "ls", "--format", "{{.Name}}"}, args...)...)
		return strings.Join(strings.Fields(out), " ")
	}
	for _, c := range []struct {
		filters []string
		want    string
	}{
		{nil, "dk-null dk1 dk2"},
		{[]string{"-f", "name=k1"}, "dk1"},
		{[]string{"-f", "name=dk1", "-f", "name=dk2"}, "dk1 dk2"},
		{[]string{"--filter", "driver=null"}, "dk-null"},
		{[]string{"-f", "driver=bridge", "-f", "label=env=dev"}, "dk2"},
		{[]string{"-f", "label=env"}, "dk1 dk2"},
		{[]string{"-f", "label=env=prod"}, "dk1"},
		{[]string{"-f", "label=team"}, "dk1"},
		{[]string{"-f", "id=" + id[:10]}, "dk1"},
		{[]string{"-f", "scope=local", "-f", "name=^dk"}, "dk-null dk1 dk2"},
		{[]string{"-f", "scope=global"}, ""},
	} {
		if got := names(c.filters...); got != c.want {
			t.Errorf("network ls %q: %q, want %q", c.filters, got, c.want)
		}
	}
	if out := e.cliOK("network", "ls", "--format", "{{.ID}}", "-f", "name=^dk1$"); out != id[:12]+"\n" {
		t.Errorf("--format {{.ID}}: %q", out)
	}
	if out := e.cliOK("network", "ls", "--no-trunc", "--format", "{{.ID}}", "-f", "name=^dk1$"); out != id+"\n" {
		t.Errorf("--no-trunc: %q", out)
	}
	if out := e.cliOK("network", "ls", "-q", "-f", "label=env=prod"); out != id[:12]+"\n" {
		t.Errorf("-q with a filter: %q", out)
	}
	tbl := strings.Split(strings.TrimSpace(e.cliOK("network", "ls", "-f", "label=env", "--format", `table {{.Name}}\t{{.Label "env"}}`)), "\n")
	if len(tbl) != 3 || strings.Join(strings.Fields(tbl[0]), " ") != "NAME LABEL" || strings.Join(strings.Fields(tbl[1]), " ") != "dk1 prod" || strings.Join(strings.Fields(tbl[2]), " ") != "dk2 dev" {
		t.Errorf("table template: %q", tbl)
	}
	var row map[string]string
	if err := json.Unmarshal([]byte(e.cliOK("network", "ls", "-f", "name=^dk2$", "--format", "{{json .}}")), &row); err != nil || row["Name"] != "dk2" || row["Driver"] != "bridge" || row["Labels"] != "env=dev" {
		t.Errorf("{{json .}}: %v %v", row, err)
	}

	// connect: an endpoint named after the sandbox, attached, with the
	// addresses and aliases asked for.
	c1 := strings.TrimSpace(e.cliOK("sandbox", "create", "c1"))
	e.cliOK("sandbox", "create", "c2")
	e.cliOK("sandbox", "create", "c3")
	if out := e.cliOK("network", "connect", "--ip", "10.82.0.50", "--ip6", "fd00:82::50", "--alias", "web", "--alias", "www", "dk1", c1[:12]); out != "" {
		t.Errorf("connect printed %q", out)
	}
	e.cliOK("network", "connect", "dk1", "c2")
	e.cliOK("network", "connect", "dk2", "c2")
	var sbs []api.Sandbox
	e.cliJSON(&sbs, "sandbox", "inspect", "c1", "c2")
	if len(sbs) != 2 || len(sbs[0].Endpoints) != 1 || sbs[0].Endpoints[0].Name != "c1" || sbs[0].Endpoints[0].Network != "dk1" || len(sbs[1].Endpoints) != 2 {
		t.Fatalf("sandboxes after connect: %+v", sbs)
	}
	if !kernelHas(t, sbs[0].Key, "10.82.0.50/24") || !hasIfaceAddr(sbs[0].Interfaces, "fd00:82::50/64") {
		t.Fatalf("c1's namespace lacks 10.82.0.50/24 or fd00:82::50/64: %+v", sbs[0].Interfaces)
	}
	var eps []api.Endpoint
	e.cliJSON(&eps, "endpoint", "inspect", "-n", "dk1", "c1")
	if eps[0].Sandbox != "c1" || strings.Join(eps[0].Aliases, ",") != "web,www" || eps[0].IPv6Address != "fd00:82::50/64" {
		t.Fatalf("endpoint c1: %+v", eps[0])
	}
	dnetTCP(t, sbs[0].Key, sbs[1].Key, "10.82.0.50/24")

	// connect that fails leaves nothing behind: the address is taken or
	// an auxiliary address, the sandbox or network does not exist, or the
	// sandbox is already connected.
	before := e.state()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"dk1", "c1"}, "already connected"},
		{[]string{"dk1", "nosuch"}, `no sandbox "nosuch"`},
		{[]string{"nosuch", "c3"}, "nosuch"},
		{[]string{"--ip", "10.82.0.50", "dk1", "c3"}, "10.82.0.50"},
		{[]string{"--ip", "10.82.0.2", "dk1", "c3"}, "10.82.0.2"},
		{[]string{"--ip", "10.99.0.5", "dk1", "c3"}, "10.99.0.5"},
	} {
		out, errOut, code := e.cli(append([]string{"network", "connect"}, c.args...)...)
		if code != 1 || !strings.Contains(errOut, c.msg) {
			t.Errorf("network connect %q: exit %d, stderr %q (stdout %q); want exit 1 and %q", c.args, code, errOut, out, c.msg)
		}
	}
	if after := e.state(); !after.equal(before) {
		t.Fatalf("a failed connect left state behind:\nbefore %+v\nafter  %+v", before, after)
	}

	// disconnect: the interface leaves the namespace, the endpoint goes.
	e.cliOK("network", "disconnect", "dk1", "c1")
	dnetPoll(t, "c1's interface leaves its namespace", func() error {
		if got := sandboxAddrs(t, sbs[0].Key); len(got) != 1 {
			return fmt.Errorf("links %v, want lo only", got)
		}
		return nil
	})
	if q := e.cliOK("endpoint", "ls", "-n", "dk1", "--format", "{{.Name}}"); q != "c2\n" {
		t.Fatalf("endpoints of dk1 after disconnect: %q", q)
	}
	if _, errOut, code := e.cli("network", "disconnect", "dk1", "c1"); code != 1 || !strings.Contains(errOut, "not connected") {
		t.Errorf("second disconnect: exit %d %q", code, errOut)
	}
	// -f removes an endpoint of a sandbox that does not exist.
	e.cliOK("endpoint", "create", "-n", "dk2", "ghost")
	if _, errOut, code := e.cli("network", "disconnect", "dk2", "ghost"); code != 1 || !strings.Contains(errOut, "ghost") {
		t.Errorf("disconnect of no sandbox: exit %d %q", code, errOut)
	}
	e.cliOK("network", "disconnect", "-f", "dk2", "ghost")
	if q := e.cliOK("endpoint", "ls", "-n", "dk2", "--format", "{{.Name}}"); q != "c2\n" {
		t.Fatalf("endpoints of dk2 after disconnect -f: %q", q)
	}

	// rm refuses a network with endpoints; rm -f removes them first (and
	// a missing network is no error).
	if _, errOut, code := e.cli("network", "rm", "dk2"); code != 1 || !strings.Contains(errOut, "active endpoints") {
		t.Errorf("rm of a network in use: exit %d %q", code, errOut)
	}
	if out := e.cliOK("network", "rm", "-f", "dk2", "nosuch"); out != "dk2\n" {
		t.Errorf("rm -f printed %q", out)
	}
	e.cliJSON(&sbs, "sandbox", "inspect", "c2")
	if len(sbs[0].Endpoints) != 1 || sbs[0].Endpoints[0].Network != "dk1" || hasIfaceAddr(sbs[0].Interfaces, "10.83.0.2/24") {
		t.Fatalf("c2 after rm -f dk2: %+v", sbs[0])
	}
	dnetPoll(t, "bridge dnetdk2 removed", func() error {
		if _, err := e.nl.LinkByName("dnetdk2"); err == nil {
			return fmt.Errorf("still there")
		}
		return nil
	})

	// prune: networks without endpoints go (not the null network, not
	// dk1 where c2 is); it asks first.
	e.cliOK("network", "create", "dk3", "--subnet", "10.84.0.0/24", "-o", "com.docker.network.bridge.name=dnetdk3")
	e.cliOK("network", "create", "dk4", "--subnet", "10.85.0.0/24", "--label", "keep=no")
	if out, errOut, code := e.cli("network", "prune"); code != 1 || !strings.Contains(out, "Are you sure") || !strings.Contains(errOut, "cancelled") {
		t.Errorf("prune without -f and no answer: exit %d %q %q", code, out, errOut)
	}
	if got := names(); got != "dk-null dk1 dk3 dk4" {
		t.Fatalf("networks after a cancelled prune: %q", got)
	}
	if out := e.cliOK("network", "prune", "-f", "--filter", "label=keep"); out != "Deleted Networks:\ndk4\n\n" {
		t.Errorf("prune --filter label=keep: %q", out)
	}
	if out := e.cliOK("network", "prune", "--force"); out != "Deleted Networks:\ndk3\n\n" {
		t.Errorf("prune: %q", out)
	}
	if out := e.cliOK("network", "prune", "-f"); out != "" {
		t.Errorf("prune of nothing: %q", out)
	}
	if got := names(); got != "dk-null dk1" {
		t.Fatalf("networks after prune: %q", got)
	}
	dnetPoll(t, "bridge dnetdk3 removed", func() error {
		if _, err := e.nl.LinkByName("dnetdk3"); err == nil {
			return fmt.Errorf("still there")
		}
		return nil
	})

	// Bad input: a usage error naming the value, nothing made.
	before = e.state()
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"network", "create", "--subnet", "10.86.0.0/24", "--aux-address", "router", "x"}, `"router"`},
		{[]string{"network", "create", "--subnet", "10.86.0.0/24", "--aux-address", "r=10.87.0.1", "x"}, "r=10.87.0.1"},
		{[]string{"network", "create", "--subnet", "10.86.0.0/24", "--aux-address", "r=nope", "x"}, "r=nope"},
		{[]string{"network", "create", "--ipam-opt", "novalue", "x"}, "novalue"},
		{[]string{"network", "ls", "--filter", "colour=red"}, `"colour"`},
		{[]string{"network", "prune", "-f", "--filter", "colour=red"}, `"colour"`},
		{[]string{"network", "ls", "--format", "{{.Nope}}"}, "Nope"},
		{[]string{"network", "ls", "--format", "{{.Name"}, "{{.Name"},
		{[]string{"network", "inspect", "--format", "{{.Nope}}", "dk1"}, "Nope"},
		{[]string{"network", "ls", "--bogus"}, "--bogus"},
		{[]string{"network", "connect", "--ip", "nope", "dk1", "c3"}, `"nope"`},
	} {
		out, errOut, code := e.cli(c.args...)
		if code != 2 || !strings.Contains(errOut, c.msg) || out != "" {
			t.Errorf("dnet %q: exit %d, stderr %q, stdout %q; want exit 2, %q and no output", c.args, code, errOut, out, c.msg)
		}
	}
	if after := e.state(); !after.equal(before) {
		t.Fatalf("bad input left state behind:\nbefore %+v\nafter  %+v", before, after)
	}
	// The daemon checks too: an auxiliary address outside the subnets.
	e.expectError(http.MethodPost, "/v1/networks", `{"name":"x","driver":"bridge","ipam":[{"subnet":"10.86.0.0/24"}],"aux_addresses":{"r":"10.87.0.1"}}`,
		http.StatusBadRequest, "aux_addresses.r", "10.87.0.1")

	// Cleanup through the CLI.
	e.cliOK("network", "disconnect", "dk1", "c2")
	e.cliOK("sandbox", "rm", "c1", "c2", "c3")
	e.cliOK("network", "rm", "dk1")
	if p := e.pinned(); len(p) != 0 {
		t.Fatalf("namespaces left: %v", p)
	}
}
