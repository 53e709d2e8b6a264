package ipam

import (
	"errors"
	"net"
	"slices"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/ipamutils"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/types"
)

// refusing is a pool filter that refuses the pools of refuse and records
// every pool it is asked about.
type refusing struct {
	refuse map[string]bool
	asked  []string
}

func (r *refusing) filter(n *net.IPNet) error {
	r.asked = append(r.asked, n.String())
	if r.refuse[n.String()] {
		return types.ForbiddenErrorf("pool %s overlaps the host: %w", n, netutils.ErrNetworkOverlaps)
	}
	return nil
}

func newRefusing(pools ...string) *refusing {
	r := &refusing{refuse: map[string]bool{}}
	for _, p := range pools {
		r.refuse[p] = true
	}
	return r
}

func poolOf(t *testing.T, a *Allocator, space string) string {
	t.Helper()
	_, n, _, err := a.RequestPool(space, "", "", nil, false)
	if err != nil {
		t.Fatalf("automatic pool of %s: %v", space, err)
	}
	return n.String()
}

func TestPoolFilterSkipsRefused(t *testing.T) {
	cases := []struct {
		name   string
		local  []string // predefined pools; nil: the defaults
		refuse []string
		want   []string // pools of successive automatic requests
		asked  []string // what the filter was asked, in order
	}{
		{
			name:   "defaults",
			refuse: []string{"172.17.0.0/16", "172.18.0.0/16"},
			want:   []string{"172.19.0.0/16", "172.20.0.0/16"},
			asked:  []string{"172.17.0.0/16", "172.18.0.0/16", "172.19.0.0/16", "172.17.0.0/16", "172.18.0.0/16", "172.20.0.0/16"},
		},
		{
			name:   "inside a merged block",
			local:  []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"},
			refuse: []string{"10.0.1.0/24"},
			want:   []string{"10.0.0.0/24", "10.0.2.0/24", "10.0.3.0/24"},
			asked:  []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.1.0/24", "10.0.3.0/24"},
		},
		{
			name:  "none refused",
			want:  []string{"172.17.0.0/16", "172.18.0.0/16"},
			asked: []string{"172.17.0.0/16", "172.18.0.0/16"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var local []*net.IPNet
			for _, p := range c.local {
				_, n, _ := net.ParseCIDR(p)
				local = append(local, n)
			}
			a, err := NewAllocatorWithPools(local, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := newRefusing(c.refuse...)
			a.SetPoolFilter(r.filter)
			var got []string
			for range c.want {
				got = append(got, poolOf(t, a, LocalDefaultAddressSpace))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("pools = %v, want %v", got, c.want)
			}
			if !slices.Equal(r.asked, c.asked) {
				t.Errorf("filter asked about %v, want %v", r.asked, c.asked)
			}
		})
	}
}

func TestPoolFilterExplicitAndGlobal(t *testing.T) {
	a, err := NewAllocatorWithPools(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := newRefusing("172.17.0.0/16", "10.0.0.0/24")
	a.SetPoolFilter(r.filter)
	// An explicit pool is never refused, in either space.
	id := mustPool(t, a, LocalDefaultAddressSpace, "172.17.0.0/16", "", false)
	mustPool(t, a, GlobalDefaultAddressSpace, "10.0.1.0/24", "", false)
	// The filter does not look at GlobalDefault.
	if got := poolOf(t, a, GlobalDefaultAddressSpace); got != "10.0.0.0/24" {
		t.Errorf("automatic global pool = %s, want 10.0.0.0/24", got)
	}
	if len(r.asked) != 0 {
		t.Errorf("filter asked about %v; want no question", r.asked)
	}
	// Nor at automatic IPv6 requests with no IPv6 candidates.
	if _, _, _, err := a.RequestPool(LocalDefaultAddressSpace, "", "", nil, true); !errors.Is(err, ipamapi.ErrNoAvailablePool) || len(r.asked) != 0 {
		t.Errorf("automatic IPv6 pool: %v, filter asked %v", err, r.asked)
	}
	// The explicit pool works as any other.
	if n := mustAddr(t, a, id, nil, nil); n.String() != "172.17.0.1/16" {
		t.Errorf("first address of 172.17.0.0/16 = %s", n)
	}
}

func TestPoolFilterAllRefused(t *testing.T) {
	_, n, _ := net.ParseCIDR("192.168.7.0/24")
	_, m, _ := net.ParseCIDR("192.168.8.0/24")
	a, err := NewAllocatorWithPools([]*net.IPNet{n, m}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := newRefusing("192.168.7.0/24", "192.168.8.0/24")
	a.SetPoolFilter(r.filter)
	_, _, _, err = a.RequestPool(LocalDefaultAddressSpace, "", "", nil, false)
	expectErr(t, "every candidate refused", err, ipamapi.ErrNoAvailablePool, LocalDefaultAddressSpace, "2 refused")
	if len(a.pools) != 0 {
		t.Fatalf("a refused request left pools %v", a.pools)
	}
	// Nothing was reserved: without a filter the first candidate is free.
	a.SetPoolFilter(nil)
	if got := poolOf(t, a, LocalDefaultAddressSpace); got != "192.168.7.0/24" {
		t.Errorf("pool without a filter = %s", got)
	}
}

// The filter runs without the allocator's lock: it may use the allocator,
// and a pool taken while it runs is not given twice.
func TestPoolFilterOffTheLock(t *testing.T) {
	a, err := NewAllocatorWithPools(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := mustPool(t, a, LocalDefaultAddressSpace, "192.168.100.0/24", "", false)
	taken := false
	var asked []string
	a.SetPoolFilter(func(n *net.IPNet) error {
		asked = append(asked, n.String())
		// An address request of another pool does not wait for the check.
		mustAddr(t, a, other, nil, nil)
		if !taken {
			// Someone else takes the candidate while it is checked.
			taken = true
			mustPool(t, a, LocalDefaultAddressSpace, n.String(), "", false)
		}
		return nil
	})
	if got := poolOf(t, a, LocalDefaultAddressSpace); got != "172.18.0.0/16" {
		t.Errorf("pool = %s, want 172.18.0.0/16 (172.17.0.0/16 was taken during its check)", got)
	}
	if !slices.Equal(asked, []string{"172.17.0.0/16", "172.18.0.0/16"}) {
		t.Errorf("filter asked about %v", asked)
	}
}

// NewAllocator's allocators avoid the networks of the namespace they run
// in and the nameservers of /etc/resolv.conf, as libnetwork's.
func TestNewAllocatorHostFilter(t *testing.T) {
	testutils.SetupTestOSContext(t)
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "docker0"}}
	if err := netlink.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	_, bn, _ := net.ParseCIDR("172.17.0.1/16")
	bn.IP = net.ParseIP("172.17.0.1").To4()
	if err := netlink.AddrAdd(br, &netlink.Addr{IPNet: bn}); err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(br); err != nil {
		t.Fatal(err)
	}
	ipamutils.InitNetworks()
	free, err := netutils.FindAvailableNetwork(ipamutils.PredefinedBroadNetworks)
	if err != nil {
		t.Fatal(err)
	}
	a := newAlloc(t)
	got := poolOf(t, a, LocalDefaultAddressSpace)
	if got == "172.17.0.0/16" || got != free.String() {
		t.Errorf("automatic pool beside docker0 = %s, want %s (not 172.17.0.0/16)", got, free)
	}
	// An explicit request for the bridge's pool is not refused.
	mustPool(t, a, LocalDefaultAddressSpace, "172.17.0.0/16", "", false)
	// HostPoolFilter itself.
	if err := HostPoolFilter(bn); !errors.Is(err, netutils.ErrNetworkOverlaps) {
		t.Errorf("HostPoolFilter(%s) = %v", bn, err)
	}
}

// A store-backed space: a refused candidate writes nothing, and another
// allocator over the store sees the pool chosen.
func TestPoolFilterStore(t *testing.T) {
	ds := openBolt(t, t.TempDir())
	defer ds.Close()
	a := storeAlloc(t, ds, nil)
	r := newRefusing("172.17.0.0/16")
	a.SetPoolFilter(r.filter)
	if got := poolOf(t, a, LocalDefaultAddressSpace); got != "172.18.0.0/16" {
		t.Fatalf("pool = %s, want 172.18.0.0/16", got)
	}
	b := storeAlloc(t, ds, nil)
	b.SetPoolFilter(nil)
	if got := poolOf(t, b, LocalDefaultAddressSpace); got != "172.17.0.0/16" {
		t.Errorf("pool of a second allocator = %s, want 172.17.0.0/16 (172.18 is in the store)", got)
	}
	if got := poolOf(t, a, LocalDefaultAddressSpace); got != "172.19.0.0/16" {
		t.Errorf("next pool of the first allocator = %s, want 172.19.0.0/16", got)
	}
}
