package integration

import (
	"net"
	"testing"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// gwAccessors are the controller's and sandbox's accessors of the default
// gateway network and endpoint (beside the seed's interfaces).
type gwController interface {
	AllNetworks() []libnetwork.Network
	GatewayNetwork() (libnetwork.Network, error)
}

type gwSandbox interface {
	GatewayEndpoint() libnetwork.Endpoint
}

// newGwEnv is a bridgeEnv (full bridge driver) whose controller is a
// one-host cluster on the namespace's loopback, so that it has overlay
// networks; opts go to every start.
func newGwEnv(t *testing.T, opts ...config.Option) *bridgeEnv {
	t.Helper()
	return newGwEnvB(t, opts...)
}

// newGwEnvB is newGwEnv for tests and benchmarks.
func newGwEnvB(t testing.TB, opts ...config.Option) *bridgeEnv {
	t.Helper()
	cl := config.OptionCluster(config.ClusterCfg{NodeName: "gw-host", BindAddr: "127.0.0.1"})
	return newBridgeEnvWith(t, fullBridge(), append([]config.Option{cl}, opts...)...)
}

// overlay creates an overlay network on pool.
func (e *bridgeEnv) overlay(name, pool, vni string, nopts ...libnetwork.NetworkOption) libnetwork.Network {
	e.t.Helper()
	all := append([]libnetwork.NetworkOption{
		libnetwork.NetworkOptionIpam("default", "", []*libnetwork.IpamConf{{PreferredPool: pool}}, nil, nil),
		libnetwork.NetworkOptionDriverOpts(map[string]string{"com.docker.network.driver.overlay.vxlanid_list": vni}),
	}, nopts...)
	n, err := e.c.NewNetwork("overlay", name, "", all...)
	if err != nil {
		e.t.Fatalf("NewNetwork overlay %s: %v", name, err)
	}
	return n
}

// sandbox creates a sandbox named name with its namespace handle.
func (e *bridgeEnv) sandbox(name string, opts ...libnetwork.SandboxOption) *ctr {
	e.t.Helper()
	sb, err := e.c.NewSandbox(name, opts...)
	if err != nil {
		e.t.Fatalf("NewSandbox %s: %v", name, err)
	}
	c := &ctr{sb: sb}
	if c.h, err = netns.GetFromPath(sb.Key()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.h.Close() })
	return c
}

// gwNet returns the gateway network, or nil.
func (e *bridgeEnv) gwNet() libnetwork.Network {
	n, err := e.c.(gwController).GatewayNetwork()
	if err != nil {
		if !types.IsNotFound(err) {
			e.t.Fatalf("GatewayNetwork: %v", err)
		}
		return nil
	}
	return n
}

// gwEp returns c's gateway endpoint, or nil.
func gwEp(c *ctr) libnetwork.Endpoint { return c.sb.(gwSandbox).GatewayEndpoint() }

// hasLink reports whether the host namespace has link name.
func (e *bridgeEnv) hasLink(name string) bool {
	_, err := e.hnl.LinkByName(name)
	return err == nil
}

// defaultRoute returns the gateway of c's IPv4 default route, or "".
func defaultRoute(t testing.TB, c *ctr) string {
	t.Helper()
	nl, err := netlink.NewHandleAt(c.h)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	routes, err := nl.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if (r.Dst == nil || r.Dst.String() == "0.0.0.0/0") && r.Gw != nil {
			return r.Gw.String()
		}
	}
	return ""
}

// epPorts is an endpoint option publishing container port 80 on host port.
func epPorts(host uint16) libnetwork.EndpointOption {
	return libnetwork.CreateOptionPortMapping([]types.PortBinding{{Proto: types.TCP, Port: 80, HostPort: host}})
}

// gwAddr is the address of c's gateway endpoint.
func gwAddr(t testing.TB, c *ctr) net.IP {
	t.Helper()
	ep := gwEp(c)
	if ep == nil {
		t.Fatal("no gateway endpoint")
	}
	return ep.Info().Iface().Address().IP
}

// settles waits until the host namespace holds what it held in before
// (sandbox namespaces, and the veth pairs with them, are freed by the
// kernel in the background).
func (e *bridgeEnv) settles(before snapshot) {
	e.t.Helper()
	eventually(e.t, "the host namespace as before", func() error {
		if d := e.snapshot().diff(before); d != "" {
			return &diffError{d}
		}
		return nil
	})
}

// gwNetGone waits until the gateway network and its bridge are gone (the
// controller removes an unused one in the background).
func (e *bridgeEnv) gwNetGone() {
	e.t.Helper()
	eventually(e.t, "the gateway network removed", func() error {
		if e.gwNet() != nil || e.hasLink(libnetwork.GatewayBridgeName) {
			return errStill
		}
		return nil
	})
}
