package libnetwork

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
)

// TestRuntimeRecords: endpoint and sandbox records live in the exec root's
// run-time store, network records in the data dir's; a restart reads both.
// With the run-time store gone (as after a reboot, which empties the exec
// root), the networks come back without their endpoints and addresses.
func TestRuntimeRecords(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("rt", "10.77.0.0/24")
	ep := must(n.CreateEndpoint("ep1"))(t)
	sb := must(e.c.NewSandbox("ctr1"))(t)
	check(t, ep.Join(sb))
	if _, err := os.Stat(filepath.Join(e.execRoot, runtimeStoreFile)); err != nil {
		t.Fatalf("no run-time store: %v", err)
	}
	durable := e.c.getStore(datastore.LocalScope).KVStore()
	keys := func(prefix string) []string {
		l, err := durable.List(datastore.Key(prefix))
		if err != nil {
			return nil
		}
		var out []string
		for _, p := range l {
			out = append(out, p.Key)
		}
		return out
	}
	if got := keys(networkKeyPrefix); len(got) != 1 || !strings.Contains(got[0], n.ID()) {
		t.Fatalf("network records in the data dir's store: %v", got)
	}
	if got := append(keys(endpointKeyPrefix), keys(sandboxKeyPrefix)...); len(got) != 0 {
		t.Fatalf("run-time records in the data dir's store: %v", got)
	}

	e.restart(configActive(sb.ID()))
	n2 := must(e.c.NetworkByName("rt"))(t)
	if _, err := n2.EndpointByName("ep1"); err != nil {
		t.Fatalf("endpoint after restart: %v", err)
	}
	if _, err := e.c.SandboxByID(sb.ID()); err != nil {
		t.Fatalf("sandbox after restart: %v", err)
	}

	// A "reboot": the exec root is emptied.
	e.c.Stop()
	e.c = nil
	check(t, os.Remove(filepath.Join(e.execRoot, runtimeStoreFile)))
	e.start()
	n3 := must(e.c.NetworkByName("rt"))(t)
	if eps := n3.Endpoints(); len(eps) != 0 {
		t.Fatalf("endpoints after the run-time store went: %v", eps)
	}
	ep2 := must(n3.CreateEndpoint("ep2"))(t)
	if ip := ep2.Info().Iface().Address().IP.String(); ip != "10.77.0.2" {
		t.Fatalf("first address after the run-time store went: %s, want 10.77.0.2", ip)
	}
}
