package ipam

import (
	"fmt"
	"net"
	"testing"

	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/types"
)

func TestRegister(t *testing.T) {
	var cb fakeCallback
	if err := Register(&cb, nil, nil); err != nil {
		t.Fatal(err)
	}
	if cb.name != ipamapi.DefaultIPAM || cb.drv == nil || !cb.cap.RequiresRequestReplay {
		t.Fatalf("registered %q %v %+v", cb.name, cb.drv, cb.cap)
	}
	l, g, err := cb.drv.GetDefaultAddressSpaces()
	if l != "LocalDefault" || g != "GlobalDefault" || err != nil {
		t.Fatalf("GetDefaultAddressSpaces = %s, %s, %v", l, g, err)
	}
	bad := &net.IPNet{IP: net.ParseIP("10.0.0.0"), Mask: net.IPMask{255, 0, 255, 0}}
	if err := Register(&cb, []*net.IPNet{bad}, nil); err == nil {
		t.Fatalf("Register with a bad pool succeeded")
	} else {
		expectErr(t, "bad predefined pool", err, ipamapi.ErrInvalidPool)
	}
}

func TestAutomaticPools(t *testing.T) {
	a := newAlloc(t)
	id, nw, _, err := a.RequestPool("LocalDefault", "", "", nil, false)
	if err != nil || id != "LocalDefault/172.17.0.0/16" || nw.String() != "172.17.0.0/16" {
		t.Fatalf("first automatic pool = %s %v %v", id, nw, err)
	}
	// An explicit pool in use is skipped by the automatic choice.
	mustPool(t, a, "LocalDefault", "172.18.1.0/24", "", false)
	if id := mustPool(t, a, "LocalDefault", "", "", false); id != "LocalDefault/172.19.0.0/16" {
		t.Fatalf("automatic pool = %s, want 172.19.0.0/16", id)
	}
	// A released pool is chosen again.
	if err := a.ReleasePool("LocalDefault/172.17.0.0/16"); err != nil {
		t.Fatal(err)
	}
	if id := mustPool(t, a, "LocalDefault", "", "", false); id != "LocalDefault/172.17.0.0/16" {
		t.Fatalf("automatic pool after release = %s", id)
	}
	// Global space: /24s of 10.0.0.0/8, skipping a /23 in use.
	mustPool(t, a, "GlobalDefault", "10.0.0.0/23", "", false)
	if id := mustPool(t, a, "GlobalDefault", "", "", false); id != "GlobalDefault/10.0.2.0/24" {
		t.Fatalf("global automatic pool = %s", id)
	}
	// Address spaces are independent.
	mustPool(t, a, "LocalDefault", "10.0.0.0/8", "", false)
}

func TestDefaultPoolsRunOut(t *testing.T) {
	a := newAlloc(t)
	var want []string
	for i := 17; i <= 31; i++ {
		want = append(want, fmt.Sprintf("172.%d.0.0/16", i))
	}
	for i := 0; i < 256; i += 16 {
		want = append(want, fmt.Sprintf("192.168.%d.0/20", i))
	}
	for _, w := range want {
		_, nw, _, err := a.RequestPool("LocalDefault", "", "", nil, false)
		if err != nil || nw.String() != w {
			t.Fatalf("automatic pool = %v, %v; want %s", nw, err, w)
		}
	}
	before := a.DumpDatabase()
	_, _, _, err := a.RequestPool("LocalDefault", "", "", nil, false)
	expectErr(t, "local pools exhausted", err, ipamapi.ErrNoAvailablePool, "LocalDefault")
	if after := a.DumpDatabase(); after != before {
		t.Fatalf("failed request changed state")
	}
}

func TestGlobalDefaultRunsOut(t *testing.T) {
	if testing.Short() {
		t.Skip("reserves 65,536 pools")
	}
	a := newAlloc(t)
	for i := range 1 << 16 {
		_, nw, _, err := a.RequestPool("GlobalDefault", "", "", nil, false)
		if want := fmt.Sprintf("10.%d.%d.0/24", i>>8, i&0xff); err != nil || nw.String() != want {
			t.Fatalf("pool %d = %v, %v; want %s", i, nw, err, want)
		}
	}
	_, _, _, err := a.RequestPool("GlobalDefault", "", "", nil, false)
	expectErr(t, "global pools exhausted", err, ipamapi.ErrNoAvailablePool, "GlobalDefault")
}

func TestConfiguredPools(t *testing.T) {
	_, p1, _ := net.ParseCIDR("192.0.2.0/25")
	_, p2, _ := net.ParseCIDR("fd01::/64")
	a, err := NewAllocatorWithPools([]*net.IPNet{p1, p2}, []*net.IPNet{})
	if err != nil {
		t.Fatal(err)
	}
	if id := mustPool(t, a, "LocalDefault", "", "", true); id != "LocalDefault/fd01::/64" {
		t.Fatalf("automatic IPv6 pool = %s", id)
	}
	if id := mustPool(t, a, "LocalDefault", "", "", false); id != "LocalDefault/192.0.2.0/25" {
		t.Fatalf("automatic IPv4 pool = %s", id)
	}
	for _, v6 := range []bool{false, true} {
		_, _, _, err := a.RequestPool("LocalDefault", "", "", nil, v6)
		expectErr(t, "configured pools exhausted", err, ipamapi.ErrNoAvailablePool)
	}
	// An empty (non-nil) list configures no automatic pools.
	_, _, _, err = a.RequestPool("GlobalDefault", "", "", nil, false)
	expectErr(t, "no global pools", err, ipamapi.ErrNoAvailablePool, "GlobalDefault")
	// The defaults have no IPv6 pools.
	_, _, _, err = newAlloc(t).RequestPool("LocalDefault", "", "", nil, true)
	expectErr(t, "automatic IPv6", err, ipamapi.ErrNoAvailablePool, "IPv6", "request a subnet")
	// Retrying does not help: not NoService (503), which clients retry.
	if !types.IsForbidden(err) {
		t.Fatalf("automatic IPv6: %v is not Forbidden", err)
	}
}

func TestPoolOverlap(t *testing.T) {
	cases := []struct {
		name             string
		first, firstSub  string
		second, secndSub string
		ok               bool
	}{
		{"same pool", "10.1.0.0/16", "", "10.1.0.0/16", "", false},
		{"same pool, non-canonical", "10.1.0.0/16", "", "10.1.2.3/16", "", false},
		{"inside", "10.1.0.0/16", "", "10.1.2.0/24", "", false},
		{"around", "10.1.2.0/24", "", "10.0.0.0/8", "", false},
		{"disjoint", "10.1.0.0/16", "", "10.2.0.0/16", "", true},
		{"adjacent", "10.1.0.0/24", "", "10.1.1.0/24", "", true},
		{"pool then its sub-pool", "10.1.0.0/16", "", "10.1.0.0/16", "10.1.1.0/24", true},
		{"sub-pools of one pool", "10.1.0.0/16", "10.1.2.0/24", "10.1.0.0/16", "10.1.3.0/24", true},
		{"same sub-pool twice", "10.1.0.0/16", "10.1.2.0/24", "10.1.0.0/16", "10.1.2.0/24", false},
		{"pool after its sub-pool", "10.1.0.0/16", "10.1.2.0/24", "10.1.0.0/16", "", false},
		{"sub-pool of an overlapping pool", "10.1.0.0/16", "", "10.0.0.0/8", "10.2.0.0/16", false},
		{"IPv6 inside", "fd00::/48", "", "fd00:0:0:1::/64", "", false},
		{"IPv6 disjoint", "fd00::/48", "", "fd00:1::/48", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newAlloc(t)
			v6 := c.first[0] == 'f'
			mustPool(t, a, "LocalDefault", c.first, c.firstSub, v6)
			before := a.DumpDatabase()
			_, _, _, err := a.RequestPool("LocalDefault", c.second, c.secndSub, nil, v6)
			if c.ok {
				if err != nil {
					t.Fatalf("second request: %v", err)
				}
				return
			}
			expectErr(t, c.name, err, ipamapi.ErrPoolOverlap)
			if after := a.DumpDatabase(); after != before {
				t.Fatalf("rejected request changed state:\n%s\n%s", before, after)
			}
		})
	}
}

func TestPoolIDAndRefCount(t *testing.T) {
	a := newAlloc(t)
	id2 := mustPool(t, a, "LocalDefault", "10.1.0.0/16", "", false)
	id1, nw, _, err := a.RequestPool("LocalDefault", "10.1.2.3/16", "10.1.7.9/24", nil, false)
	if err != nil || id1 != "LocalDefault/10.1.0.0/16/10.1.7.0/24" || nw.String() != "10.1.0.0/16" {
		t.Fatalf("RequestPool = %s %v %v", id1, nw, err)
	}
	ip := mustAddr(t, a, id2, net.ParseIP("10.1.0.9"), nil)
	if err := a.ReleasePool(id1); err != nil {
		t.Fatal(err)
	}
	// The pool lives on through id2, with its addresses.
	_, _, err = a.RequestAddress(id2, ip.IP, nil)
	expectErr(t, "address still held", err, ipamapi.ErrIPAlreadyAllocated, "10.1.0.9")
	if err := a.ReleasePool(id2); err != nil {
		t.Fatal(err)
	}
	err = a.ReleasePool(id2)
	expectErr(t, "double pool release", err, ipamapi.ErrPoolNotFound, id2)
	// Same request, same ID, fresh pool.
	if id := mustPool(t, a, "LocalDefault", "10.1.0.0/16", "", false); id != id2 {
		t.Fatalf("re-requested ID %s, want %s", id, id2)
	}
	mustAddr(t, a, id2, ip.IP, nil)
	v6 := mustPool(t, a, "LocalDefault", "fd00:0:0:0:0:0:0:0/64", "", true)
	if v6 != "LocalDefault/fd00::/64" {
		t.Fatalf("IPv6 pool ID %s", v6)
	}
}

func TestDumpDatabase(t *testing.T) {
	a := newAlloc(t)
	id := mustPool(t, a, "LocalDefault", "10.1.0.0/16", "10.1.2.0/24", false)
	mustAddr(t, a, id, nil, nil)
	d := a.DumpDatabase()
	for _, want := range []string{"\n\nGlobalDefault Config", "\n\nLocalDefault Config",
		"\nLocalDefault/10.1.0.0/16: ParentKey: /, Pool: 10.1.0.0/16, Range: <nil>, RefCount: 1",
		"\n" + id + ": ParentKey: LocalDefault/10.1.0.0/16, Pool: 10.1.0.0/16, Range: Sub: 10.1.2.0/24, range [512, 767], RefCount: 1",
		"\n\nBitmasks\nLocalDefault/10.1.0.0/16: ", "Unselected: 65533"} {
		if !contains(d, want) {
			t.Errorf("dump lacks %q:\n%s", want, d)
		}
	}
}
