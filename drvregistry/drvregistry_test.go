package drvregistry

import (
	"testing"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/ipam"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/types"
)

type fakeDriver struct{ driverapi.Driver }

func (fakeDriver) Type() string { return "fake" }

func TestRegisterDrivers(t *testing.T) {
	var notified []string
	r := New(func(name string, _ driverapi.Driver, _ driverapi.Capability) error {
		if name == "refused" {
			return types.ForbiddenErrorf("driver %q refused", name)
		}
		notified = append(notified, name)
		return nil
	}, nil)
	if err := r.RegisterDriver("fake", fakeDriver{}, driverapi.Capability{DataScope: "local"}); err != nil {
		t.Fatal(err)
	}
	d, c := r.Driver("fake")
	if d == nil || c.DataScope != "local" {
		t.Fatalf("Driver(fake) = %v, %v", d, c)
	}
	if d, _ := r.Driver("nope"); d != nil {
		t.Fatal("unknown driver found")
	}
	cases := []struct {
		name  string
		drv   driverapi.Driver
		class func(error) bool
	}{
		{"fake", fakeDriver{}, types.IsConflict},
		{"", fakeDriver{}, types.IsBadRequest},
		{"nil", nil, types.IsBadRequest},
		{"refused", fakeDriver{}, types.IsForbidden},
	}
	for _, c := range cases {
		if err := r.RegisterDriver(c.name, c.drv, driverapi.Capability{}); !c.class(err) {
			t.Errorf("RegisterDriver(%q) = %v", c.name, err)
		}
	}
	if d, _ := r.Driver("refused"); d != nil {
		t.Fatal("a refused driver was registered")
	}
	if len(notified) != 1 || notified[0] != "fake" {
		t.Fatalf("notified %v", notified)
	}
	n := 0
	r.WalkDrivers(func(string, driverapi.Driver, driverapi.Capability) bool { n++; return false })
	if n != 1 {
		t.Fatalf("walked %d drivers", n)
	}
}

func TestRegisterIPAM(t *testing.T) {
	r := New(nil, nil)
	if err := ipam.Register(r, nil, nil); err != nil {
		t.Fatal(err)
	}
	l, g, err := r.IPAMDefaultAddressSpaces(ipamapi.DefaultIPAM)
	if err != nil || l != ipam.LocalDefaultAddressSpace || g != ipam.GlobalDefaultAddressSpace {
		t.Fatalf("default spaces %q %q %v", l, g, err)
	}
	if d, caps := r.IPAM(ipamapi.DefaultIPAM); d == nil || caps == nil {
		t.Fatal("default IPAM not found")
	}
	if _, _, err := r.IPAMDefaultAddressSpaces("nope"); !types.IsNotFound(err) {
		t.Fatalf("unknown IPAM: %v", err)
	}
	a, _ := ipam.NewAllocator(nil, nil)
	if err := r.RegisterIpamDriver(ipamapi.DefaultIPAM, a); !types.IsConflict(err) {
		t.Fatalf("duplicate IPAM: %v", err)
	}
	n := 0
	r.WalkIPAMs(func(string, ipamapi.Ipam, *ipamapi.Capability) bool { n++; return true })
	if n != 1 {
		t.Fatalf("walked %d IPAM drivers", n)
	}
}
