package drvregistry

import (
	"errors"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/ipam"
	"github.com/cnmkit/libnetwork/ipamapi"
	nullIpam "github.com/cnmkit/libnetwork/ipams/null"
	"github.com/cnmkit/libnetwork/types"
)

type fakeDriver struct{ driverapi.Driver }

func (fakeDriver) Type() string { return "fake" }

func TestRegisterDrivers(t *testing.T) {
	var notified []string
	r := NewEmpty(func(name string, _ driverapi.Driver, _ driverapi.Capability) error {
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
	r := NewEmpty(nil, nil)
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

func TestNewRegistersBuiltinIPAMs(t *testing.T) {
	dir := t.TempDir()
	ds, err := datastore.NewDataStore(datastore.LocalScope, datastore.DefaultScopes(dir)[datastore.LocalScope])
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	tests := []struct {
		name   string
		l, g   interface{}
		replay bool
	}{
		{"no stores", nil, nil, true},
		{"both stores", ds, ds, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var notified []string
			r, err := New(tc.l, tc.g, nil, func(name string, _ ipamapi.Ipam, _ *ipamapi.Capability) error {
				notified = append(notified, name)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(notified, ",") != ipamapi.DefaultIPAM+","+ipamapi.NullIPAM {
				t.Fatalf("notified %v", notified)
			}
			d, caps := r.IPAM(ipamapi.DefaultIPAM)
			if d == nil || caps.RequiresRequestReplay != tc.replay {
				t.Fatalf("default IPAM %v with %+v", d, caps)
			}
			if l, g, err := r.IPAMDefaultAddressSpaces(ipamapi.NullIPAM); err != nil || l != nullIpam.AddressSpace || g != nullIpam.AddressSpace {
				t.Fatalf("null IPAM spaces %q %q %v", l, g, err)
			}
		})
	}

	// The default IPAM of a second registry over the same store sees the
	// first one's pool.
	r1, err := New(ds, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a1, _ := r1.IPAM(ipamapi.DefaultIPAM)
	id, _, _, err := a1.RequestPool(ipam.LocalDefaultAddressSpace, "10.9.0.0/16", "", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := New(ds, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a2, _ := r2.IPAM(ipamapi.DefaultIPAM)
	if _, _, _, err := a2.RequestPool(ipam.LocalDefaultAddressSpace, "10.9.0.0/16", "", nil, false); !errors.Is(err, ipamapi.ErrPoolOverlap) {
		t.Fatalf("pool of the first registry's IPAM: %v", err)
	}
	if err := a2.ReleasePool(id); err != nil {
		t.Fatal(err)
	}
}

func TestNewFails(t *testing.T) {
	refuse := func(name string, _ ipamapi.Ipam, _ *ipamapi.Capability) error {
		if name == ipamapi.NullIPAM {
			return types.ForbiddenErrorf("IPAM %q refused", name)
		}
		return nil
	}
	tests := []struct {
		name  string
		l, g  interface{}
		ifn   IPAMNotifyFunc
		names string
	}{
		{"local not a store", "x.db", nil, nil, "string"},
		{"global not a store", nil, 3, nil, "int"},
		{"null refused", nil, nil, refuse, "null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.l, tc.g, nil, tc.ifn)
			if r != nil || !types.IsInternal(err) || !strings.Contains(err.Error(), tc.names) {
				t.Fatalf("New = %v, %v; want an InternalError naming %q", r, err, tc.names)
			}
		})
	}
}
