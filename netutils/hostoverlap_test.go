package netutils

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// hostNS returns a handle in a new namespace of the test: the host the
// checks look at, not the namespace the test runs in.
func hostNS(t *testing.T) *netlink.Handle {
	t.Helper()
	_, h := testutils.NewNS(t, "host")
	nlh, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nlh.Close)
	return nlh
}

func TestCheckRouteOverlapsAt(t *testing.T) {
	nlh := hostNS(t)
	// docker0-like bridge: its address adds a connected route.
	addLink(t, nlh, "docker0", "172.17.0.1/16", "fd17::1/64")
	// A /32 address adds no route to the main table: only the address
	// check sees it.
	addLink(t, nlh, "br-host", "172.20.5.5/32")
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "veth-a"}, PeerName: "veth-b"}
	if err := nlh.LinkAdd(veth); err != nil {
		t.Fatalf("add veth: %v", err)
	}
	if err := nlh.LinkSetUp(veth); err != nil {
		t.Fatal(err)
	}
	for _, dst := range []string{"172.19.0.0/16", "0.0.0.0/0"} {
		if err := nlh.RouteAdd(&netlink.Route{LinkIndex: veth.Attrs().Index, Dst: cidr(t, dst)}); err != nil {
			t.Fatalf("route %s via veth-a: %v", dst, err)
		}
	}
	cases := []struct {
		n    string
		with []string // what the error names; none: no overlap
	}{
		{"172.17.0.0/16", []string{"172.17.0.0/16"}},
		{"172.17.128.0/20", []string{"172.17.0.0/16"}},
		{"172.16.0.0/12", []string{"172.17.0.0/16"}},
		{"172.19.0.0/16", []string{"172.19.0.0/16"}},
		{"172.20.0.0/16", []string{"172.20.5.5/32", "br-host"}},
		{"fd17::/48", []string{"fd17::/64"}},
		{"172.18.0.0/16", nil},
		{"172.21.0.0/16", nil}, // the default route does not count
		{"fd18::/64", nil},
	}
	for _, c := range cases {
		err := CheckRouteOverlapsAt(nlh, cidr(t, c.n))
		if c.with == nil {
			if err != nil {
				t.Errorf("CheckRouteOverlapsAt(%s) = %v", c.n, err)
			}
			continue
		}
		if !errors.Is(err, ErrNetworkOverlaps) || !types.IsForbidden(err) {
			t.Errorf("CheckRouteOverlapsAt(%s) = %v, want Forbidden wrapping ErrNetworkOverlaps", c.n, err)
			continue
		}
		for _, w := range append(c.with, c.n) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("CheckRouteOverlapsAt(%s) = %v, want it to name %s", c.n, err, w)
			}
		}
	}
	// The calling thread's namespace has none of them.
	testutils.SetupTestOSContext(t)
	if err := CheckRouteOverlapsAt(nil, cidr(t, "172.17.0.0/16")); err != nil {
		t.Errorf("CheckRouteOverlapsAt(nil) read another namespace: %v", err)
	}
	if err := CheckRouteOverlapsAt(nlh, nil); !types.IsBadRequest(err) {
		t.Errorf("no network: %v, want BadRequest", err)
	}
}

func TestCheckResolvConfOverlaps(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(file, []byte("# host\nnameserver 172.18.0.53\nnameserver fd53::53\nnameserver fe80::1%eth0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nameservers(t, "nameserver 192.168.0.1\n") // the default file
	cases := []struct {
		path, n string
		holds   string // the nameserver named; "": none
	}{
		{file, "172.18.0.0/16", "172.18.0.53/32"},
		{file, "172.16.0.0/12", "172.18.0.53/32"},
		{file, "fd53::/64", "fd53::53/128"},
		{file, "172.17.0.0/16", ""},
		{file, "192.168.0.0/20", ""},
		{"", "192.168.0.0/20", "192.168.0.1/32"},
		{"", "172.18.0.0/16", ""},
		{filepath.Join(dir, "absent"), "172.18.0.0/16", ""},
	}
	for _, c := range cases {
		err := CheckResolvConfOverlaps(c.path, cidr(t, c.n))
		if c.holds == "" {
			if err != nil {
				t.Errorf("CheckResolvConfOverlaps(%q, %s) = %v", c.path, c.n, err)
			}
			continue
		}
		if !errors.Is(err, ErrNetworkOverlapsWithNameservers) || !types.IsForbidden(err) || !strings.Contains(err.Error(), c.holds) {
			t.Errorf("CheckResolvConfOverlaps(%q, %s) = %v, want ErrNetworkOverlapsWithNameservers naming %s", c.path, c.n, err, c.holds)
		}
	}
	if err := CheckResolvConfOverlaps(file, nil); !types.IsBadRequest(err) {
		t.Errorf("no network: %v, want BadRequest", err)
	}
}

func TestCheckAvailableNetworkAt(t *testing.T) {
	nlh := hostNS(t)
	addLink(t, nlh, "docker0", "172.17.0.1/16")
	file := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(file, []byte("nameserver 172.18.0.53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		n    string
		want error
	}{
		{"172.17.0.0/16", ErrNetworkOverlaps},
		{"172.18.0.0/16", ErrNetworkOverlapsWithNameservers},
		{"172.19.0.0/16", nil},
	}
	for _, c := range cases {
		err := CheckAvailableNetworkAt(nlh, file, cidr(t, c.n))
		if (c.want == nil && err != nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("CheckAvailableNetworkAt(%s) = %v, want %v", c.n, err, c.want)
		}
	}
}
