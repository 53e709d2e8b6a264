package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/api"
)

// TestDnetGatewayNetwork: through dnet, a sandbox attached only to an
// overlay network gets the default gateway network; `network ls` does not
// list it, `network ls --all` (and the API's ?all=true) does, `network
// inspect` finds it by name; the sandbox shows only its overlay endpoint;
// after the detach the gateway network is gone.
func TestDnetGatewayNetwork(t *testing.T) {
	bins := dnetBuild(t, t.TempDir())
	e := newDnetEnv(t, bins)
	e.start("--node-name", "gw-host", "--bind-addr", "127.0.0.1")

	e.cliOK("network", "create", "-d", "overlay", "--subnet", "10.88.0.0/24", "-o", "com.docker.network.driver.overlay.vxlanid_list=4500", "ov")
	e.cliOK("endpoint", "create", "-n", "ov", "-p", "8080:80", "ep")
	e.cliOK("sandbox", "create", "sb")
	e.cliOK("sandbox", "attach", "-n", "ov", "sb", "ep")

	names := func(args ...string) string {
		var nws []api.Network
		e.cliJSON(&nws, append([]string{"network", "ls", "--format", "json"}, args...)...)
		var out []string
		for _, n := range nws {
			out = append(out, n.Name)
		}
		return strings.Join(out, " ")
	}
	gw := libnetwork.GatewayNetworkName
	if got := names(); got != "ov" {
		t.Errorf("network ls: %q, want only ov", got)
	}
	if got := names("--all"); got != gw+" ov" {
		t.Errorf("network ls --all: %q, want %s and ov", got, gw)
	}
	if out := e.cliOK("network", "ls", "-a"); !strings.Contains(out, gw) {
		t.Errorf("network ls -a lacks %s:\n%s", gw, out)
	}
	var n api.Network
	e.rawJSON(http.MethodGet, "/v1/networks/"+gw, "", http.StatusOK, &n)
	if n.Driver != "bridge" || len(n.Endpoints) != 1 || !strings.HasPrefix(n.Endpoints[0].Name, "gateway_") {
		t.Errorf("gateway network %+v: want a bridge network with the sandbox's gateway_ endpoint", n)
	}
	e.expectError(http.MethodGet, "/v1/networks?all=maybe", "", http.StatusBadRequest, "all")
	var sb api.Sandbox
	e.rawJSON(http.MethodGet, "/v1/sandboxes/sb", "", http.StatusOK, &sb)
	if len(sb.Endpoints) != 1 || sb.Endpoints[0].Network != "ov" {
		t.Errorf("sandbox endpoints %+v: want only the overlay endpoint", sb.Endpoints)
	}
	if got := sbLinkNames(t, sb.Key); got != "eth0 eth1 lo" {
		t.Errorf("sandbox links %q: want the overlay's and the gateway network's", got)
	}
	if _, _, code := e.cli("network", "rm", gw); code == 0 {
		t.Error("network rm of the gateway network succeeded")
	}

	e.cliOK("sandbox", "detach", "-n", "ov", "sb", "ep")
	dnetPoll(t, "the gateway network removed", func() error {
		if got := names("--all"); got != "ov" {
			return fmt.Errorf("network ls --all after the detach: %q, want only ov", got)
		}
		return nil
	})
	e.cliOK("sandbox", "rm", "sb")
	e.cliOK("endpoint", "rm", "-n", "ov", "ep")
	e.cliOK("network", "rm", "ov")
}
