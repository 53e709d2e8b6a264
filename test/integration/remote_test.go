package integration

import (
	"fmt"
	"net"
	"sort"
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

// plugNetwork creates a network of the network plugin drv with addresses
// from the IPAM plugin ipamDrv.
func (e *plugEnv) plugNetwork(drv, ipamDrv, name string) libnetwork.Network {
	e.t.Helper()
	n, err := e.c.NewNetwork(drv, name, "", libnetwork.NetworkOptionIpam(ipamDrv, "", nil, nil, nil))
	if err != nil {
		e.t.Fatalf("NewNetwork %s -d %s --ipam-driver %s: %v", name, drv, ipamDrv, err)
	}
	return n
}

// sbLinkNames lists the links of the namespace at key.
func sbLinkNames(t testing.TB, key string) string {
	t.Helper()
	h, err := netns.GetFromPath(key)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	ls, err := nl.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range ls {
		names = append(names, l.Attrs().Name)
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// TestRemotePlugins: a network plugin and an IPAM plugin, separate
// processes written with go-plugins-helpers, give two containers a
// network with real traffic; the plugins' call logs match what was asked,
// and nothing is left after the deletes. The network plugin serves a unix
// socket, then a spec file's TCP address on the test's loopback.
func TestRemotePlugins(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		t.Run(map[bool]string{false: "unix", true: "tcp-spec"}[tcp], func(t *testing.T) {
			e := newPlugEnv(t)
			e.plugin("cnmnet", "network", tcp)
			e.plugin("cnmipam", "ipam", false)
			before := e.snapshot() // the plugins run on till cleanup

			n := e.plugNetwork("cnmnet", "cnmipam", "pnet")
			c1, c2 := e.run(n, "c1"), e.run(n, "c2")
			if c1.ip.String() != "10.123.0.2" || c2.ip.String() != "10.123.0.3" {
				t.Fatalf("addresses %s %s, want the IPAM plugin's 10.123.0.2 and .3", c1.ip, c2.ip)
			}
			// The plugin's veth end, moved in and renamed with its prefix,
			// with the MAC address the plugin filled in.
			if got := sbLinkNames(t, c1.sb.Key()); got != "eth0 lo" {
				t.Fatalf("sandbox links %q", got)
			}
			mac := c1.eps[0].Info().Iface().MacAddress().String()
			if !strings.HasPrefix(mac, "02:cc:") {
				t.Fatalf("MAC %s is not the plugin's", mac)
			}
			if gw := c1.eps[0].Info().Gateway(); gw.String() != "10.123.0.1" {
				t.Fatalf("gateway %v", gw)
			}
			info, err := c1.eps[0].DriverInfo()
			if err != nil || info["hostVeth"] == nil {
				t.Fatalf("EndpointOperInfo: %v %v", info, err)
			}
			reach(t, c1.h, c2.h, c2.ip, 8080)
			reach(t, c2.h, c1.h, c1.ip, 8081)

			eps := []libnetwork.Endpoint{c1.eps[0], c2.eps[0]}
			keys := []string{c1.sb.Key(), c2.sb.Key()}
			c1.remove(t)
			c2.remove(t)
			if err := n.Delete(); err != nil {
				t.Fatal(err)
			}

			// What the network plugin was asked, in order per endpoint.
			var creates, joins, leaves, deletes []string
			var nets []call
			for _, c := range e.calls("cnmnet") {
				switch c.Call {
				case "CreateNetwork", "DeleteNetwork":
					nets = append(nets, c)
				case "CreateEndpoint":
					iface := c.Req["Interface"].(map[string]interface{})
					creates = append(creates, fmt.Sprint(c.Req["EndpointID"], " ", iface["Address"]))
				case "Join":
					joins = append(joins, fmt.Sprint(c.Req["EndpointID"], " ", c.Req["SandboxKey"]))
				case "Leave":
					leaves = append(leaves, fmt.Sprint(c.Req["EndpointID"]))
				case "DeleteEndpoint":
					deletes = append(deletes, fmt.Sprint(c.Req["EndpointID"]))
				}
			}
			var wc, wj, wl []string
			for i, ep := range eps {
				wc = append(wc, fmt.Sprint(ep.ID(), " ", ep.Info().Iface().Address()))
				wj = append(wj, fmt.Sprint(ep.ID(), " ", keys[i]))
				wl = append(wl, ep.ID())
			}
			for _, c := range []struct {
				what      string
				got, want []string
			}{{"CreateEndpoint", creates, wc}, {"Join", joins, wj}, {"Leave", leaves, wl}, {"DeleteEndpoint", deletes, wl}} {
				if strings.Join(c.got, ",") != strings.Join(c.want, ",") {
					t.Errorf("%s calls %v, want %v", c.what, c.got, c.want)
				}
			}
			if len(nets) != 2 || nets[0].Call != "CreateNetwork" || nets[0].Req["NetworkID"] != n.ID() || nets[1].Call != "DeleteNetwork" || nets[1].Req["NetworkID"] != n.ID() {
				t.Fatalf("network calls %v", nets)
			}
			v4 := nets[0].Req["IPv4Data"].([]interface{})[0].(map[string]interface{})
			if v4["Pool"] != "10.123.0.0/24" || v4["Gateway"] != "10.123.0.1/24" || v4["AddressSpace"] != "cnmplugLocal" {
				t.Fatalf("IPv4Data %v", v4)
			}
			// The IPAM plugin: the pool, the gateway, two addresses, all given back.
			want := "GetCapabilities GetDefaultAddressSpaces RequestPool RequestAddress RequestAddress RequestAddress " +
				"ReleaseAddress ReleaseAddress ReleaseAddress ReleasePool"
			if got := e.callNames("cnmipam"); got != want {
				t.Fatalf("IPAM calls:\n%s\nwant:\n%s", got, want)
			}
			if u := e.inUse("cnmipam"); len(u) != 0 {
				t.Fatalf("IPAM plugin still holds %v", u)
			}
			// Every link, namespace and rule is as before.
			eventually(t, "nothing left", func() error {
				if d := e.snapshot().diff(before); d != "" {
					return fmt.Errorf("%s", d)
				}
				return nil
			})
		})
	}
}

// TestRemotePluginKilled: the network plugin killed inside CreateEndpoint
// and inside Join gives typed errors naming it and leaves nothing behind
// in the kernel, the store or the IPAM plugin; restarted, the same calls
// succeed.
func TestRemotePluginKilled(t *testing.T) {
	e := newPlugEnv(t)
	np := e.plugin("cnmnet", "network", false)
	e.plugin("cnmipam", "ipam", false)
	before := e.snapshot().withoutProcs() // the network plugin is restarted below
	n := e.plugNetwork("cnmnet", "cnmipam", "pnet")
	held := e.inUse("cnmipam") // the gateway

	// Killed in CreateEndpoint.
	g := e.block("cnmnet", "CreateEndpoint")
	errc := make(chan error, 1)
	go func() { _, err := n.CreateEndpoint("ep1"); errc <- err }()
	g.enter()
	e.kill(np)
	err := <-errc
	if !types.IsNoService(err) || !strings.Contains(err.Error(), `"cnmnet"`) || !strings.Contains(err.Error(), "CreateEndpoint") {
		t.Fatalf("CreateEndpoint with the plugin killed: %v", err)
	}
	g.release()
	if _, err := n.EndpointByName("ep1"); !types.IsNotFound(err) {
		t.Fatalf("endpoint half-made in the controller: %v", err)
	}
	if u := e.inUse("cnmipam"); fmt.Sprint(u) != fmt.Sprint(held) {
		t.Fatalf("IPAM holds %v, held %v before", u, held)
	}
	e.restart(e.opts...) // the store has no endpoint either
	if n2, err := e.c.NetworkByName("pnet"); err != nil || len(n2.Endpoints()) != 0 {
		t.Fatalf("store after the failed create: %v %v", n2, err)
	}
	n, _ = e.c.NetworkByName("pnet")

	e.restartProc(np)
	ep, err := n.CreateEndpoint("ep1")
	if err != nil {
		t.Fatalf("CreateEndpoint with the plugin restarted: %v", err)
	}

	// Killed in Join.
	sb, err := e.c.NewSandbox("c1")
	if err != nil {
		t.Fatal(err)
	}
	hostLinks := e.snapshot().links
	g = e.block("cnmnet", "Join")
	go func() { errc <- ep.Join(sb) }()
	g.enter()
	e.kill(np)
	err = <-errc
	if !types.IsNoService(err) || !strings.Contains(err.Error(), `"cnmnet"`) || !strings.Contains(err.Error(), "Join") {
		t.Fatalf("Join with the plugin killed: %v", err)
	}
	g.release()
	if got := sbLinkNames(t, sb.Key()); got != "lo" {
		t.Fatalf("sandbox links after the failed join: %q", got)
	}
	if l := e.snapshot().links; l != hostLinks {
		t.Fatalf("host links %s, were %s", l, hostLinks)
	}
	if ep.Info().Sandbox() != nil {
		t.Fatal("endpoint joined after the failed join")
	}
	e.restartProc(np)
	if err := ep.Join(sb); err != nil {
		t.Fatalf("Join with the plugin restarted: %v", err)
	}
	h, err := netns.GetFromPath(sb.Key())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	gw := ep.Info().Gateway()
	eventually(t, "ping the gateway on the plugin's bridge", func() error { return pingFrom(h, gw) })

	if err := ep.Leave(sb); err != nil {
		t.Fatal(err)
	}
	if err := ep.Delete(false); err != nil {
		t.Fatal(err)
	}
	if err := sb.Delete(); err != nil {
		t.Fatal(err)
	}
	if err := n.Delete(); err != nil {
		t.Fatal(err)
	}
	if u := e.inUse("cnmipam"); len(u) != 0 {
		t.Fatalf("IPAM plugin still holds %v", u)
	}
	eventually(t, "nothing left", func() error {
		if d := e.snapshot().withoutProcs().diff(before); d != "" {
			return fmt.Errorf("%s", d)
		}
		return nil
	})
}

// TestRemotePluginHangs: a plugin that does not answer makes the call
// fail with a typed timeout within the configured bound.
func TestRemotePluginHangs(t *testing.T) {
	const timeout = 500 * time.Millisecond
	e := newPlugEnv(t, config.OptionPluginTimeout(timeout))
	e.plugin("cnmnet", "network", false)
	e.plugin("cnmipam", "ipam", false)
	n := e.plugNetwork("cnmnet", "cnmipam", "pnet")
	held := e.inUse("cnmipam")
	g := e.block("cnmnet", "CreateEndpoint")
	start := time.Now()
	_, err := n.CreateEndpoint("ep1")
	took := time.Since(start)
	if !types.IsTimeout(err) || !strings.Contains(err.Error(), `"cnmnet"`) || !strings.Contains(err.Error(), timeout.String()) {
		t.Fatalf("hung CreateEndpoint: %v", err)
	}
	if took > 20*timeout {
		t.Fatalf("the timeout of %v took %v", timeout, took)
	}
	g.release()
	if u := e.inUse("cnmipam"); fmt.Sprint(u) != fmt.Sprint(held) {
		t.Fatalf("IPAM holds %v, held %v before", u, held)
	}
	if _, err := n.EndpointByName("ep1"); !types.IsNotFound(err) {
		t.Fatalf("endpoint half-made: %v", err)
	}
	if err := n.Delete(); err != nil {
		t.Fatal(err)
	}
}

// pingFrom pings ip once from h.
func pingFrom(h netns.NsHandle, ip net.IP) error {
	return testutils.Ping(h, ip, 300*time.Millisecond)
}
