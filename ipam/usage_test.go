package ipam

import (
	"math"
	"net"
	"testing"
)

func TestPoolUsage(t *testing.T) {
	a := newAlloc(t)
	for _, c := range []struct {
		pool string
		v6   bool
		size uint64
	}{
		{"10.7.0.0/24", false, 254},
		{"10.8.0.0/31", false, 2},
		{"fd00:7::/120", true, 255},
		{"fd00:8::/64", true, math.MaxUint64},
	} {
		id, _, _, err := a.RequestPool(LocalDefaultAddressSpace, c.pool, "", nil, c.v6)
		if err != nil {
			t.Fatal(err)
		}
		if size, used, err := a.PoolUsage(id); err != nil || size != c.size || used != 0 {
			t.Fatalf("%s fresh: size %d used %d err %v; want %d, 0", c.pool, size, used, err, c.size)
		}
		var got []*net.IPNet
		for i := 0; i < 2; i++ {
			ip, _, err := a.RequestAddress(id, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ip)
		}
		if _, used, _ := a.PoolUsage(id); used != 2 {
			t.Fatalf("%s after two addresses: used %d", c.pool, used)
		}
		if err := a.ReleaseAddress(id, got[0].IP); err != nil {
			t.Fatal(err)
		}
		if _, used, _ := a.PoolUsage(id); used != 1 {
			t.Fatalf("%s after a release: used %d", c.pool, used)
		}
	}
	if _, _, err := a.PoolUsage("nope"); err == nil {
		t.Fatal("unknown pool ID: no error")
	}
}
