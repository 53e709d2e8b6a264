package integration

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
)

// TestGatewayBridge: a container only on an overlay network gets an
// endpoint on the default gateway network: it reaches an outside server
// (masqueraded: seen with the host's address), its published port answers
// from outside and from the host; joining a bridge network takes the
// endpoint (and the gateway network) away, the outside is then reached
// through the bridge network's gateway; leaving the bridge brings it back;
// leaving the overlay removes everything.
func TestGatewayBridge(t *testing.T) {
	testutils.RequireRoot(t)
	e := newGwEnv(t)
	out := e.outside("")
	serveTCP(t, out, "10.99.0.2:9000", "outside")
	ov := e.overlay("ov", "10.88.0.0/24", "4400")
	br := e.network("br", "10.89.0.0/24", nil)
	before := e.snapshot()

	a := e.sandbox("a")
	ovEp, err := ov.CreateEndpoint("a", epPorts(8080))
	must(t, err)
	must(t, ovEp.Join(a.sb))

	// The gateway endpoint, hidden from the user's lists.
	gw := gwEp(a)
	if gw == nil {
		t.Fatal("a container only on an overlay network got no gateway endpoint")
	}
	if eps := a.sb.Endpoints(); len(eps) != 1 || eps[0].ID() != ovEp.ID() {
		t.Fatalf("sandbox endpoints %v: want only the overlay endpoint", eps)
	}
	if !strings.HasPrefix(gw.Name(), "gateway_") {
		t.Errorf("gateway endpoint name %q", gw.Name())
	}
	gn := e.gwNet()
	if gn == nil || gn.Name() != libnetwork.GatewayNetworkName || gn.Type() != "bridge" || gw.Network() != gn.Name() {
		t.Fatalf("gateway network %v", gn)
	}
	for _, n := range e.c.Networks() {
		if n.Name() == libnetwork.GatewayNetworkName {
			t.Error("Networks lists the gateway network")
		}
	}
	if _, err := e.c.NetworkByName(libnetwork.GatewayNetworkName); !types.IsNotFound(err) {
		t.Errorf("NetworkByName(gateway network): %v, want NotFound", err)
	}
	if all := e.c.(gwController).AllNetworks(); len(all) != len(e.c.Networks())+1 {
		t.Errorf("AllNetworks has %d networks, Networks %d", len(all), len(e.c.Networks()))
	}
	if !e.hasLink(libnetwork.GatewayBridgeName) {
		t.Fatal("no gateway bridge link")
	}
	// The user cannot take it apart.
	if err := gw.Leave(a.sb); !types.IsForbidden(err) {
		t.Errorf("user Leave of the gateway endpoint: %v", err)
	}
	if err := gn.Delete(); !types.IsForbidden(err) {
		t.Errorf("user Delete of the gateway network: %v", err)
	}
	if _, err := e.c.NewNetwork("bridge", libnetwork.GatewayNetworkName, ""); !types.IsForbidden(err) {
		t.Errorf("user network named %s: %v", libnetwork.GatewayNetworkName, err)
	}
	gwIP := gwAddr(t, a)
	if got, want := defaultRoute(t, a), ipv4Gateway(t, gn); got != want {
		t.Errorf("default route via %q, want the gateway network's %s", got, want)
	}

	// Out through the gateway bridge, masqueraded.
	var seen string
	eventually(t, "outside from a", func() (err error) {
		seen, _, err = ask(a.h, "tcp", "10.99.0.2:9000", time.Second)
		return err
	})
	if seen != "10.99.0.1" {
		t.Errorf("the outside saw %s, want the host's 10.99.0.1", seen)
	}
	// The overlay endpoint's published port, from outside and from the host.
	serveTCP(t, a.h, net.JoinHostPort(gwIP.String(), "80"), "a")
	for _, from := range []struct {
		name, addr string
	}{{"outside", "10.99.0.1:8080"}, {"host", "127.0.0.1:8080"}} {
		h := out
		if from.name == "host" {
			h = e.host
		}
		eventually(t, "published port from "+from.name, func() error {
			_, name, err := ask(h, "tcp", from.addr, time.Second)
			if err == nil && name != "a" {
				t.Fatalf("%s answered by %s", from.addr, name)
			}
			return err
		})
	}

	// A bridge network gives a way out: the gateway endpoint, its network
	// and its bridge go; the outside is reached through the bridge.
	brEp, err := br.CreateEndpoint("a-br")
	must(t, err)
	must(t, brEp.Join(a.sb))
	if gwEp(a) != nil {
		t.Fatal("gateway endpoint left after joining a bridge network")
	}
	e.gwNetGone()
	if got := defaultRoute(t, a); got != "10.89.0.1" {
		t.Errorf("default route via %q, want the bridge network's 10.89.0.1", got)
	}
	eventually(t, "outside from a through br", func() (err error) {
		seen, _, err = ask(a.h, "tcp", "10.99.0.2:9000", time.Second)
		return err
	})
	if seen != "10.99.0.1" {
		t.Errorf("the outside saw %s through br", seen)
	}

	// Leaving the bridge network: back to the gateway network.
	must(t, brEp.Leave(a.sb))
	must(t, brEp.Delete(false))
	if gwEp(a) == nil || e.gwNet() == nil {
		t.Fatal("no gateway endpoint after leaving the bridge network")
	}
	eventually(t, "outside from a again", func() error { _, _, err := ask(a.h, "tcp", "10.99.0.2:9000", time.Second); return err })

	// Leaving the overlay: nothing left, the pool back in IPAM.
	pool := ipv4Pool(t, e.gwNet())
	must(t, ovEp.Leave(a.sb))
	if gwEp(a) != nil {
		t.Fatal("gateway endpoint left after leaving the overlay")
	}
	e.gwNetGone()
	if len(a.sb.Endpoints()) != 0 || defaultRoute(t, a) != "" {
		t.Fatalf("sandbox keeps endpoints %v or a default route", a.sb.Endpoints())
	}
	if l := sbLinkNames(t, a.sb.Key()); l != "lo" {
		t.Errorf("sandbox links after the last leave: %s", l)
	}
	must(t, ovEp.Delete(false))
	must(t, a.sb.Delete())
	e.settles(before)
	// The gateway network's pool was released: it can be had again.
	again := e.network("again", pool, nil)
	must(t, again.Delete())
}

// ipv4Gateway returns the gateway address of n's first IPv4 pool.
func ipv4Gateway(t testing.TB, n libnetwork.Network) string {
	t.Helper()
	v4, _ := n.Info().IpamInfo()
	if len(v4) == 0 || v4[0].Gateway == nil {
		t.Fatalf("network %s has no IPv4 gateway", n.Name())
	}
	return v4[0].Gateway.IP.String()
}

// ipv4Pool returns n's first IPv4 pool.
func ipv4Pool(t testing.TB, n libnetwork.Network) string {
	t.Helper()
	if n == nil {
		t.Fatal("no network")
	}
	v4, _ := n.Info().IpamInfo()
	if len(v4) == 0 {
		t.Fatalf("network %s has no IPv4 pool", n.Name())
	}
	return v4[0].Pool.String()
}

// TestGatewayBridgeShared: sandboxes share the gateway network; ICC is off
// on it, and it reaches no container of another bridge network; the
// network goes with its last user, whether that one leaves or is deleted.
func TestGatewayBridgeShared(t *testing.T) {
	testutils.RequireRoot(t)
	e := newGwEnv(t)
	ov := e.overlay("ov", "10.88.0.0/24", "4401")
	br := e.network("br", "10.89.0.0/24", nil)
	before := e.snapshot()

	a, b := e.sandbox("a"), e.sandbox("b")
	aEp, bEp := must2(ov.CreateEndpoint("a"))(t), must2(ov.CreateEndpoint("b"))(t)
	must(t, aEp.Join(a.sb))
	must(t, bEp.Join(b.sb))
	if gwEp(a) == nil || gwEp(b) == nil || gwEp(a).Network() != gwEp(b).Network() {
		t.Fatal("a and b do not share the gateway network")
	}
	if n := len(e.gwNet().Endpoints()); n != 2 {
		t.Fatalf("gateway network has %d endpoints, want 2", n)
	}
	c := e.run(br, "c")
	// The overlay joins them; the gateway bridge does not (ICC off), nor
	// does it lead to another bridge network.
	reach(t, a.h, b.h, bEp.Info().Iface().Address().IP, 7000)
	unreachable(t, a.h, b.h, gwAddr(t, b), 7001)
	unreachable(t, a.h, c.h, c.ip, 7002)

	// a leaves: b still uses the network.
	must(t, aEp.Leave(a.sb))
	if gwEp(a) != nil || e.gwNet() == nil || !e.hasLink(libnetwork.GatewayBridgeName) {
		t.Fatal("the gateway network went while b uses it")
	}
	// b is deleted without leaving: its gateway endpoint and the network go.
	must(t, b.sb.Delete())
	e.gwNetGone()
	if _, err := ov.EndpointByID(bEp.ID()); !types.IsNotFound(err) {
		t.Errorf("b's overlay endpoint outlived its sandbox: %v", err)
	}
	must(t, aEp.Delete(false))
	must(t, a.sb.Delete())
	c.remove(t)
	e.settles(before)
}

// TestGatewayBridgeNotGiven: no gateway endpoint for a sandbox only on an
// internal network (it stays cut off), on the null network, or on a
// network with a gateway.
func TestGatewayBridgeNotGiven(t *testing.T) {
	testutils.RequireRoot(t)
	e := newGwEnv(t)
	out := e.outside("")
	internal := e.network("intl", "10.91.0.0/24", nil, libnetwork.NetworkOptionInternalNetwork())
	br := e.network("br", "10.89.0.0/24", nil)
	none, err := e.c.NewNetwork("null", "none", "")
	must(t, err)
	iov := e.overlay("iov", "10.88.0.0/24", "4402", libnetwork.NetworkOptionInternalNetwork())
	for _, tt := range []struct {
		name string
		nets []libnetwork.Network
	}{
		{"internal bridge", []libnetwork.Network{internal}},
		{"internal overlay", []libnetwork.Network{iov}},
		{"internal bridge and internal overlay", []libnetwork.Network{internal, iov}},
		{"null", []libnetwork.Network{none}},
		{"bridge", []libnetwork.Network{br}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := e.sandbox(strings.ReplaceAll(tt.name, " ", "-"))
			for i, n := range tt.nets {
				ep := must2(n.CreateEndpoint(c.sb.ContainerID() + string(rune('0'+i))))(t)
				must(t, ep.Join(c.sb))
				c.eps = append(c.eps, ep)
			}
			if gwEp(c) != nil || e.gwNet() != nil || e.hasLink(libnetwork.GatewayBridgeName) {
				t.Fatalf("a gateway endpoint for a sandbox on %s", tt.name)
			}
			if tt.name != "bridge" {
				unreachable(t, c.h, out, net.ParseIP("10.99.0.2"), 7100+len(tt.name))
			}
			c.remove(t)
		})
	}
}

// TestGatewayBridgeRestart: a running sandbox keeps its gateway endpoint
// across a restart (and its published port), a later leave still removes
// it; a gateway network left unused at start (its sandbox gone) is removed.
func TestGatewayBridgeRestart(t *testing.T) {
	testutils.RequireRoot(t)
	e := newGwEnv(t)
	out := e.outside("")
	serveTCP(t, out, "10.99.0.2:9000", "outside")
	ov := e.overlay("ov", "10.88.0.0/24", "4403")
	before := e.snapshot()

	a := e.sandbox("a")
	aEp := must2(ov.CreateEndpoint("a", epPorts(8081)))(t)
	must(t, aEp.Join(a.sb))
	gwID, gwIP := gwEp(a).ID(), gwAddr(t, a)
	serveTCP(t, a.h, net.JoinHostPort(gwIP.String(), "80"), "a")

	e.restart(config.OptionActiveSandboxes(map[string]interface{}{"a": nil}))
	sb, err := e.c.SandboxByID(a.sb.ID())
	must(t, err)
	a.sb = sb
	if gw := gwEp(a); gw == nil || gw.ID() != gwID || !gw.Info().Iface().Address().IP.Equal(gwIP) {
		t.Fatalf("gateway endpoint after restart: %v, want %s at %s", gw, gwID, gwIP)
	}
	eventually(t, "outside from a after restart", func() error { _, _, err := ask(a.h, "tcp", "10.99.0.2:9000", time.Second); return err })
	eventually(t, "a's published port after restart", func() error {
		_, name, err := ask(out, "tcp", "10.99.0.1:8081", time.Second)
		if err == nil && name != "a" {
			t.Fatalf("answered by %s", name)
		}
		return err
	})
	ov, err = e.c.NetworkByName("ov")
	must(t, err)
	aEp, err = ov.EndpointByID(aEp.ID())
	must(t, err)
	must(t, aEp.Leave(a.sb))
	if gwEp(a) != nil {
		t.Fatal("gateway endpoint left after leaving the overlay after a restart")
	}
	e.gwNetGone()
	must(t, aEp.Delete(false))
	must(t, a.sb.Delete())

	// A sandbox that is not alive at the next start: its gateway endpoint
	// and the gateway network are removed.
	b := e.sandbox("b")
	bEp := must2(ov.CreateEndpoint("b", epPorts(8082)))(t)
	must(t, bEp.Join(b.sb))
	if gwEp(b) == nil {
		t.Fatal("no gateway endpoint for b")
	}
	e.restart()
	if e.gwNet() != nil || e.hasLink(libnetwork.GatewayBridgeName) {
		t.Fatal("an unused gateway network survived the start")
	}
	for _, n := range e.c.(gwController).AllNetworks() {
		if n.Name() == libnetwork.GatewayNetworkName {
			t.Fatal("AllNetworks still lists the gateway network")
		}
	}
	e.settles(before)
	// Its record is gone too: a third start finds none.
	e.restart()
	if e.gwNet() != nil {
		t.Fatal("the gateway network came back from the store")
	}
}

// TestGatewayBridgeNoPool: when the gateway network cannot be made (no
// free pool), the join fails with a GatewayNetworkError naming it and
// leaves nothing behind.
func TestGatewayBridgeNoPool(t *testing.T) {
	testutils.RequireRoot(t)
	only := mustCIDR(t, "10.92.0.0/24")
	e := newGwEnv(t, config.OptionDefaultAddressPoolConfig([]*net.IPNet{only}))
	ov := e.overlay("ov", "10.88.0.0/24", "4404")
	taken := e.network("taken", "10.92.0.0/24", nil)
	a := e.sandbox("a")
	aEp := must2(ov.CreateEndpoint("a", epPorts(8083)))(t)
	before := e.snapshot()
	err := aEp.Join(a.sb)
	var gwErr *libnetwork.GatewayNetworkError
	if !errors.As(err, &gwErr) || gwErr.Network != libnetwork.GatewayNetworkName || !types.IsNoService(err) ||
		!strings.Contains(err.Error(), libnetwork.GatewayNetworkName) {
		t.Fatalf("join without a pool for the gateway network: %v, want a GatewayNetworkError naming %s", err, libnetwork.GatewayNetworkName)
	}
	if aEp.Info().Sandbox() != nil || len(a.sb.Endpoints()) != 0 || gwEp(a) != nil || e.gwNet() != nil {
		t.Fatal("the failed join left a join, an endpoint or the gateway network")
	}
	if l := sbLinkNames(t, a.sb.Key()); l != "lo" {
		t.Errorf("sandbox links after the failed join: %s", l)
	}
	// The overlay namespace the join made is unpinned at once; the kernel
	// frees it (and its VXLAN device's socket in this namespace) after.
	eventually(t, "host namespace as before", func() error {
		if d := e.snapshot().diff(before); d != "" {
			return fmt.Errorf("host namespace changed:\n%s", d)
		}
		return nil
	})
	// With the pool free again the same join succeeds.
	must(t, taken.Delete())
	must(t, aEp.Join(a.sb))
	if gwEp(a) == nil || ipv4Pool(t, e.gwNet()) != "10.92.0.0/24" {
		t.Fatal("no gateway endpoint on the freed pool")
	}
	must(t, aEp.Leave(a.sb))
	must(t, aEp.Delete(false))
	must(t, a.sb.Delete())
}

func must2[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
