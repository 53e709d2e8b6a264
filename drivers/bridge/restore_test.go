package bridge

import (
	"fmt"
	fwnft "github.com/cnmkit/libnetwork/firewall/nftables"
	gnft "github.com/google/nftables"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// TestRestart stops a driver and starts another on the same store: the
// network and the endpoint that stayed are re-adopted and keep working,
// the rules of the endpoint whose container went away are removed, and
// in the end everything is removed.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, dir)
	e := newEnv(t, fullConfig, map[string]interface{}{netlabel.LocalKVClient: s, ExecRootKey: t.TempDir()})
	linksBefore, fwBefore := links(t, e.nl), firewallState(t, e.hostH)
	out := e.outside(t, "")
	linksOutside := links(t, e.nl)
	e.createNet("n1", options.Generic{"BridgeName": "cnmr"}, "10.88.0.0/24", "10.88.0.1/24")
	a := e.run("a", "n1", "e-a", "10.88.0.2/24")
	b := e.run("b", "n1", "e-b", "10.88.0.3/24")
	if err := e.d.CreateEndpoint("n1", "e-c", &fakeIf{addr: cidr(t, "10.88.0.4/24")}, nil); err != nil {
		t.Fatal(err)
	}
	listen(t, a.h, "10.88.0.2:80")
	for eid, port := range map[string]uint16{"e-a": 8080, "e-b": 8081} {
		if err := e.d.ProgramExternalConnectivity("n1", eid, map[string]interface{}{netlabel.PortMap: []types.PortBinding{
			{Proto: types.TCP, Port: 80, HostPort: port}}}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "a's port before the restart", func() error { _, err := dial(out, "10.99.0.1:8080", time.Second); return err })

	// Stop; b's container goes away while the driver is down.
	e.d.Close()
	s.Close()
	destroySandbox(t, b.path)
	eventually(t, "b's pair gone with its sandbox", func() error {
		if e.hostVeth("e-b") != nil {
			return errStill
		}
		return nil
	})
	s = newStore(t, dir)
	t.Cleanup(s.Close)
	e.cfg[netlabel.LocalKVClient] = s
	e.d = e.start()

	if _, err := e.d.network("n1"); err != nil {
		t.Fatalf("network not restored: %v", err)
	}
	fw := firewallState(t, e.hostH)
	if !strings.Contains(fw, dnatAny(8080)) || strings.Contains(fw, dnatAny(8081)) || strings.Contains(fw, "0a580003") {
		t.Fatalf("after restart want a's mapping and not b's:\n%s", fw)
	}
	if got := bindingsOf(t, e, "n1", "e-a"); len(got) != 1 || got[0].HostPort != 8080 {
		t.Fatalf("a's bindings after restart: %v", got)
	}
	if got := bindingsOf(t, e, "n1", "e-b"); len(got) != 0 {
		t.Fatalf("b's bindings after restart: %v", got)
	}
	if _, err := dial(out, "10.99.0.1:8080", 2*time.Second); err != nil {
		t.Fatalf("a's port after the restart: %v", err)
	}
	// a is joined, b and c are not.
	if err := e.d.Leave("n1", "e-b"); !types.IsForbidden(err) {
		t.Fatalf("leave of b: %v, want Forbidden (not joined)", err)
	}
	if err := e.d.RevokeExternalConnectivity("n1", "e-a"); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Leave("n1", "e-a"); err != nil {
		t.Fatalf("leave of a: %v", err)
	}
	for _, eid := range []string{"e-a", "e-b", "e-c"} {
		if err := e.d.DeleteEndpoint("n1", eid); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.d.DeleteNetwork("n1"); err != nil {
		t.Fatal(err)
	}
	destroySandbox(t, a.path)
	eventually(t, "links as before", func() error {
		if got := links(t, e.nl); strings.Join(got, ",") != strings.Join(linksOutside, ",") {
			return errStill
		}
		return nil
	})
	// Remove the outside link to compare with the very start.
	if l, err := e.nl.LinkByName("cnmtout"); err == nil {
		_ = e.nl.LinkDel(l)
	}
	if got := links(t, e.nl); strings.Join(got, ",") != strings.Join(linksBefore, ",") {
		t.Fatalf("links at the end %v, before %v", got, linksBefore)
	}
	if got := firewallState(t, e.hostH); got != fwBefore {
		t.Fatalf("firewall at the end:\n%s\nbefore:\n%s", got, fwBefore)
	}
	// Nothing of the driver is left in the store.
	if objs, err := s.List(datastore.Key(networkKeyPrefix), &networkRecord{}); err == nil && len(objs) > 0 {
		t.Fatalf("store still has %d networks", len(objs))
	}
}

// TestRestoreRecreates restarts a driver whose bridge and rules were
// removed behind its back: both are made again.
func TestRestoreRecreates(t *testing.T) { eachBackend(t, testRestoreRecreates) }

func testRestoreRecreates(t *testing.T, cfg Configuration) {
	dir := t.TempDir()
	s := newStore(t, dir)
	e := newEnv(t, cfg, map[string]interface{}{netlabel.LocalKVClient: s})
	e.createNet("n1", options.Generic{"BridgeName": "cnmrr"}, "10.89.0.0/24", "10.89.0.1/24")
	want := firewallState(t, e.hostH)
	e.d.Close()
	s.Close()
	l, err := e.nl.LinkByName("cnmrr")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.nl.LinkDel(l); err != nil {
		t.Fatal(err)
	}
	// Flush our jump from FORWARD, or delete our table (as a firewall
	// reload might).
	if cfg.FirewallBackend == "nftables" {
		deleteTable(t, e.hostH, &gnft.Table{Family: gnft.TableFamilyINet, Name: fwnft.TableName})
	} else {
		testutils.InNS(t, e.hostH, func() error {
			return exec.Command("iptables", "-w", "-D", "FORWARD", "-j", "CNMKIT-FORWARD").Run()
		})
	}
	s = newStore(t, dir)
	t.Cleanup(s.Close)
	e.cfg[netlabel.LocalKVClient] = s
	e.d = e.start()
	l, err = e.nl.LinkByName("cnmrr")
	if err != nil {
		t.Fatalf("bridge not re-created: %v", err)
	}
	addrs, _ := e.nl.AddrList(l, netlink.FAMILY_V4)
	if len(addrs) != 1 || addrs[0].IPNet.String() != "10.89.0.1/24" {
		t.Fatalf("re-created bridge addresses %v", addrs)
	}
	if got := firewallState(t, e.hostH); got != want {
		t.Fatalf("firewall after restore:\n%s\nwant:\n%s", got, want)
	}
}

// dnatAny is how firewallState shows the start of the DNAT of TCP host
// port p on every host address.
func dnatAny(p int) string { return fmt.Sprintf(" dnat-any 06000000%04x0000 => ", p) }
