package integration

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
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
	if gwEp(a) != nil || e.gwNet() != nil || e.hasLink(libnetwork.GatewayBridgeName) {
		t.Fatalf("gateway endpoint %v, network %v or bridge left after joining a bridge network", gwEp(a), e.gwNet())
	}
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
	if gwEp(a) != nil || e.gwNet() != nil || e.hasLink(libnetwork.GatewayBridgeName) {
		t.Fatal("gateway endpoint, network or bridge left after leaving the overlay")
	}
	if len(a.sb.Endpoints()) != 0 || defaultRoute(t, a) != "" {
		t.Fatalf("sandbox keeps endpoints %v or a default route", a.sb.Endpoints())
	}
	if l := sbLinkNames(t, a.sb.Key()); l != "lo" {
		t.Errorf("sandbox links after the last leave: %s", l)
	}
	must(t, ovEp.Delete(false))
	must(t, a.sb.Delete())
	if d := e.snapshot().diff(before); d != "" {
		t.Fatalf("host namespace changed:\n%s", d)
	}
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
