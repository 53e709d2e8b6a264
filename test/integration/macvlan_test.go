package integration

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// TestMacvlanBridgeMode: two containers on a bridge-mode macvlan network
// reach each other and the external router by ICMP and TCP, over IPv4 and
// IPv6; their interfaces are born inside their sandboxes (the host
// namespace sees no new link); nothing is left afterwards.
func TestMacvlanBridgeMode(t *testing.T) {
	e := newMacvlanEnv(t)
	before := e.hostState()
	n, err := e.macvlan("macvlan", "mv", map[string]string{"parent": "par0"}, "10.150.0.0/24", "10.150.0.1", "fd00:150::/64", "fd00:150::1")
	must(t, err)
	stop := e.watchLinks()
	a := e.run(n, "a")
	b := e.run(n, "b")
	for _, ev := range stop() {
		if strings.Contains(ev, "/macvlan/") || strings.HasPrefix(ev, "eth") {
			t.Errorf("the host namespace saw a link of a join: %s", ev)
		}
	}
	for _, c := range []*ctr{a, b} {
		var l netlink.Link
		testutils.InNS(t, c.h, func() (err error) { l, err = netlink.LinkByName("eth0"); return err })
		if l.Type() != "macvlan" || l.(*netlink.Macvlan).Mode != netlink.MACVLAN_MODE_BRIDGE {
			t.Errorf("eth0 of %s: %T %v", c.sb.ContainerID(), l, l.Type())
		}
		if gw := c.eps[0].Info().Gateway(); !gw.Equal(mvRouter) {
			t.Errorf("gateway of %s is %s, want the router", c.sb.ContainerID(), gw)
		}
		if c.ip6 == nil {
			t.Fatalf("%s has no IPv6 address", c.sb.ContainerID())
		}
	}
	reach(t, a.h, b.h, b.ip, 80)
	reach(t, b.h, a.h, a.ip, 80)
	reach(t, a.h, e.rtr, mvRouter, 80)
	reach(t, b.h, e.rtr, mvRouter6, 81)
	reach(t, a.h, b.h, b.ip6, 82)
	reach(t, e.rtr, a.h, a.ip6, 83)
	a.remove(t)
	b.remove(t)
	must(t, n.Delete())
	eventually(t, "the host namespace as before", func() error {
		if s := e.hostState(); s != before {
			return &diffError{s + "\nwas:\n" + before}
		}
		return nil
	})
}

// TestMacvlanPrivateMode: containers of a private-mode network reach the
// router but not each other.
func TestMacvlanPrivateMode(t *testing.T) {
	e := newMacvlanEnv(t)
	before := e.hostState()
	n, err := e.macvlan("macvlan", "mv", map[string]string{"parent": "par0", "macvlan_mode": "private"}, "10.150.0.0/24", "10.150.0.1", "", "")
	must(t, err)
	a := e.run(n, "a")
	b := e.run(n, "b")
	reach(t, a.h, e.rtr, mvRouter, 80)
	reach(t, b.h, e.rtr, mvRouter, 81)
	unreachable(t, a.h, b.h, b.ip, 82)
	unreachable(t, b.h, a.h, a.ip, 83)
	a.remove(t)
	b.remove(t)
	must(t, n.Delete())
	if s := e.hostState(); s != before {
		t.Errorf("host namespace:\n%s\nwas:\n%s", s, before)
	}
}

// TestMacvlanTwoNetworksAndRefusals: two networks on one parent with
// different subnets work side by side (and talk through the router); a
// macvlan network in another mode, and an ipvlan network, on that parent
// are refused with Conflict errors naming both networks.
func TestMacvlanTwoNetworksAndRefusals(t *testing.T) {
	e := newMacvlanEnv(t)
	before := e.hostState()
	n1, err := e.macvlan("macvlan", "mv1", map[string]string{"parent": "par0"}, "10.150.0.0/24", "10.150.0.1", "", "")
	must(t, err)
	n2, err := e.macvlan("macvlan", "mv2", map[string]string{"parent": "par0", "macvlan_mode": "bridge"}, "10.151.0.0/24", "10.151.0.1", "", "")
	must(t, err)
	a := e.run(n1, "a")
	b := e.run(n2, "b")
	if gw := b.eps[0].Info().Gateway(); !gw.Equal(mvRouter2) {
		t.Errorf("gateway of b is %s", gw)
	}
	reach(t, a.h, e.rtr, mvRouter, 80)
	reach(t, b.h, e.rtr, mvRouter2, 81)
	reach(t, a.h, b.h, b.ip, 82) // routed by the router
	for _, tc := range []struct {
		driver string
		opts   map[string]string
		want   []string
	}{
		{"macvlan", map[string]string{"parent": "par0", "macvlan_mode": "vepa"}, []string{"parent par0", n1.ID(), "mode bridge", "mode vepa"}},
		{"ipvlan", map[string]string{"parent": "par0"}, []string{"parent par0", "macvlan network " + n1.ID(), "ipvlan network"}},
		{"macvlan", map[string]string{"parent": "par0.4095"}, []string{"par0.4095", "VLAN ID 4095"}},
		{"macvlan", map[string]string{"parent": "lo"}, []string{"parent lo is a loopback"}},
		{"macvlan", map[string]string{"parent": "nosuch0"}, []string{"parent nosuch0 does not exist"}},
		{"ipvlan", map[string]string{"parent": "par0", "ipvlan_mode": "l4"}, []string{`unknown mode "l4"`}},
	} {
		_, err := e.macvlan(tc.driver, "bad", tc.opts, "10.152.0.0/24", "", "", "")
		if err == nil {
			t.Errorf("%s %v accepted", tc.driver, tc.opts)
			continue
		}
		if tc.want[0] == "parent par0" && !types.IsConflict(err) {
			t.Errorf("%s %v: %v is not a Conflict error", tc.driver, tc.opts, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s %v: %q does not name %q", tc.driver, tc.opts, err, w)
			}
		}
		if _, err := e.c.NetworkByName("bad"); err == nil {
			t.Errorf("%s %v: the refused network exists", tc.driver, tc.opts)
		}
	}
	a.remove(t)
	b.remove(t)
	must(t, n1.Delete())
	must(t, n2.Delete())
	if s := e.hostState(); s != before {
		t.Errorf("host namespace:\n%s\nwas:\n%s", s, before)
	}
}

// TestMacvlanRestart: after a controller restart the live container keeps
// its traffic; the one that left while the controller was down is cleaned
// up (its sandbox and endpoint); nothing is left after the network goes.
func TestMacvlanRestart(t *testing.T) {
	e := newMacvlanEnv(t)
	before := e.hostState()
	n, err := e.macvlan("macvlan", "mv", map[string]string{"parent": "par0"}, "10.150.0.0/24", "10.150.0.1", "", "")
	must(t, err)
	a := e.run(n, "a")
	b := e.run(n, "b")
	// ICMP only: a TCP socket of b's (even in TIME_WAIT) would keep its
	// namespace alive after the container is gone.
	eventually(t, "ping b", func() error { return testutils.Ping(a.h, b.ip, 300*time.Millisecond) })
	eventually(t, "ping a", func() error { return testutils.Ping(b.h, a.ip, 300*time.Millisecond) })
	aID, bKey := a.sb.ID(), b.sb.Key()
	// b's container is gone: nothing holds its namespace but the pin.
	b.h.Close()

	e.restart(config.OptionActiveSandboxes(map[string]interface{}{aID: nil}))

	sb, err := e.c.SandboxByID(aID)
	if err != nil {
		t.Fatalf("live sandbox not restored: %v", err)
	}
	a.sb = sb
	n, err = e.c.NetworkByName("mv")
	must(t, err)
	ep, err := n.EndpointByName(a.eps[0].Name())
	must(t, err)
	a.eps = []libnetwork.Endpoint{ep}
	reach(t, a.h, e.rtr, mvRouter, 81)
	if _, err := os.Stat(bKey); !os.IsNotExist(err) {
		t.Errorf("b's namespace %s is still pinned: %v", bKey, err)
	}
	if eps := n.Endpoints(); len(eps) != 1 || eps[0].Name() != a.eps[0].Name() {
		var names []string
		for _, ep := range eps {
			names = append(names, ep.Name())
		}
		t.Errorf("endpoints after the restart: %v", names)
	}
	// Its namespace ends, and its interface with it.
	eventually(t, "b's interface gone", func() error {
		if err := testutils.Ping(a.h, b.ip, 300*time.Millisecond); err == nil {
			return errStill
		}
		return nil
	})
	// The restored network still holds its parent.
	if _, err := e.macvlan("ipvlan", "iv", map[string]string{"parent": "par0"}, "10.152.0.0/24", "", "", ""); !types.IsConflict(err) {
		t.Errorf("ipvlan on the restored network's parent: %v", err)
	}
	// A new container joins the restored network.
	c := e.run(n, "c")
	reach(t, c.h, a.h, a.ip, 82)
	reach(t, a.h, c.h, c.ip, 83)
	a.remove(t)
	c.remove(t)
	must(t, n.Delete())
	eventually(t, "the host namespace as before", func() error {
		if s := e.hostState(); s != before {
			return &diffError{s + "\nwas:\n" + before}
		}
		return nil
	})
}

// TestMacvlanExternalKey: Docker's order, Join before the runtime hands
// the namespace over (SetKey): the interface waits in the host namespace
// and the sandbox takes it in; traffic works and nothing is left.
func TestMacvlanExternalKey(t *testing.T) {
	e := newMacvlanEnv(t)
	before := e.hostState()
	n, err := e.macvlan("macvlan", "mv", map[string]string{"parent": "par0"}, "10.150.0.0/24", "10.150.0.1", "", "")
	must(t, err)
	sb, err := e.c.NewSandbox("ext", libnetwork.OptionUseExternalKey())
	must(t, err)
	ep, err := n.CreateEndpoint("ext-0")
	must(t, err)
	must(t, ep.Join(sb))
	path, h := runtimeNS(t)
	must(t, sb.SetKey(path))
	c := &ctr{sb: sb, eps: []libnetwork.Endpoint{ep}, h: h, ip: ep.Info().Iface().Address().IP}
	reach(t, c.h, e.rtr, mvRouter, 80)
	c.remove(t)
	withNL(t, h, func(nlh *netlink.Handle) {
		if _, err := nlh.LinkByName("eth0"); err == nil {
			t.Error("eth0 left in the runtime's namespace")
		}
	})
	must(t, n.Delete())
	eventually(t, "the host namespace as before", func() error {
		if s := e.hostState(); s != before {
			return &diffError{s + "\nwas:\n" + before}
		}
		return nil
	})
}

// TestMacvlanQuickReuse: an endpoint re-created at once with the address
// (so the MAC) of one that just left joins: the left interface, going down
// in the background, frees the MAC first. Half the time the left sandbox
// is deleted too, half the time it stays.
func TestMacvlanQuickReuse(t *testing.T) {
	e := newMacvlanEnv(t)
	n, err := e.macvlan("macvlan", "mv", map[string]string{"parent": "par0"}, "10.150.0.0/24", "10.150.0.1", "", "")
	must(t, err)
	var last *ctr
	for i := 0; i < 6; i++ {
		sb, err := e.c.NewSandbox(fmt.Sprintf("q%d", i))
		must(t, err)
		ep, err := n.CreateEndpoint("q", libnetwork.CreateOptionIpam(net.ParseIP("10.150.0.50"), nil, nil))
		must(t, err)
		must(t, ep.Join(sb))
		h, err := netns.GetFromPath(sb.Key())
		must(t, err)
		last = &ctr{sb: sb, eps: []libnetwork.Endpoint{ep}, h: h, ip: ep.Info().Iface().Address().IP}
		if i == 5 {
			break
		}
		h.Close()
		must(t, ep.Leave(sb))
		must(t, ep.Delete(false))
		if i%2 == 0 {
			must(t, sb.Delete())
		} else {
			t.Cleanup(func() { _ = sb.Delete() })
		}
	}
	defer last.h.Close()
	reach(t, last.h, e.rtr, mvRouter, 80)
	last.remove(t)
}
