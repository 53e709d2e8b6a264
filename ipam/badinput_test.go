package ipam

import (
	"net"
	"testing"

	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
)

// TestBadInput checks that each bad input gets the right typed error naming
// the bad value and leaves the allocator unchanged.
func TestBadInput(t *testing.T) {
	a := newAlloc(t)
	id := mustPool(t, a, "LocalDefault", "10.1.0.0/16", "10.1.2.0/24", false)
	full := mustPool(t, a, "LocalDefault", "192.0.2.0/30", "", false)
	mustAddr(t, a, full, nil, nil)
	mustAddr(t, a, full, nil, nil)
	mustAddr(t, a, id, net.ParseIP("10.1.0.5"), nil)
	mustAddr(t, a, id, nil, serialOpt)
	six := mustPool(t, a, "LocalDefault", "fd00::/64", "", true)

	pool := func(space, p, sub string, opts map[string]string, v6 bool) func() error {
		return func() error { _, _, _, err := a.RequestPool(space, p, sub, opts, v6); return err }
	}
	addr := func(id string, ip net.IP, opts map[string]string) func() error {
		return func() error { _, _, err := a.RequestAddress(id, ip, opts); return err }
	}
	release := func(id string, ip net.IP) func() error {
		return func() error { return a.ReleaseAddress(id, ip) }
	}
	cases := []struct {
		name  string
		do    func() error
		want  error
		class func(error) bool
		names []string
	}{
		{"invalid CIDR", pool("LocalDefault", "10.0.0.0/33", "", nil, false), ipamapi.ErrInvalidPool, types.IsBadRequest, []string{"10.0.0.0/33"}},
		{"not a CIDR", pool("LocalDefault", "banana", "", nil, false), ipamapi.ErrInvalidPool, types.IsBadRequest, []string{"banana"}},
		{"IPv4 pool as IPv6", pool("LocalDefault", "10.7.0.0/16", "", nil, true), ipamapi.ErrInvalidPool, types.IsBadRequest, []string{"10.7.0.0/16"}},
		{"IPv4-mapped pool", pool("LocalDefault", "::ffff:10.0.0.0/104", "", nil, true), ipamapi.ErrInvalidPool, types.IsBadRequest, []string{"::ffff:10.0.0.0/104"}},
		{"invalid sub-pool", pool("LocalDefault", "10.7.0.0/16", "10.7.0.0/99", nil, false), ipamapi.ErrInvalidSubPool, types.IsBadRequest, []string{"10.7.0.0/99"}},
		{"sub-pool outside", pool("LocalDefault", "10.7.0.0/16", "10.8.1.0/24", nil, false), ipamapi.ErrInvalidSubPool, types.IsBadRequest, []string{"10.8.1.0/24", "10.7.0.0/16"}},
		{"sub-pool larger", pool("LocalDefault", "10.7.0.0/16", "10.0.0.0/8", nil, false), ipamapi.ErrInvalidSubPool, types.IsBadRequest, []string{"10.0.0.0/8"}},
		{"sub-pool of other family", pool("LocalDefault", "10.7.0.0/16", "fd00::/64", nil, false), ipamapi.ErrInvalidSubPool, types.IsBadRequest, []string{"fd00::/64"}},
		{"sub-pool without pool", pool("LocalDefault", "", "10.7.1.0/24", nil, false), ipamapi.ErrInvalidSubPool, types.IsBadRequest, []string{"10.7.1.0/24"}},
		{"unknown address space", pool("Nowhere", "10.7.0.0/16", "", nil, false), ipamapi.ErrInvalidAddressSpace, types.IsBadRequest, []string{"Nowhere"}},
		{"empty address space", pool("", "", "", nil, false), ipamapi.ErrInvalidAddressSpace, types.IsBadRequest, []string{`""`}},
		{"overlapping pool", pool("LocalDefault", "10.1.2.0/24", "", nil, false), ipamapi.ErrPoolOverlap, types.IsForbidden, []string{"10.1.2.0/24", "10.1.0.0/16"}},
		{"same pool twice", pool("LocalDefault", "192.0.2.0/30", "", nil, false), ipamapi.ErrPoolOverlap, types.IsForbidden, []string{"192.0.2.0/30"}},
		{"pool serial option not bool", pool("LocalDefault", "10.7.0.0/16", "", map[string]string{ipamapi.AllocSerialPrefix: "yes please"}, false), ipamapi.ErrInvalidRequest, types.IsBadRequest, []string{"yes please"}},
		{"address serial option not bool", addr(id, nil, map[string]string{ipamapi.AllocSerialPrefix: "maybe"}), ipamapi.ErrInvalidRequest, types.IsBadRequest, []string{"maybe"}},
		{"unknown address type", addr(id, nil, map[string]string{ipamapi.RequestAddressType: "dns"}), ipamapi.ErrInvalidRequest, types.IsBadRequest, []string{"dns", netlabel.Gateway}},
		{"address outside pool", addr(id, net.ParseIP("10.2.0.1"), nil), ipamapi.ErrIPOutOfRange, types.IsBadRequest, []string{"10.2.0.1", "10.1.0.0/16"}},
		{"IPv6 address in IPv4 pool", addr(id, net.ParseIP("fd00::1"), nil), ipamapi.ErrIPOutOfRange, types.IsBadRequest, []string{"fd00::1"}},
		{"garbage address", addr(id, net.IP{1, 2, 3}, nil), ipamapi.ErrIPOutOfRange, types.IsBadRequest, []string{"?010203"}},
		{"address taken", addr(id, net.ParseIP("10.1.0.5"), nil), ipamapi.ErrIPAlreadyAllocated, types.IsForbidden, []string{"10.1.0.5"}},
		{"network address", addr(id, net.ParseIP("10.1.0.0"), nil), ipamapi.ErrIPAlreadyAllocated, types.IsForbidden, []string{"10.1.0.0"}},
		{"broadcast address", addr(id, net.ParseIP("10.1.255.255"), nil), ipamapi.ErrIPAlreadyAllocated, types.IsForbidden, []string{"10.1.255.255"}},
		{"IPv6 anycast address", addr(six, net.ParseIP("fd00::"), nil), ipamapi.ErrIPAlreadyAllocated, types.IsForbidden, []string{"fd00::"}},
		{"exhausted pool", addr(full, nil, nil), ipamapi.ErrNoAvailableIPs, types.IsNoService, []string{full}},
		{"exhausted pool, serial", addr(full, nil, serialOpt), ipamapi.ErrNoAvailableIPs, types.IsNoService, []string{full}},
		{"unknown pool ID", addr("LocalDefault/10.99.0.0/16", nil, nil), ipamapi.ErrPoolNotFound, types.IsNotFound, []string{"10.99.0.0/16"}},
		{"malformed pool ID", addr("LocalDefault/10.99.0.0", nil, nil), ipamapi.ErrInvalidRequest, types.IsBadRequest, []string{"LocalDefault/10.99.0.0"}},
		{"double release", release(id, net.ParseIP("10.1.0.6")), ipamapi.ErrIPNotAllocated, types.IsNotFound, []string{"10.1.0.6"}},
		{"release outside pool", release(id, net.ParseIP("10.2.0.6")), ipamapi.ErrIPOutOfRange, types.IsBadRequest, []string{"10.2.0.6"}},
		{"release network address", release(id, net.ParseIP("10.1.0.0")), ipamapi.ErrInvalidRequest, types.IsBadRequest, []string{"10.1.0.0"}},
		{"release nil", release(id, nil), ipamapi.ErrInvalidRequest, types.IsBadRequest, []string{id}},
		{"release unknown pool", release("GlobalDefault/10.1.0.0/16", net.ParseIP("10.1.0.5")), ipamapi.ErrPoolNotFound, types.IsNotFound, []string{"GlobalDefault/10.1.0.0/16"}},
		{"release pool unknown", func() error { return a.ReleasePool("LocalDefault/10.1.0.0/16/10.1.3.0/24") }, ipamapi.ErrPoolNotFound, types.IsNotFound, []string{"10.1.3.0/24"}},
		{"release pool malformed", func() error { return a.ReleasePool("x") }, ipamapi.ErrInvalidRequest, types.IsBadRequest, []string{`"x"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := a.DumpDatabase()
			err := c.do()
			expectErr(t, c.name, err, c.want, c.names...)
			if !c.class(err) {
				t.Fatalf("%s: %v has the wrong class", c.name, err)
			}
			if after := a.DumpDatabase(); after != before {
				t.Fatalf("%s changed state:\nbefore:\n%s\nafter:\n%s", c.name, before, after)
			}
		})
	}
	// A double pool release after a good one.
	if err := a.ReleasePool(full); err != nil {
		t.Fatal(err)
	}
	before := a.DumpDatabase()
	err := a.ReleasePool(full)
	expectErr(t, "double pool release", err, ipamapi.ErrPoolNotFound, full)
	if a.DumpDatabase() != before {
		t.Fatalf("double pool release changed state")
	}
}

func TestNewAllocatorBadPools(t *testing.T) {
	for _, n := range []*net.IPNet{
		nil,
		{IP: net.ParseIP("10.0.0.0"), Mask: net.IPMask{255, 0, 255, 0}},
		{IP: net.IP{1, 2}, Mask: net.CIDRMask(8, 32)},
		{IP: net.ParseIP("fd00::"), Mask: net.CIDRMask(8, 32)},
		{IP: net.ParseIP("10.0.0.0").To4(), Mask: net.CIDRMask(64, 128)},
	} {
		_, err := NewAllocatorWithPools(nil, []*net.IPNet{n})
		expectErr(t, "bad predefined pool", err, ipamapi.ErrInvalidPool)
	}
}
