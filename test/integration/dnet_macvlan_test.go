package integration

import (
	"sort"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/api"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// testDnetMacvlan creates macvlan and ipvlan networks with the CLI's -o
// options, attaches a sandbox to the macvlan one and removes it all.
func testDnetMacvlan(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	for _, name := range []string{"par0", "par1"} {
		la := netlink.NewLinkAttrs()
		la.Name = name
		must(t, e.nl.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "p" + name}))
		for _, n := range []string{name, "p" + name} {
			l, err := e.nl.LinkByName(n)
			must(t, err)
			must(t, e.nl.LinkSetUp(l))
		}
	}
	links := func() string {
		ls, err := e.nl.LinkList()
		must(t, err)
		var out []string
		for _, l := range ls {
			out = append(out, l.Attrs().Name+"/"+l.Type())
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	before := links()
	e.start()

	id := strings.TrimSpace(e.cliOK("network", "create", "mv1", "-d", "macvlan", "--subnet", "10.84.0.0/24", "-o", "parent=par0", "-o", "macvlan_mode=private"))
	var nws []api.Network
	e.cliJSON(&nws, "network", "inspect", "--format", "json", "mv1")
	if len(nws) != 1 || nws[0].ID != id || nws[0].Driver != "macvlan" || nws[0].Options["parent"] != "par0" || nws[0].Options["macvlan_mode"] != "private" {
		t.Fatalf("macvlan network %+v", nws)
	}
	e.cliOK("network", "create", "iv2", "-d", "ipvlan", "--subnet", "10.85.0.0/24", "-o", "parent=par1", "-o", "ipvlan_mode=l3")
	for _, c := range []struct {
		args []string
		msg  []string
	}{
		{[]string{"network", "create", "iv1", "-d", "ipvlan", "--subnet", "10.86.0.0/24", "-o", "parent=par0"},
			[]string{"parent par0", "macvlan network " + id, "(mode private)", "ipvlan network"}},
		{[]string{"network", "create", "mv2", "-d", "macvlan", "--subnet", "10.86.0.0/24", "-o", "parent=par1"},
			[]string{"parent par1", "ipvlan network", "(mode l3)"}},
		{[]string{"network", "create", "mv3", "-d", "macvlan", "--subnet", "10.86.0.0/24", "-o", "parent=par0", "-o", "macvlan_mode=foo"},
			[]string{`unknown mode "foo"`}},
		{[]string{"network", "create", "mv4", "-d", "macvlan", "--subnet", "10.86.0.0/24", "-o", "parent=nosuch0"},
			[]string{"parent nosuch0 does not exist"}},
	} {
		_, errOut, code := e.cli(c.args...)
		for _, m := range c.msg {
			if code == 0 || !strings.Contains(errOut, m) {
				t.Errorf("dnet %v: exit %d, %q; want an error with %q", c.args, code, errOut, m)
			}
		}
	}

	e.cliOK("endpoint", "create", "-n", "mv1", "web")
	e.cliOK("sandbox", "create", "box1")
	e.cliOK("sandbox", "attach", "-n", "mv1", "box1", "web")
	var sbs []api.Sandbox
	e.cliJSON(&sbs, "sandbox", "inspect", "--format", "json", "box1")
	addr := sbs[0].Endpoints[0].IPv4Address
	if got := sandboxAddrs(t, sbs[0].Key)["eth0"]; len(got) != 1 || got[0] != addr {
		t.Fatalf("box1's eth0 has %v, want %s", got, addr)
	}
	h, err := netns.GetFromPath(sbs[0].Key)
	must(t, err)
	defer h.Close()
	snl, err := netlink.NewHandleAt(h)
	must(t, err)
	defer snl.Close()
	if l, err := snl.LinkByName("eth0"); err != nil || l.Type() != "macvlan" {
		t.Fatalf("box1's eth0: %v %v", l, err)
	}
	e.cliOK("sandbox", "detach", "-n", "mv1", "box1", "web")
	e.cliOK("endpoint", "rm", "-n", "mv1", "web")
	e.cliOK("sandbox", "rm", "box1")
	e.cliOK("network", "rm", "mv1", "iv2")
	if got := links(); got != before {
		t.Errorf("host namespace links:\n%s\nwere:\n%s", got, before)
	}
}
