package bridge

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// TestErrorClasses checks each seed error type's class and that its
// message names the value it carries.
func TestErrorClasses(t *testing.T) {
	cause := errors.New("EPERM")
	n := &net.IPNet{IP: net.IPv4(10, 1, 0, 0).To4(), Mask: net.CIDRMask(16, 32)}
	sub := &net.IPNet{IP: net.IPv4(10, 1, 2, 0).To4(), Mask: net.CIDRMask(24, 32)}
	v6 := &net.IPNet{IP: net.ParseIP("fd00::1"), Mask: net.CIDRMask(64, 128)}
	cases := []struct {
		err   error
		class func(error) bool
		names string
	}{
		{&ErrConfigExists{}, types.IsForbidden, "already"},
		{&ErrInvalidDriverConfig{}, types.IsBadRequest, "bridge driver"},
		{&ErrInvalidNetworkConfig{}, types.IsForbidden, "network"},
		{&ErrInvalidContainerConfig{}, types.IsBadRequest, "join"},
		{&ErrInvalidEndpointConfig{}, types.IsBadRequest, "endpoint"},
		{&ErrNetworkExists{}, types.IsForbidden, "exists"},
		{&ErrIfaceName{}, types.IsInternal, "name"},
		{&ErrNoIPAddr{}, types.IsInternal, "IPv4"},
		{&ErrInvalidGateway{}, types.IsBadRequest, "gateway"},
		{&ErrInvalidContainerSubnet{}, types.IsBadRequest, "subnet"},
		{ErrInvalidMtu(70000), types.IsBadRequest, "70000"},
		{ErrInvalidPort("tcp/x"), types.IsBadRequest, "tcp/x"},
		{ErrUnsupportedAddressType("gre"), types.IsBadRequest, "gre"},
		{ErrInvalidAddressBinding("1.2.3"), types.IsBadRequest, "1.2.3"},
		{ActiveEndpointsError("net1"), types.IsForbidden, "net1"},
		{InvalidNetworkIDError("net2"), types.IsNotFound, "net2"},
		{InvalidEndpointIDError("ep1"), types.IsBadRequest, "ep1"},
		{InvalidSandboxIDError("sb1"), types.IsBadRequest, "sb1"},
		{EndpointNotFoundError("ep2"), types.IsNotFound, "ep2"},
		{NonDefaultBridgeExistError("br9"), types.IsForbidden, "br9"},
		{NonDefaultBridgeNeedsIPError("br8"), types.IsForbidden, "br8"},
		{&FixedCIDRv4Error{Net: n, Subnet: sub, Err: cause}, types.IsInternal, "10.1.2.0/24"},
		{&FixedCIDRv6Error{Net: v6, Err: cause}, types.IsInternal, "fd00::1/64"},
		{IPTableCfgError("eth7"), types.IsBadRequest, "eth7"},
		{InvalidIPTablesCfgError("nat-off"), types.IsBadRequest, "nat-off"},
		{IPv4AddrRangeError("br7"), types.IsBadRequest, "br7"},
		{&IPv4AddrAddError{IP: sub, Err: cause}, types.IsInternal, "10.1.2.0/24"},
		{&IPv6AddrAddError{IP: v6, Err: cause}, types.IsInternal, "fd00::1/64"},
		{&IPv4AddrNoMatchError{IP: net.IPv4(10, 0, 0, 1), CfgIP: net.IPv4(10, 0, 0, 2)}, types.IsBadRequest, "10.0.0.2"},
		{(*IPv6AddrNoMatchError)(v6), types.IsBadRequest, "fd00::1/64"},
		{InvalidLinkIPAddrError("300.1.1.1"), types.IsBadRequest, "300.1.1.1"},
	}
	for _, c := range cases {
		if !c.class(c.err) || !strings.Contains(c.err.Error(), c.names) {
			t.Errorf("%T: %q: wrong class or does not name %q", c.err, c.err, c.names)
		}
	}
	for _, err := range []error{&FixedCIDRv4Error{Err: cause}, &FixedCIDRv6Error{Err: cause}, &IPv4AddrAddError{Err: cause}, &IPv6AddrAddError{Err: cause}} {
		if !errors.Is(err, cause) || !strings.Contains(err.Error(), "EPERM") {
			t.Errorf("%T does not carry its cause: %v", err, err)
		}
	}
}

func TestChainConstants(t *testing.T) {
	// The names the driver programs under the default prefix.
	e := newEnv(t, withBackend(fullConfig, "iptables"), nil)
	if got := e.d.fw.v4.ChainName(chainIsolation1); got != IsolationChain {
		t.Errorf("isolation chain %q, IsolationChain %q", got, IsolationChain)
	}
	e.createNet("n1", nil, "10.80.0.0/24", "10.80.0.1/24")
	fw := firewallState(t, e.hostH)
	for _, c := range []string{DockerChain, IsolationChain} {
		if !strings.Contains(fw, ":"+c+" ") {
			t.Errorf("no chain %s in:\n%s", c, fw)
		}
	}
}

// TestDriverSeedErrors checks that the driver returns the seed's error
// types where libnetwork did, and that bad input leaves nothing behind.
func TestDriverSeedErrors(t *testing.T) {
	e := newEnv(t, fullConfig, nil)
	e.createNet("n1", nil, "10.81.0.0/24", "10.81.0.1/24")
	linksBefore, fwBefore := links(t, e.nl), firewallState(t, e.hostH)

	var mtu ErrInvalidMtu
	err := e.d.CreateNetwork("n2", netOpts(options.Generic{"Mtu": 70000}), nil, pool(t, "10.82.0.0/24", "10.82.0.1/24"), nil)
	if !errors.As(err, &mtu) || mtu != 70000 || !types.IsBadRequest(err) {
		t.Errorf("MTU 70000: %v, want ErrInvalidMtu(70000)", err)
	}

	var exists *ErrNetworkExists
	err = e.d.CreateNetwork("n1", nil, nil, pool(t, "10.83.0.0/24", "10.83.0.1/24"), nil)
	if !errors.As(err, &exists) || !types.IsForbidden(err) || !types.IsConflict(err) || !strings.Contains(err.Error(), "n1") {
		t.Errorf("network n1 again: %v, want ErrNetworkExists naming n1", err)
	}

	var gw *ErrInvalidGateway
	err = e.d.CreateNetwork("n3", nil, nil, pool(t, "10.84.0.0/24", "10.84.0.255/24"), nil)
	if !errors.As(err, &gw) || !types.IsBadRequest(err) || !strings.Contains(err.Error(), "10.84.0.255") {
		t.Errorf("broadcast gateway: %v, want ErrInvalidGateway naming it", err)
	}
	for _, aux := range []string{"10.99.0.254/24", "10.85.0.0/24", "fd00::1/64"} {
		d := pool(t, "10.85.0.0/24", "10.85.0.1/24")
		d[0].AuxAddresses = map[string]*net.IPNet{DefaultGatewayV4AuxKey: cidr(t, aux)}
		err = e.d.CreateNetwork("n4", nil, nil, d, nil)
		if !errors.As(err, &gw) || !types.IsBadRequest(err) || !strings.Contains(err.Error(), strings.Split(aux, "/")[0]) {
			t.Errorf("aux gateway %s: %v, want ErrInvalidGateway naming it", aux, err)
		}
	}

	var nid InvalidNetworkIDError
	if err := e.d.DeleteNetwork("nope"); !errors.As(err, &nid) || nid != "nope" || !types.IsNotFound(err) {
		t.Errorf("delete unknown network: %v, want InvalidNetworkIDError(nope)", err)
	}
	if err := e.d.CreateEndpoint("nope", eidA, &fakeIf{addr: cidr(t, "10.81.0.5/24")}, nil); !errors.As(err, &nid) {
		t.Errorf("endpoint on unknown network: %v, want InvalidNetworkIDError", err)
	}
	var eid InvalidEndpointIDError
	if err := e.d.CreateEndpoint("n1", "", &fakeIf{addr: cidr(t, "10.81.0.5/24")}, nil); !errors.As(err, &eid) || !types.IsBadRequest(err) {
		t.Errorf("empty endpoint ID: %v, want InvalidEndpointIDError", err)
	}
	var epCfg *ErrInvalidEndpointConfig
	if err := e.d.CreateEndpoint("n1", eidA, nil, nil); !errors.As(err, &epCfg) || !types.IsBadRequest(err) {
		t.Errorf("no interface info: %v, want ErrInvalidEndpointConfig", err)
	}
	var nf EndpointNotFoundError
	if err := e.d.DeleteEndpoint("n1", "ghost"); !errors.As(err, &nf) || nf != "ghost" || !types.IsNotFound(err) || !strings.Contains(err.Error(), "n1") {
		t.Errorf("delete unknown endpoint: %v, want EndpointNotFoundError(ghost) naming n1", err)
	}
	if err := e.d.Join("n1", "ghost", "/nonexistent", &fakeJoin{}, nil); !errors.As(err, &nf) {
		t.Errorf("join unknown endpoint: %v, want EndpointNotFoundError", err)
	}
	var ctrCfg *ErrInvalidContainerConfig
	if err := e.d.Join("n1", eidA, "/nonexistent", nil, nil); !errors.As(err, &ctrCfg) || !types.IsBadRequest(err) {
		t.Errorf("join without join info: %v, want ErrInvalidContainerConfig", err)
	}
	if got := links(t, e.nl); strings.Join(got, ",") != strings.Join(linksBefore, ",") {
		t.Errorf("links after bad input %v, before %v", got, linksBefore)
	}
	if got := firewallState(t, e.hostH); got != fwBefore {
		t.Errorf("firewall after bad input:\n%s\nbefore:\n%s", got, fwBefore)
	}

	if err := e.d.CreateEndpoint("n1", eidA, &fakeIf{addr: cidr(t, "10.81.0.5/24")}, nil); err != nil {
		t.Fatal(err)
	}
	var active ActiveEndpointsError
	if err := e.d.DeleteNetwork("n1"); !errors.As(err, &active) || active != "n1" || !types.IsForbidden(err) {
		t.Errorf("delete network with an endpoint: %v, want ActiveEndpointsError(n1)", err)
	}
	if err := e.d.DeleteEndpoint("n1", eidA); err != nil {
		t.Fatal(err)
	}
	if err := e.d.DeleteNetwork("n1"); err != nil {
		t.Fatalf("delete once empty: %v", err)
	}
}

func TestInvalidDriverConfig(t *testing.T) {
	testutils.RequireRoot(t)
	_, err := newDriver(map[string]interface{}{netlabel.GenericData: 42})
	var dc *ErrInvalidDriverConfig
	if !errors.As(err, &dc) || !types.IsBadRequest(err) || !strings.Contains(err.Error(), "int") {
		t.Fatalf("driver config of the wrong type: %v, want ErrInvalidDriverConfig", err)
	}
}

// TestAuxDefaultGateway checks that containers of a network whose IPAM
// names a default gateway route through it: a router namespace on the
// bridge answers for an address only it has.
func TestAuxDefaultGateway(t *testing.T) {
	e := newEnv(t, fullConfig, nil)
	d := pool(t, "10.86.0.0/24", "10.86.0.1/24")
	d[0].AuxAddresses = map[string]*net.IPNet{DefaultGatewayV4AuxKey: cidr(t, "10.86.0.254/24")}
	if err := e.d.CreateNetwork("n1", netOpts(options.Generic{"BridgeName": "cnmaux"}), nil, d, nil); err != nil {
		t.Fatal(err)
	}

	// The router: a namespace with 10.86.0.254 on a port of the bridge and
	// 192.0.2.1 on its loopback.
	_, rh := testutils.NewNS(t, "router")
	rnl, err := netlink.NewHandleAt(rh)
	if err != nil {
		t.Fatal(err)
	}
	defer rnl.Close()
	br, err := e.nl.LinkByName("cnmaux")
	if err != nil {
		t.Fatal(err)
	}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "cnmrtr", MasterIndex: br.Attrs().Index}, PeerName: "rtr0", PeerNamespace: netlink.NsFd(rh)}
	if err := e.nl.LinkAdd(veth); err != nil {
		t.Fatal(err)
	}
	if err := e.nl.LinkSetUp(veth); err != nil {
		t.Fatal(err)
	}
	rl, err := rnl.LinkByName("rtr0")
	if err != nil {
		t.Fatal(err)
	}
	lo, err := rnl.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []struct {
		l    netlink.Link
		addr string
	}{{rl, "10.86.0.254/24"}, {lo, "192.0.2.1/32"}} {
		if err := rnl.AddrAdd(a.l, &netlink.Addr{IPNet: cidr(t, a.addr)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := rnl.LinkSetUp(rl); err != nil {
		t.Fatal(err)
	}

	c := e.run("c1", "n1", eidA, "10.86.0.5/24")
	if !c.j.gw.Equal(ip4("10.86.0.254")) {
		t.Fatalf("gateway %v, want 10.86.0.254", c.j.gw)
	}
	eventually(t, "ping 192.0.2.1 through the router", func() error {
		return testutils.Ping(c.h, ip4("192.0.2.1"), time.Second)
	})

	// The gateway survives a restart from the store's record.
	rec := newNetworkRecord(e.d.networks["n1"].config)
	back := &networkRecord{}
	if err := back.SetValue(rec.Value()); err != nil {
		t.Fatal(err)
	}
	cfg, err := back.config()
	if err != nil || !cfg.DefaultGatewayIPv4.Equal(ip4("10.86.0.254")) {
		t.Fatalf("stored default gateway %v, %v", cfg.DefaultGatewayIPv4, err)
	}
}
