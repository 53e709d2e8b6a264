package null

import (
	"errors"
	"net"
	"testing"

	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/types"
)

type cb struct {
	name string
	drv  ipamapi.Ipam
}

func (c *cb) RegisterIpamDriver(name string, d ipamapi.Ipam) error {
	c.name, c.drv = name, d
	return nil
}

func (c *cb) RegisterIpamDriverWithCapabilities(name string, d ipamapi.Ipam, _ *ipamapi.Capability) error {
	return c.RegisterIpamDriver(name, d)
}

func TestNullIPAM(t *testing.T) {
	var c cb
	if err := Register(&c); err != nil || c.name != ipamapi.NullIPAM {
		t.Fatalf("Register: %v, name %q", err, c.name)
	}
	a := c.drv
	l, g, _ := a.GetDefaultAddressSpaces()
	if l != "null" || g != "null" {
		t.Fatalf("address spaces %s %s", l, g)
	}
	id, pool, _, err := a.RequestPool("null", "", "", nil, false)
	if err != nil || id != "null/0.0.0.0/0" || pool.String() != "0.0.0.0/0" {
		t.Fatalf("RequestPool = %s %v %v", id, pool, err)
	}
	ip, _, err := a.RequestAddress(id, nil, nil)
	if ip != nil || err != nil {
		t.Fatalf("RequestAddress = %v %v", ip, err)
	}
	if err := a.ReleaseAddress(id, net.ParseIP("10.0.0.1")); err != nil {
		t.Fatal(err)
	}
	if err := a.ReleasePool(id); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		space, pool, sub string
		v6               bool
		want             error
	}{
		{"LocalDefault", "", "", false, ipamapi.ErrInvalidAddressSpace},
		{"null", "10.0.0.0/8", "", false, ipamapi.ErrInvalidPool},
		{"null", "", "10.0.0.0/8", false, ipamapi.ErrInvalidSubPool},
		{"null", "", "", true, ipamapi.ErrInvalidPool},
	} {
		if _, _, _, err := a.RequestPool(c.space, c.pool, c.sub, nil, c.v6); !errors.Is(err, c.want) {
			t.Errorf("RequestPool(%+v) = %v, want %v", c, err, c.want)
		}
	}
	if _, _, err := a.RequestAddress("other", nil, nil); !errors.Is(err, ipamapi.ErrPoolNotFound) {
		t.Errorf("RequestAddress(other) = %v", err)
	}
	if err := a.ReleasePool("other"); !errors.Is(err, ipamapi.ErrPoolNotFound) {
		t.Errorf("ReleasePool(other) = %v", err)
	}
}

func TestInit(t *testing.T) {
	tests := []struct {
		name string
		l, g interface{}
	}{
		{"no stores", nil, nil},
		{"stores ignored", "local", 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c cb
			if err := Init(&c, tc.l, tc.g); err != nil || c.name != ipamapi.NullIPAM {
				t.Fatalf("Init: %v, name %q", err, c.name)
			}
			if id, _, _, err := c.drv.RequestPool(AddressSpace, "", "", nil, false); err != nil || id != PoolID {
				t.Fatalf("RequestPool of the registered driver = %s, %v", id, err)
			}
		})
	}
	if err := Init(nil, nil, nil); !types.IsBadRequest(err) {
		t.Fatalf("Init(nil) = %v, want a BadRequestError", err)
	}
}
