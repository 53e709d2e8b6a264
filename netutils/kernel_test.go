package netutils

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// addLink adds an up bridge link (this kernel may lack the dummy type) with
// addrs (CIDRs, host part kept) to the namespace of nlh (nil: the
// current one).
func addLink(t *testing.T, nlh *netlink.Handle, name string, addrs ...string) netlink.Link {
	t.Helper()
	if nlh == nil {
		nlh = &netlink.Handle{}
	}
	l := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}
	if err := nlh.LinkAdd(l); err != nil {
		t.Fatalf("add %s: %v", name, err)
	}
	if err := nlh.LinkSetUp(l); err != nil {
		t.Fatalf("up %s: %v", name, err)
	}
	for _, a := range addrs {
		n, err := types.ParseCIDR(a)
		if err != nil {
			t.Fatal(err)
		}
		// nodad: an IPv6 address must not wait for duplicate detection.
		if err := nlh.AddrAdd(l, &netlink.Addr{IPNet: n, Flags: 0x02}); err != nil {
			t.Fatalf("address %s on %s: %v", a, name, err)
		}
	}
	return l
}

func route(t *testing.T, l netlink.Link, dst string) {
	t.Helper()
	r := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: cidr(t, dst)}
	if err := netlink.RouteAdd(r); err != nil {
		t.Fatalf("route %s: %v", dst, err)
	}
}

func nameservers(t *testing.T, lines string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(p, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	old := resolvConfPath
	resolvConfPath = p
	t.Cleanup(func() { resolvConfPath = old })
}

func TestCheckNameserverOverlaps(t *testing.T) {
	cases := []struct {
		ns      []string
		n       string
		overlap bool
	}{
		{[]string{"10.0.0.2/32"}, "10.0.0.0/24", true},
		{[]string{"8.8.8.8/32", "172.17.0.1/32"}, "172.17.0.0/16", true},
		{[]string{"10.0.0.2/32"}, "10.0.1.0/24", false},
		{[]string{"fd00::53/128"}, "fd00::/64", true},
		{nil, "10.0.0.0/8", false},
	}
	for _, c := range cases {
		err := CheckNameserverOverlaps(c.ns, cidr(t, c.n))
		if c.overlap != (err != nil) {
			t.Errorf("CheckNameserverOverlaps(%v, %s) = %v", c.ns, c.n, err)
		}
		if c.overlap && (!errors.Is(err, ErrNetworkOverlapsWithNameservers) || !types.IsForbidden(err) || !strings.Contains(err.Error(), c.n)) {
			t.Errorf("overlap error %v: want Forbidden wrapping ErrNetworkOverlapsWithNameservers, naming %s", err, c.n)
		}
	}
	if err := CheckNameserverOverlaps([]string{"10.0.0.2"}, cidr(t, "10.0.0.0/8")); !types.IsBadRequest(err) || !strings.Contains(err.Error(), `"10.0.0.2"`) {
		t.Errorf("nameserver not a CIDR: %v", err)
	}
}

func TestCheckRouteOverlaps(t *testing.T) {
	testutils.SetupTestOSContext(t)
	l := addLink(t, nil, "dm0", "10.55.0.1/24", "fd55::1/64")
	route(t, l, "192.0.2.0/24")
	route(t, l, "0.0.0.0/0")
	cases := []struct {
		n, with string
	}{
		{"10.55.0.0/16", "10.55.0.0/24"},
		{"10.55.0.128/25", "10.55.0.0/24"},
		{"192.0.2.64/26", "192.0.2.0/24"},
		{"fd55::/48", "fd55::/64"},
		{"10.56.0.0/24", ""},
		{"172.17.0.0/16", ""}, // the default route does not count
		{"fd56::/64", ""},
	}
	for _, c := range cases {
		err := CheckRouteOverlaps(cidr(t, c.n))
		if c.with == "" {
			if err != nil {
				t.Errorf("CheckRouteOverlaps(%s) = %v", c.n, err)
			}
			continue
		}
		if !errors.Is(err, ErrNetworkOverlaps) || !types.IsForbidden(err) || !strings.Contains(err.Error(), c.with) {
			t.Errorf("CheckRouteOverlaps(%s) = %v, want ErrNetworkOverlaps naming %s", c.n, err, c.with)
		}
	}
}

func TestFindAvailableNetwork(t *testing.T) {
	testutils.SetupTestOSContext(t)
	nameservers(t, "# test\nnameserver 172.17.0.5\nnameserver fe80::1%eth0\nsearch example.org\n")
	l := addLink(t, nil, "dm0", "172.18.3.1/24")
	route(t, l, "172.19.0.0/16")
	list := []*net.IPNet{cidr(t, "172.17.0.0/16"), cidr(t, "172.18.0.0/16"), cidr(t, "172.19.0.0/16"), cidr(t, "172.20.0.0/16")}
	got, err := FindAvailableNetwork(list)
	if err != nil || got.String() != "172.20.0.0/16" {
		t.Fatalf("FindAvailableNetwork = %v, %v; want 172.20.0.0/16", got, err)
	}
	if _, err := FindAvailableNetwork(list[:3]); !types.IsNotFound(err) {
		t.Fatalf("no free network: %v, want NotFound", err)
	}
	nameservers(t, "") // no nameservers: 172.17 is free again
	if got, err := FindAvailableNetwork(list); err != nil || got.String() != "172.17.0.0/16" {
		t.Fatalf("FindAvailableNetwork without nameservers = %v, %v", got, err)
	}
}

func TestElectInterfaceAddresses(t *testing.T) {
	testutils.SetupTestOSContext(t)
	nameservers(t, "nameserver 172.17.0.1\n")
	addLink(t, nil, "br-both", "10.9.0.1/16", "10.10.0.1/16", "fd09::1/64")
	v4, v6, err := ElectInterfaceAddresses("br-both")
	if err != nil || v4.String() != "10.9.0.1/16" {
		t.Fatalf("addresses of br-both = %v %v, %v", v4, v6, err)
	}
	var six []string
	for _, n := range v6 {
		six = append(six, n.String())
	}
	if !strings.Contains(strings.Join(six, " "), "fd09::1/64") {
		t.Fatalf("IPv6 addresses of br-both = %v", six)
	}

	// Without an IPv4 address, or without the link, a free broad network:
	// 172.17/16 holds the nameserver, 172.18/16 a route.
	l := addLink(t, nil, "br-six", "fd0a::1/64")
	route(t, l, "172.18.0.0/16")
	v4, v6, err = ElectInterfaceAddresses("br-six")
	if err != nil || v4.String() != "172.19.0.0/16" || len(v6) == 0 {
		t.Fatalf("addresses of br-six = %v %v, %v; want 172.19.0.0/16 and its IPv6", v4, v6, err)
	}
	v4, v6, err = ElectInterfaceAddresses("br-absent")
	if err != nil || v4.String() != "172.19.0.0/16" || v6 != nil {
		t.Fatalf("addresses of an absent link = %v %v, %v", v4, v6, err)
	}
	v4.IP[1] = 99
	if broadNetworks[2].String() != "172.19.0.0/16" {
		t.Fatal("the elected network aliases the candidate list")
	}
}

func TestGetIfaceAddr(t *testing.T) {
	testutils.SetupTestOSContext(t)
	addLink(t, nil, "dm0", "10.1.0.1/24", "10.2.0.1/24", "fd01::1/64")
	addLink(t, nil, "dm6", "fd02::1/64")
	v4, v6, err := GetIfaceAddr("dm0")
	if err != nil || v4.String() != "10.1.0.1/24" {
		t.Fatalf("GetIfaceAddr(dm0) = %v %v, %v", v4, v6, err)
	}
	found := false
	for _, a := range v6 {
		found = found || a.String() == "fd01::1/64"
	}
	if !found {
		t.Fatalf("IPv6 addresses of dm0 = %v", v6)
	}
	for _, name := range []string{"dm6", "absent0"} {
		if _, _, err := GetIfaceAddr(name); !types.IsNotFound(err) || !strings.Contains(err.Error(), name) {
			t.Errorf("GetIfaceAddr(%s) = %v, want NotFound naming it", name, err)
		}
	}
}

func TestGenerateIfaceName(t *testing.T) {
	testutils.SetupTestOSContext(t)
	name, err := GenerateIfaceName("veth", 7)
	if err != nil || len(name) != 11 || !strings.HasPrefix(name, "veth") {
		t.Fatalf("GenerateIfaceName = %q, %v", name, err)
	}
	// With one random character there are 16 names; take them all here.
	for _, c := range "0123456789abcdef" {
		addLink(t, nil, "tk"+string(c))
	}
	if _, err := GenerateIfaceName("tk", 1); !types.IsInternal(err) {
		t.Fatalf("all names taken: %v, want an Internal error", err)
	}
	// Another namespace has them all free.
	_, h := testutils.NewNS(t, "other")
	nlh, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nlh.Close()
	name, err = GenerateIfaceNameAt(nlh, "tk", 1)
	if err != nil || len(name) != 3 {
		t.Fatalf("GenerateIfaceNameAt(other) = %q, %v", name, err)
	}
	addLink(t, nlh, name)
	for _, bad := range []struct {
		prefix string
		size   int
	}{{"tk", 0}, {"averylongprefix", 2}, {"a/b", 3}} {
		if _, err := GenerateIfaceName(bad.prefix, bad.size); !types.IsBadRequest(err) {
			t.Errorf("GenerateIfaceName(%q, %d) = %v, want BadRequest", bad.prefix, bad.size, err)
		}
	}
}
