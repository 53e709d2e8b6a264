package libnetwork

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// The default IPAM's automatic pools skip the networks of the controller's
// host namespace (routes, link addresses) and its host resolv.conf's
// nameservers, read through the controller's handle whatever thread asks.
func TestHostPoolFilter(t *testing.T) {
	rc := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(rc, []byte("nameserver 172.19.0.53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, config.OptionHostResolvConf(rc))
	nlh, err := netlink.NewHandleAt(e.hostNS)
	if err != nil {
		t.Fatal(err)
	}
	defer nlh.Close()
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "docker0"}}
	check(t, nlh.LinkAdd(br))
	check(t, nlh.AddrAdd(br, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(172, 17, 0, 1).To4(), Mask: net.CIDRMask(16, 32)}}))
	check(t, nlh.LinkSetUp(br))
	_, via, _ := net.ParseCIDR("172.18.0.0/16")
	check(t, nlh.RouteAdd(&netlink.Route{LinkIndex: br.Attrs().Index, Dst: via}))

	cases := []struct {
		pool string
		want error
	}{
		{"172.17.0.0/16", netutils.ErrNetworkOverlaps},
		{"172.18.0.0/16", netutils.ErrNetworkOverlaps},
		{"172.19.0.0/16", netutils.ErrNetworkOverlapsWithNameservers},
		{"172.20.0.0/16", nil},
	}
	for _, c := range cases {
		_, p, _ := net.ParseCIDR(c.pool)
		// From a goroutine on a thread of the process namespace, which
		// has none of these networks.
		done := make(chan error)
		go func() { done <- e.c.hostPoolFilter(p) }()
		if err := <-done; (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("hostPoolFilter(%s) = %v, want %v", c.pool, err, c.want)
		}
	}

	n, err := e.c.NewNetwork(fakeType, "auto", "", NetworkOptionIpam("default", "", nil, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if v4, _ := n.Info().IpamInfo(); len(v4) != 1 || v4[0].Pool.String() != "172.20.0.0/16" {
		t.Fatalf("automatic pool = %v, want 172.20.0.0/16", v4)
	}
	// An explicit pool overlapping the host is given.
	e.fakeNetwork("explicit", "172.17.0.0/16")

	c := e.c
	c.Stop()
	e.c = nil
	_, p, _ := net.ParseCIDR("172.21.0.0/16")
	if err := c.hostPoolFilter(p); !types.IsForbidden(err) {
		t.Errorf("hostPoolFilter after Stop = %v, want Forbidden", err)
	}
}
