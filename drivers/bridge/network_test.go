package bridge

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

var fullConfig = Configuration{EnableIPForwarding: true, EnableIPTables: true}

func TestCreateDeleteNetwork(t *testing.T) { eachBackend(t, testCreateDeleteNetwork) }

func testCreateDeleteNetwork(t *testing.T, cfg Configuration) {
	e := newEnv(t, cfg, nil)
	linksBefore, fwBefore := links(t, e.nl), firewallState(t, e.hostH)

	e.createNet("n1", options.Generic{"BridgeName": "cnmtest1", "Mtu": 1400}, "10.10.0.0/24", "10.10.0.1/24")
	l, err := e.nl.LinkByName("cnmtest1")
	if err != nil {
		t.Fatalf("bridge not created: %v", err)
	}
	if _, ok := l.(*netlink.Bridge); !ok || l.Attrs().MTU != 1400 || l.Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("bridge %s: type %s, mtu %d, flags %v", l.Attrs().Name, l.Type(), l.Attrs().MTU, l.Attrs().Flags)
	}
	if s := l.(*netlink.Bridge).MulticastSnooping; s == nil || *s {
		t.Fatalf("bridge %s: multicast snooping not off", l.Attrs().Name)
	}
	addrs, err := e.nl.AddrList(l, netlink.FAMILY_V4)
	if err != nil || len(addrs) != 1 || addrs[0].IPNet.String() != "10.10.0.1/24" {
		t.Fatalf("bridge addresses %v (%v), want 10.10.0.1/24", addrs, err)
	}
	fw := firewallState(t, e.hostH)
	if cfg.FirewallBackend == "nftables" {
		br := ifHex("cnmtest1")
		for _, want := range []string{
			"elem inet cnmkit nets " + br, "elem inet cnmkit same " + br + br,
			"chain inet cnmkit masq-cnmtest1", "elem inet cnmkit masq " + br + " => ", fmt.Sprintf("%x", "masq-cnmtest1"),
			"Data:[10 10 0 0]", // the pool in masq-cnmtest1's rule
		} {
			if !strings.Contains(fw, want) {
				t.Errorf("no %q in:\n%s", want, fw)
			}
		}
		if strings.Contains(fw, "table ip filter") || strings.Contains(fw, "table ip nat") || strings.Contains(fw, "table ip6 filter") {
			t.Errorf("iptables used with nf_tables:\n%s", fw)
		}
	}
	for _, want := range [][]string{
		{"-A FORWARD -j CNMKIT-FORWARD"},
		{"-A CNMKIT-FORWARD -j CNMKIT-ISOLATION-STAGE-1"},
		{"CNMKIT-ISOLATION-STAGE-1", "-i cnmtest1 ! -o cnmtest1 -j CNMKIT-ISOLATION-STAGE-2"},
		{"CNMKIT-ISOLATION-STAGE-2", "-o cnmtest1 -j DROP"},
		{"CNMKIT-FORWARD", "-i cnmtest1 -o cnmtest1 -j ACCEPT"},
		{"CNMKIT-POSTROUTING", "-s 10.10.0.0/24 ! -o cnmtest1 -j MASQUERADE"},
	} {
		if cfg.FirewallBackend == "iptables" && ruleCount(fw, want...) == 0 {
			t.Errorf("no rule with %q in:\n%s", want, fw)
		}
	}
	if strings.Contains(fw, "DOCKER") {
		t.Errorf("a chain named like Docker's:\n%s", fw)
	}

	if err := e.d.DeleteNetwork("n1"); err != nil {
		t.Fatal(err)
	}
	if got := links(t, e.nl); strings.Join(got, ",") != strings.Join(linksBefore, ",") {
		t.Fatalf("links after delete %v, before %v", got, linksBefore)
	}
	if got := firewallState(t, e.hostH); got != fwBefore {
		t.Fatalf("firewall after delete:\n%s\nbefore:\n%s", got, fwBefore)
	}
	if err := e.d.DeleteNetwork("n1"); !types.IsNotFound(err) {
		t.Fatalf("second delete: %v, want NotFound", err)
	}
}

// TestCreateNetworkBadInput checks that bad input is a typed error naming
// the value and that nothing is left in the kernel.
func TestCreateNetworkBadInput(t *testing.T) {
	e := newEnv(t, fullConfig, nil)
	e.createNet("taken", options.Generic{"BridgeName": "cnmtaken"}, "10.20.0.0/24", "10.20.0.1/24")
	// A device of another kind with the name a network asks for.
	other := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "cnmdummy"}, PeerName: "cnmdummy-p"}
	if err := e.nl.LinkAdd(other); err != nil {
		t.Fatal(err)
	}
	linksBefore, fwBefore := links(t, e.nl), firewallState(t, e.hostH)
	v4 := func(p, gw string) []driverapi.IPAMData { return pool(t, p, gw) }
	for _, tc := range []struct {
		name  string
		opts  map[string]interface{}
		v4    []driverapi.IPAMData
		class func(error) bool
		want  string
	}{
		{"long name", netOpts(options.Generic{"BridgeName": "abcdefghijklmnop"}), v4("10.30.0.0/24", "10.30.0.1/24"), types.IsBadRequest, "abcdefghijklmnop"},
		{"illegal name", map[string]interface{}{netlabel.GenericData: map[string]string{BridgeName: "a:b"}}, v4("10.30.0.0/24", "10.30.0.1/24"), types.IsBadRequest, "a:b"},
		{"name taken", netOpts(options.Generic{"BridgeName": "cnmtaken"}), v4("10.30.0.0/24", "10.30.0.1/24"), types.IsConflict, "cnmtaken"},
		{"not a bridge", netOpts(options.Generic{"BridgeName": "cnmdummy"}), v4("10.30.0.0/24", "10.30.0.1/24"), types.IsForbidden, "cnmdummy"},
		{"mtu", netOpts(options.Generic{"Mtu": 65536}), v4("10.30.0.0/24", "10.30.0.1/24"), types.IsBadRequest, "65536"},
		{"gateway outside", nil, v4("10.30.0.0/24", "10.31.0.1/24"), types.IsBadRequest, "10.31.0.1"},
		{"pool overlap", nil, v4("10.20.0.0/16", "10.20.1.1/16"), types.IsForbidden, "10.20.0.0/16"},
		{"wrong type", netOpts(options.Generic{"EnableIPMasquerade": "sometimes"}), v4("10.30.0.0/24", "10.30.0.1/24"), types.IsBadRequest, "sometimes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := e.d.CreateNetwork("bad-"+strings.ReplaceAll(tc.name, " ", ""), tc.opts, nil, tc.v4, nil)
			if err == nil || !tc.class(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a typed error naming %q", err, tc.want)
			}
		})
	}
	if got := links(t, e.nl); strings.Join(got, ",") != strings.Join(linksBefore, ",") {
		t.Fatalf("links after bad input %v, before %v", got, linksBefore)
	}
	if got := firewallState(t, e.hostH); got != fwBefore {
		t.Fatalf("firewall after bad input:\n%s\nbefore:\n%s", got, fwBefore)
	}
	if len(e.d.networks) != 1 {
		t.Fatalf("driver has %d networks, want 1", len(e.d.networks))
	}
}

// TestSetupRollback makes the last step of the pipeline fail and checks
// that every step before it is undone.
func TestSetupRollback(t *testing.T) {
	e := newEnv(t, fullConfig, nil)
	linksBefore, fwBefore := links(t, e.nl), firewallState(t, e.hostH)
	saved := setupSteps
	t.Cleanup(func() { setupSteps = saved })
	boom := errors.New("boom")
	setupSteps = append(append([]setupStep(nil), saved...), setupStep{"fail", func(*setupCtx) error { return boom }, nil})
	err := e.d.CreateNetwork("n1", nil, nil, pool(t, "10.40.0.0/24", "10.40.0.1/24"), nil)
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the failing step's error", err)
	}
	if got := links(t, e.nl); strings.Join(got, ",") != strings.Join(linksBefore, ",") {
		t.Fatalf("links after rollback %v, before %v", got, linksBefore)
	}
	if got := firewallState(t, e.hostH); got != fwBefore {
		t.Fatalf("firewall after rollback:\n%s\nbefore:\n%s", got, fwBefore)
	}
	setupSteps = saved
	e.createNet("n1", nil, "10.40.0.0/24", "10.40.0.1/24") // the ID and name are free again
}

// TestAdoptUserBridge checks that a bridge the driver did not make is used
// and left in place, without the address the driver added.
func TestAdoptUserBridge(t *testing.T) {
	e := newEnv(t, fullConfig, nil)
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "userbr0"}}
	if err := e.nl.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	e.createNet("n1", options.Generic{"BridgeName": "userbr0"}, "10.50.0.0/24", "10.50.0.1/24")
	if err := e.d.DeleteNetwork("n1"); err != nil {
		t.Fatal(err)
	}
	l, err := e.nl.LinkByName("userbr0")
	if err != nil {
		t.Fatalf("user bridge deleted: %v", err)
	}
	if addrs, _ := e.nl.AddrList(l, netlink.FAMILY_V4); len(addrs) != 0 {
		t.Fatalf("addresses left on the user bridge: %v", addrs)
	}
}

func TestInternalAndICCRules(t *testing.T) {
	e := newEnv(t, withBackend(fullConfig, "iptables"), nil)
	e.createNet("int", options.Generic{"BridgeName": "cnmint", "Internal": true}, "10.60.0.0/24", "10.60.0.1/24")
	e.createNet("noicc", options.Generic{"BridgeName": "cnmnoicc", "EnableICC": false, "EnableIPMasquerade": false}, "10.61.0.0/24", "10.61.0.1/24")
	fw := firewallState(t, e.hostH)
	for _, c := range []struct {
		words []string
		n     int
	}{
		{[]string{"CNMKIT-ISOLATION-STAGE-1", "-i cnmint ! -o cnmint -j DROP"}, 1},
		{[]string{"CNMKIT-ISOLATION-STAGE-1", "! -i cnmint -o cnmint -j DROP"}, 1},
		{[]string{"-i cnmint -o cnmint -j ACCEPT"}, 1},
		{[]string{"MASQUERADE", "10.60.0.0/24"}, 0},
		{[]string{"MASQUERADE", "10.61.0.0/24"}, 0},
		{[]string{"-i cnmnoicc -o cnmnoicc -j DROP"}, 2}, // IPv6 too: no link-local talk
		{[]string{"-i cnmnoicc ! -o cnmnoicc -j CNMKIT-ISOLATION-STAGE-2"}, 2},
	} {
		if got := ruleCount(fw, c.words...); got != c.n {
			t.Errorf("%d rules with %q, want %d:\n%s", got, c.words, c.n, fw)
		}
	}
}
