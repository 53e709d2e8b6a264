package libnetwork

import (
	"net"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

// A driver that fails CreateEndpoint must not keep the endpoint's address.
func TestCreateEndpointFailureReleasesAddress(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("undo", "10.31.0.0/29", NetworkOptionEnableIPv6(true),
		NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.31.0.0/29"}}, []*IpamConf{{PreferredPool: "fd31::/64"}}, nil))
	want := net.ParseIP("10.31.0.2")
	want6 := net.ParseIP("fd31::2")
	fail := EndpointOptionGeneric(map[string]interface{}{fakeFailCreate: true})
	// More failures than the /29 has addresses.
	for i := 0; i < 8; i++ {
		_, err := n.CreateEndpoint("bad", fail, CreateOptionIpam(want, want6, nil))
		if !types.IsInternal(err) {
			t.Fatalf("attempt %d: want the driver's internal error, got %v", i, err)
		}
	}
	ep := must(n.CreateEndpoint("good", CreateOptionIpam(want, want6, nil)))(t)
	if a := ep.Info().Iface().Address(); a == nil || !a.IP.Equal(want) {
		t.Fatalf("address %v after failed attempts, want %s: the failures kept it", a, want)
	}
	if a := ep.Info().Iface().AddressIPv6(); a == nil || !a.IP.Equal(want6) {
		t.Fatalf("IPv6 address %v after failed attempts, want %s", a, want6)
	}
	for i := 0; i < 4; i++ {
		check(t, ep.Delete(false))
		ep = must(n.CreateEndpoint("good", CreateOptionIpam(want, want6, nil)))(t)
	}
}

// With NetworkOptionDeferIPv6Alloc the IPv6 address is the one the driver
// chose in CreateEndpoint, and IPAM reserves it.
func TestDeferIPv6Alloc(t *testing.T) {
	e := newTestEnv(t)
	v6 := []*IpamConf{{PreferredPool: "fd32::/64"}}
	choose := EndpointOptionGeneric(map[string]interface{}{fakeSetIPv6: "fd32::42/64"})

	n := must(e.c.NewNetwork(fakeType, "deferred", "", NetworkOptionEnableIPv6(true), NetworkOptionDeferIPv6Alloc(true),
		NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.32.0.0/24"}}, v6, nil)))(t)
	ep := must(n.CreateEndpoint("a", choose))(t)
	if a := ep.Info().Iface().AddressIPv6(); a == nil || a.String() != "fd32::42/64" {
		t.Fatalf("IPv6 address %v, want the driver's fd32::42/64", a)
	}
	if _, err := n.CreateEndpoint("b", CreateOptionIpam(nil, net.ParseIP("fd32::42"), nil)); err == nil {
		t.Fatal("the driver's IPv6 address was not reserved in IPAM")
	}
	// Without a driver's choice, IPAM's.
	other := must(n.CreateEndpoint("c"))(t)
	if a := other.Info().Iface().AddressIPv6(); a == nil || a.IP.Equal(net.ParseIP("fd32::42")) {
		t.Fatalf("IPv6 address %v", a)
	}
	check(t, ep.Delete(false))
	if _, err := n.CreateEndpoint("d", CreateOptionIpam(nil, net.ParseIP("fd32::42"), nil)); err != nil {
		t.Fatalf("deleting the endpoint did not release its deferred IPv6 address: %v", err)
	}
	// The option survives a restart.
	e.restart()
	rn := must(e.c.NetworkByName("deferred"))(t)
	if !rn.(*network).postIPv6 {
		t.Fatal("NetworkOptionDeferIPv6Alloc lost at restart")
	}

	// Without the option the driver cannot set an address IPAM gave.
	m := must(e.c.NewNetwork(fakeType, "eager", "", NetworkOptionEnableIPv6(true),
		NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.33.0.0/24"}}, []*IpamConf{{PreferredPool: "fd33::/64"}}, nil)))(t)
	if _, err := m.CreateEndpoint("a", EndpointOptionGeneric(map[string]interface{}{fakeSetIPv6: "fd33::42/64"})); !types.IsForbidden(err) {
		t.Fatalf("want Forbidden, got %v", err)
	}
}
