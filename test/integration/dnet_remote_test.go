package integration

import (
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/cnmkit/libnetwork/api"
)

// TestDnetRemotePlugins: `dnet network create -d PLUGIN --ipam-driver
// PLUGIN` on a daemon pointed at the test's plugin dir just works, and a
// restarted daemon finds the plugins of its networks again.
func TestDnetRemotePlugins(t *testing.T) {
	bins := dnetBuild(t, t.TempDir())
	e := newDnetEnv(t, bins)
	pe := &plugEnv{bridgeEnv: &bridgeEnv{t: t}, bin: buildPlugin(t), sockDir: t.TempDir(), specDir: t.TempDir(), blockDir: t.TempDir(), work: t.TempDir()}
	pe.plugin("cnmnet", "network", false)
	pe.plugin("cnmipam", "ipam", false)
	e.start("--plugin-sock-dir", pe.sockDir, "--plugin-spec-dir", pe.specDir)

	e.cliOK("network", "create", "-d", "cnmnet", "--ipam-driver", "cnmipam", "pnet")
	e.cliOK("endpoint", "create", "-n", "pnet", "ep")
	e.cliOK("sandbox", "create", "sb")
	e.cliOK("sandbox", "attach", "-n", "pnet", "sb", "ep")
	var sb api.Sandbox
	e.rawJSON(http.MethodGet, "/v1/sandboxes/sb", "", http.StatusOK, &sb)
	if len(sb.Endpoints) != 1 || !strings.HasPrefix(sb.Endpoints[0].IPv4Address, "10.123.0.2") {
		t.Fatalf("sandbox %+v: want the IPAM plugin's 10.123.0.2", sb)
	}
	if got := sbLinkNames(t, sb.Key); got != "eth0 lo" {
		t.Fatalf("sandbox links %q", got)
	}

	if code := e.signal(e.d, syscall.SIGTERM); code != 0 {
		t.Fatalf("daemon exit code %d\n%s", code, e.d.stderr.String())
	}
	e.start("--plugin-sock-dir", pe.sockDir, "--plugin-spec-dir", pe.specDir)
	e.cliOK("sandbox", "detach", "-n", "pnet", "sb", "ep")
	e.cliOK("sandbox", "rm", "sb")
	e.cliOK("endpoint", "rm", "-n", "pnet", "ep")
	e.cliOK("network", "rm", "pnet")
	if got, want := pe.callNames("cnmnet", "GetCapabilities"), "CreateNetwork CreateEndpoint EndpointOperInfo Join ProgramExternalConnectivity RevokeExternalConnectivity Leave DeleteEndpoint DeleteNetwork"; got != want {
		t.Fatalf("network plugin calls %q, want %q", got, want)
	}
	if u := pe.inUse("cnmipam"); len(u) != 0 {
		t.Fatalf("IPAM plugin still holds %v", u)
	}
}
