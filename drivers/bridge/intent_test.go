package bridge

import (
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// TestInterruptedCreate starts a driver on what a process killed during a
// network creation leaves: the bridge of the network, up with its
// gateway address, an intent and no record. The bridge goes; a bridge of
// a name the driver could give but that no intent names, and a bridge the
// user named in an interrupted creation, stay; the network can be created
// again on the same pool.
func TestInterruptedCreate(t *testing.T) {
	s := newStore(t, t.TempDir())
	t.Cleanup(func() { s.Close() })
	e := newEnv(t, fullConfig, map[string]interface{}{netlabel.LocalKVClient: s, ExecRootKey: t.TempDir()})
	const nid, userNid = "0123456789abcdef", "fedcba9876543210"
	e.createNet(nid, nil, "10.87.0.0/24", "10.87.0.1/24")
	n, err := e.d.network(nid)
	if err != nil {
		t.Fatal(err)
	}
	if n.config.BridgeName != "cnm-0123456789a" {
		t.Fatalf("bridge name %q", n.config.BridgeName)
	}
	// What the killed process left: the intent and no record.
	if _, err := e.d.journal.Begin(netIntentPrefix+nid, newNetworkRecord(n.config)); err != nil {
		t.Fatal(err)
	}
	if err := e.d.deleteNetworkRecord(n); err != nil {
		t.Fatal(err)
	}
	// A user-named bridge whose creation was interrupted, and a foreign
	// bridge with a name of ours.
	for _, name := range []string{"usrbr", "cnm-fedcba98765"} {
		la := netlink.NewLinkAttrs()
		la.Name = name
		if err := e.nl.LinkAdd(&netlink.Bridge{LinkAttrs: la}); err != nil {
			t.Fatal(err)
		}
	}
	ucfg := *n.config
	ucfg.ID, ucfg.BridgeName = userNid, "usrbr"
	if _, err := e.d.journal.Begin(netIntentPrefix+userNid, newNetworkRecord(&ucfg)); err != nil {
		t.Fatal(err)
	}
	e.d.Close()

	e.d = e.start()
	for name, want := range map[string]bool{"cnm-0123456789a": false, "usrbr": true, "cnm-fedcba98765": true} {
		_, err := e.nl.LinkByName(name)
		if got := err == nil; got != want {
			t.Errorf("bridge %s present=%v after restart, want %v", name, got, want)
		}
	}
	if l, err := e.d.journal.List(netIntentPrefix); err != nil || len(l) != 0 {
		t.Errorf("intents left: %v %v", l, err)
	}
	if _, err := e.d.network(nid); err == nil {
		t.Fatal("the interrupted network was restored")
	}
	e.createNet(nid, nil, "10.87.0.0/24", "10.87.0.1/24")
	if err := e.d.DeleteNetwork(nid); err != nil {
		t.Fatal(err)
	}
}

// TestEndpointPortsAcrossRestart: an endpoint created with ports to
// publish, joined only after a restart, publishes them.
func TestEndpointPortsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	e := newEnv(t, fullConfig, map[string]interface{}{netlabel.LocalKVClient: s, ExecRootKey: t.TempDir()})
	out := e.outside(t, "")
	e.createNet("n1", options.Generic{"BridgeName": "cnmp"}, "10.86.0.0/24", "10.86.0.1/24")
	want := []types.PortBinding{{Proto: types.TCP, Port: 80, HostPort: 8090}}
	if err := e.d.CreateEndpoint("n1", "e1", &fakeIf{addr: cidr(t, "10.86.0.2/24")}, map[string]interface{}{netlabel.PortMap: want}); err != nil {
		t.Fatal(err)
	}
	e.d.Close()
	s.Close()
	s = newStore(t, dir)
	t.Cleanup(func() { s.Close() })
	e.cfg[netlabel.LocalKVClient] = s
	e.d = e.start()

	c := &container{name: "c", eid: "e1", addr: cidr(t, "10.86.0.2/24"), j: &fakeJoin{}}
	c.path, c.h, c.nl = newSandboxNS(t, "c")
	if err := e.d.Join("n1", "e1", c.path, c.j, nil); err != nil {
		t.Fatal(err)
	}
	c.configure(t)
	listen(t, c.h, "10.86.0.2:80")
	if err := e.d.ProgramExternalConnectivity("n1", "e1", nil); err != nil {
		t.Fatal(err)
	}
	if got := bindingsOf(t, e, "n1", "e1"); len(got) != 1 || got[0].HostPort != 8090 {
		t.Fatalf("bindings after the restart: %v", got)
	}
	eventually(t, "published port", func() error { _, err := dial(out, "10.99.0.1:8090", time.Second); return err })
	if err := e.d.RevokeExternalConnectivity("n1", "e1"); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Leave("n1", "e1"); err != nil {
		t.Fatal(err)
	}
	if err := e.d.DeleteEndpoint("n1", "e1"); err != nil {
		t.Fatal(err)
	}
	e.d.reaper.flush(nil)
	if err := e.d.DeleteNetwork("n1"); err != nil {
		t.Fatal(err)
	}
}
