package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
)

// testDnetRestart stops a daemon with SIGTERM and starts another on the
// same directories: its networks, endpoints and sandboxes (with their
// namespaces and addresses) are still there.
func testDnetRestart(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	e.start()
	e.cliOK("network", "create", "-d", "bridge", "--subnet", "10.82.0.0/24", "-o", "com.docker.network.bridge.name=dnetrs0", "rs")
	e.cliOK("endpoint", "create", "-n", "rs", "--alias", "kept", "-p", "8082:80", "ep")
	e.cliOK("sandbox", "create", "--hostname", "keeper", "sb")
	e.cliOK("sandbox", "attach", "-n", "rs", "sb", "ep")
	var before api.Sandbox
	e.rawJSON(http.MethodGet, "/v1/sandboxes/sb", "", http.StatusOK, &before)
	addr := before.Endpoints[0].IPv4Address

	if code := e.signal(e.d, syscall.SIGTERM); code != 0 {
		t.Fatalf("daemon exit code %d after SIGTERM\n%s", code, e.d.stderr.String())
	}
	if _, err := os.Stat(e.sock); !os.IsNotExist(err) {
		t.Fatalf("socket still there after SIGTERM: %v", err)
	}
	if !ns.IsNetNS(before.Key) || !kernelHas(t, before.Key, addr) {
		t.Fatalf("the sandbox's namespace did not outlive the daemon")
	}

	e.start()
	var after api.Sandbox
	e.rawJSON(http.MethodGet, "/v1/sandboxes/sb", "", http.StatusOK, &after)
	if after.ID != before.ID || after.Key != before.Key || after.Hostname != "keeper" || len(after.Endpoints) != 1 ||
		after.Endpoints[0].IPv4Address != addr || !hasIfaceAddr(after.Interfaces, addr) {
		t.Fatalf("sandbox after restart %+v\nwas %+v", after, before)
	}
	var ep api.Endpoint
	e.rawJSON(http.MethodGet, "/v1/networks/rs/endpoints/ep", "", http.StatusOK, &ep)
	if ep.Sandbox != "sb" || len(ep.Aliases) != 1 || ep.Aliases[0] != "kept" || len(ep.PortBindings) != 1 {
		t.Fatalf("endpoint after restart %+v", ep)
	}
	e.cliOK("sandbox", "rm", "sb")
	e.cliOK("network", "rm", "rs")
	if p := e.pinned(); len(p) != 0 {
		t.Fatalf("namespaces left: %v", p)
	}
}

// testDnetSecondDaemon starts a second daemon that shares the data dir,
// the exec root or the socket of a running one: it fails at once with a
// clear message and the first one goes on unharmed.
func testDnetSecondDaemon(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	e.start()
	e.cliOK("network", "create", "-d", "null", "keep")
	e.cliOK("sandbox", "create", "keepsb")
	before := e.state()
	for _, c := range []struct {
		name string
		args []string
		msg  []string
	}{
		{"same data dir", []string{"--data-dir", e.dataDir, "--exec-root", t.TempDir()}, []string{"start the controller", "in use by another process"}},
		{"same exec root", []string{"--data-dir", t.TempDir(), "--exec-root", e.execRoot}, []string{"exec root " + e.execRoot + " is in use by another dnet daemon (pid " + strconv.Itoa(e.d.cmd.Process.Pid) + ")"}},
		{"same socket", []string{"--data-dir", t.TempDir(), "--exec-root", t.TempDir(), "--socket", e.sock}, []string{"socket " + e.sock + " is served by another daemon"}},
	} {
		p := e.spawn(c.args...)
		if code := p.wait(t, 20*time.Second); code != 1 {
			t.Errorf("%s: second daemon exit code %d, want 1\n%s", c.name, code, p.stderr.String())
		}
		for _, m := range c.msg {
			if !strings.Contains(p.stderr.String(), m) {
				t.Errorf("%s: second daemon's message lacks %q:\n%s", c.name, m, p.stderr.String())
			}
		}
		if after := e.state(); !after.equal(before) {
			t.Fatalf("%s: the second daemon changed the first one's state", c.name)
		}
	}
	if _, err := os.Stat(e.sock); err != nil {
		t.Fatalf("the first daemon's socket is gone: %v", err)
	}
}

// testDnetSignals checks that SIGINT and SIGTERM stop the daemon cleanly:
// exit 0, socket and lock removed, the store free for the next daemon.
func testDnetSignals(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		e.start()
		e.cliOK("sandbox", "create", "sb-"+strconv.Itoa(int(sig)))
		if code := e.signal(e.d, sig); code != 0 {
			t.Fatalf("exit code %d after %s\n%s", code, sig, e.d.stderr.String())
		}
		for _, f := range []string{e.sock, filepath.Join(e.execRoot, "dnet.lock")} {
			if _, err := os.Stat(f); !os.IsNotExist(err) {
				t.Fatalf("%s still there after %s: %v", f, sig, err)
			}
		}
	}
	e.start()
	var sbs []api.Sandbox
	e.rawJSON(http.MethodGet, "/v1/sandboxes", "", http.StatusOK, &sbs)
	if len(sbs) != 2 || !ns.IsNetNS(sbs[0].Key) || !ns.IsNetNS(sbs[1].Key) {
		t.Fatalf("sandboxes after two restarts: %+v", sbs)
	}
	// A stale socket file (a daemon killed hard) does not stop the next one.
	if err := e.d.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	e.d.wait(t, 20*time.Second)
	if _, err := os.Stat(e.sock); err != nil {
		t.Fatalf("a killed daemon leaves its socket: %v", err)
	}
	e.start()
}

// testDnetTCP serves the API on a loopback TCP port as well.
func testDnetTCP(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	// The port is picked in the daemon's namespace (the test's own).
	addr := testutils.FreeAddrs(t, 1)[0]
	e.start("--tcp", addr)
	e.cliOK("network", "create", "-d", "null", "over-unix")
	out, errOut, code := dnetRun(t, bins.cli, "-H", "tcp://"+addr, "network", "ls", "-q")
	if code != 0 || len(strings.Fields(out)) != 1 {
		t.Fatalf("network ls over tcp: exit %d %q %q", code, out, errOut)
	}
	if code := e.signal(e.d, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, _, code := dnetRun(t, bins.cli, "-H", "tcp://"+addr, "network", "ls"); code != 1 {
		t.Fatalf("the TCP listener outlived the daemon (exit %d)", code)
	}
}

// testDnetConfigFile starts the daemon from a config file (strictly read:
// an unknown key is a usage error naming it).
func testDnetConfigFile(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"data_dir":"/tmp/x","colour":"blue"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code := dnetRun(t, bins.cli, "daemon", "--config", bad)
	if code != 2 || !strings.Contains(errOut, "colour") {
		t.Fatalf("config with an unknown key: exit %d %q", code, errOut)
	}
	e.sock = filepath.Join(dir, "api.sock")
	e.cl = dnetClient(t, "unix://"+e.sock)
	cfg, _ := json.Marshal(map[string]interface{}{
		"data_dir": e.dataDir, "exec_root": e.execRoot, "socket": e.sock, "log_level": "warn",
		"default_bridge": false, "bridge": map[string]interface{}{"iptables": true, "ip_forward": true},
	})
	good := filepath.Join(dir, "dnet.json")
	if err := os.WriteFile(good, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	e.d = e.spawn("--config", good, "--log-level", "error")
	e.waitReady(e.d)
	var info api.Info
	e.rawJSON(http.MethodGet, "/v1/info", "", http.StatusOK, &info)
	if info.DataDir != e.dataDir || info.ExecRoot != e.execRoot {
		t.Fatalf("info %+v", info)
	}
	if _, err := os.Stat(filepath.Join(e.execRoot, "dnet.sock")); !os.IsNotExist(err) {
		t.Fatalf("the daemon made the default socket though the config names another")
	}
	if code := e.signal(e.d, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if _, err := os.Stat(e.sock); !os.IsNotExist(err) {
		t.Fatal(fmt.Errorf("configured socket left after SIGTERM: %v", err))
	}
}

// testDnetDefaultBridge starts the daemon with the default bridge network,
// twice: the second start finds it instead of creating another.
func testDnetDefaultBridge(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	e.start("--default-bridge", "on")
	var n api.Network
	e.rawJSON(http.MethodGet, "/v1/networks/bridge", "", http.StatusOK, &n)
	if n.Driver != "bridge" || len(n.IPAM) == 0 || n.IPAM[0].Subnet == "" {
		t.Fatalf("default network %+v", n)
	}
	e.cliOK("endpoint", "create", "-n", "bridge", "ep")
	e.cliOK("sandbox", "create", "sb")
	e.cliOK("sandbox", "attach", "-n", "bridge", "sb", "ep")
	var sb api.Sandbox
	e.rawJSON(http.MethodGet, "/v1/sandboxes/sb", "", http.StatusOK, &sb)
	if len(sb.Endpoints) != 1 || !kernelHas(t, sb.Key, sb.Endpoints[0].IPv4Address) {
		t.Fatalf("sandbox on the default bridge %+v", sb)
	}
	if code := e.signal(e.d, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit %d", code)
	}
	e.start("--default-bridge", "on")
	var again api.Network
	e.rawJSON(http.MethodGet, "/v1/networks/bridge", "", http.StatusOK, &again)
	if again.ID != n.ID || len(again.Endpoints) != 1 {
		t.Fatalf("default network after restart %+v, was %+v", again, n)
	}
	e.cliOK("sandbox", "rm", "sb")
}
