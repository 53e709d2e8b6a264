package bridge

import (
	"fmt"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/vishvananda/netlink"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
)

const eidA = "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000001"

func TestEndpointLifecycle(t *testing.T) {
	e := newEnv(t, fullConfig, nil)
	linksBefore, fwBefore := links(t, e.nl), firewallState(t, e.hostH)
	e.createNet("n1", options.Generic{"BridgeName": "cnmj", "Mtu": 1450, "ContainerIfacePrefix": "ctr"}, "10.70.0.0/24", "10.70.0.1/24")
	linksNet := links(t, e.nl)

	ifi := &fakeIf{addr: cidr(t, "10.70.0.5/24")}
	if err := e.d.CreateEndpoint("n1", eidA, ifi, nil); err != nil {
		t.Fatal(err)
	}
	if ifi.mac.String() != "02:42:0a:46:00:05" {
		t.Fatalf("MAC %s, want 02:42:0a:46:00:05 (from the IP)", ifi.mac)
	}
	if got := links(t, e.nl); strings.Join(got, ",") != strings.Join(linksNet, ",") {
		t.Fatalf("CreateEndpoint made links: %v", got)
	}
	if err := e.d.CreateEndpoint("n1", eidA, &fakeIf{addr: cidr(t, "10.70.0.6/24")}, nil); !types.IsConflict(err) {
		t.Fatalf("second CreateEndpoint: %v, want Conflict", err)
	}
	if err := e.d.CreateEndpoint("n1", "e-out", &fakeIf{addr: cidr(t, "10.99.0.6/24")}, nil); !types.IsBadRequest(err) || !strings.Contains(err.Error(), "10.99.0.6") {
		t.Fatalf("address outside the pool: %v", err)
	}
	if err := e.d.CreateEndpoint("nope", "e2", &fakeIf{addr: cidr(t, "10.70.0.6/24")}, nil); !types.IsNotFound(err) {
		t.Fatalf("unknown network: %v", err)
	}

	path, _, snl := newSandboxNS(t, "sb")
	j := &fakeJoin{}
	if err := e.d.Join("n1", eidA, path, j, nil); err != nil {
		t.Fatal(err)
	}
	if j.prefix != "ctr" || !strings.HasPrefix(j.src, tmpVethPrefix) || !j.gw.Equal(ip4("10.70.0.1")) || j.gw6 != nil {
		t.Fatalf("join info: %+v", j)
	}
	// The container end was born in the sandbox, with MAC and MTU.
	cl, err := snl.LinkByName(j.src)
	if err != nil {
		t.Fatalf("container end not in the sandbox: %v", err)
	}
	if cl.Attrs().HardwareAddr.String() != ifi.mac.String() || cl.Attrs().MTU != 1450 {
		t.Fatalf("container end: MAC %s MTU %d", cl.Attrs().HardwareAddr, cl.Attrs().MTU)
	}
	if _, err := e.nl.LinkByName(j.src); err == nil {
		t.Fatal("container end is in the host namespace")
	}
	br, _ := e.nl.LinkByName("cnmj")
	hl := e.hostVeth(eidA)
	if hl == nil || hl.Attrs().MasterIndex != br.Attrs().Index || hl.Attrs().Flags&net.FlagUp == 0 || hl.Attrs().MTU != 1450 {
		t.Fatalf("host end: %+v", hl)
	}
	// Without the userland proxy, hairpin mode lets a container reach its
	// own published ports.
	if pi, err := e.nl.LinkGetProtinfo(hl); err != nil || !pi.Hairpin {
		t.Fatalf("hairpin mode of the host end: %+v %v", pi, err)
	}
	// The host end, a bridge port, has no IPv6.
	if a6, err := e.nl.AddrList(hl, netlink.FAMILY_V6); err != nil || len(a6) != 0 {
		t.Fatalf("IPv6 addresses of the host end: %v %v", a6, err)
	}
	var v6off []byte
	testutils.InNS(t, e.hostH, func() (err error) {
		v6off, err = os.ReadFile("/proc/sys/net/ipv6/conf/" + hl.Attrs().Name + "/disable_ipv6")
		return err
	})
	if strings.TrimSpace(string(v6off)) != "1" {
		t.Fatalf("disable_ipv6 of the host end: %q", v6off)
	}
	if err := e.d.Join("n1", eidA, path, &fakeJoin{}, nil); !types.IsForbidden(err) {
		t.Fatalf("second join: %v, want Forbidden", err)
	}
	info, err := e.d.EndpointOperInfo("n1", eidA)
	if err != nil || info[netlabel.MacAddress].(net.HardwareAddr).String() != ifi.mac.String() {
		t.Fatalf("oper info %v (%v)", info, err)
	}
	if _, ok := info[netlabel.PortMap]; !ok {
		t.Fatal("oper info without a port map")
	}

	if err := e.d.Leave("n1", eidA); err != nil {
		t.Fatal(err)
	}
	if hl = e.hostVeth(eidA); hl == nil {
		t.Fatal("host end gone at leave: its deletion belongs to the reaper or the sandbox")
	}
	if hl.Attrs().MasterIndex != 0 {
		t.Fatalf("host end still a port of bridge %d after leave", hl.Attrs().MasterIndex)
	}
	if err := e.d.Leave("n1", eidA); !types.IsForbidden(err) {
		t.Fatalf("second leave: %v, want Forbidden", err)
	}
	// Joining again while the old pair waits for the reaper.
	j2 := &fakeJoin{}
	if err := e.d.Join("n1", eidA, path, j2, nil); err != nil {
		t.Fatalf("rejoin: %v", err)
	}
	if _, err := snl.LinkByName(j2.src); err != nil {
		t.Fatalf("container end of the rejoin: %v", err)
	}
	if err := e.d.Leave("n1", eidA); err != nil {
		t.Fatal(err)
	}
	e.d.reaper.flush(nil)
	if e.hostVeth(eidA) != nil {
		t.Fatal("host end not reaped")
	}
	if err := e.d.DeleteNetwork("n1"); !types.IsForbidden(err) {
		t.Fatalf("delete network with an endpoint: %v, want Forbidden", err)
	}
	if err := e.d.DeleteEndpoint("n1", eidA); err != nil {
		t.Fatal(err)
	}
	if err := e.d.DeleteNetwork("n1"); err != nil {
		t.Fatal(err)
	}
	if got := links(t, e.nl); strings.Join(got, ",") != strings.Join(linksBefore, ",") {
		t.Fatalf("links at the end %v, before %v", got, linksBefore)
	}
	if got := firewallState(t, e.hostH); got != fwBefore {
		t.Fatalf("firewall at the end:\n%s\nbefore:\n%s", got, fwBefore)
	}
}

// TestLeaveThenSandboxGone checks that a pair whose sandbox went away is not
// deleted again (the reaper finds nothing) and that DeleteNetwork is clean.
func TestLeaveThenSandboxGone(t *testing.T) {
	e := newEnv(t, fullConfig, nil)
	linksBefore := links(t, e.nl)
	e.createNet("n1", nil, "10.71.0.0/24", "10.71.0.1/24")
	c := e.run("sb", "n1", eidA, "10.71.0.2/24")
	if err := e.d.Leave("n1", eidA); err != nil {
		t.Fatal(err)
	}
	destroySandbox(t, c.path) // the kernel frees the namespace and the pair
	eventually(t, "host end gone with its sandbox", func() error {
		if e.hostVeth(eidA) != nil {
			return errStill
		}
		return nil
	})
	if err := e.d.DeleteEndpoint("n1", eidA); err != nil {
		t.Fatal(err)
	}
	if err := e.d.DeleteNetwork("n1"); err != nil {
		t.Fatal(err)
	}
	if got := links(t, e.nl); strings.Join(got, ",") != strings.Join(linksBefore, ",") {
		t.Fatalf("links %v, before %v", got, linksBefore)
	}
}

func TestJoinBadSandbox(t *testing.T) {
	e := newEnv(t, fullConfig, nil)
	e.createNet("n1", nil, "10.72.0.0/24", "10.72.0.1/24")
	if err := e.d.CreateEndpoint("n1", eidA, &fakeIf{addr: cidr(t, "10.72.0.2/24")}, nil); err != nil {
		t.Fatal(err)
	}
	before := links(t, e.nl)
	notNS := filepath.Join(t.TempDir(), "not-a-netns")
	if err := os.WriteFile(notNS, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Join("n1", eidA, notNS, &fakeJoin{}, nil); !types.IsBadRequest(err) || !strings.Contains(err.Error(), notNS) {
		t.Fatalf("join of a sandbox key that is no namespace: %v", err)
	}
	if got := links(t, e.nl); strings.Join(got, ",") != strings.Join(before, ",") {
		t.Fatalf("links after a failed join %v, before %v", got, before)
	}
}

// namingJoin is a join whose sandbox suggests a name for the interface.
type namingJoin struct {
	fakeJoin
	suggest string
}

func (j *namingJoin) InterfaceName() driverapi.InterfaceNameInfo { return j }
func (j *namingJoin) SuggestName(string) string                  { return j.suggest }

// TestJoinSuggestedName: the container end is born with the name the
// sandbox suggests; when that name is taken there, with a temporary one.
func TestJoinSuggestedName(t *testing.T) {
	e := newEnv(t, fullConfig, nil)
	e.createNet("n1", nil, "10.93.0.0/24", "10.93.0.1/24")
	path, _, snl := newSandboxNS(t, "named")
	for i, eid := range []string{"e-named", "e-taken"} {
		if err := e.d.CreateEndpoint("n1", eid, &fakeIf{addr: cidr(t, fmt.Sprintf("10.93.0.%d/24", i+2))}, nil); err != nil {
			t.Fatal(err)
		}
	}
	j := &namingJoin{suggest: "eth4"}
	if err := e.d.Join("n1", "e-named", path, j, nil); err != nil {
		t.Fatal(err)
	}
	if j.src != "eth4" || j.prefix != "eth" {
		t.Fatalf("SetNames(%q, %q), want eth4 and eth", j.src, j.prefix)
	}
	if _, err := snl.LinkByName("eth4"); err != nil {
		t.Fatalf("no eth4 in the sandbox: %v", err)
	}
	// The same name again: taken, so a temporary name.
	j2 := &namingJoin{suggest: "eth4"}
	if err := e.d.Join("n1", "e-taken", path, j2, nil); err != nil {
		t.Fatal(err)
	}
	if j2.src == "eth4" || !strings.HasPrefix(j2.src, tmpVethPrefix) {
		t.Fatalf("second interface named %q, want a temporary name", j2.src)
	}
	if _, err := snl.LinkByName(j2.src); err != nil {
		t.Fatalf("no %s in the sandbox: %v", j2.src, err)
	}
}
