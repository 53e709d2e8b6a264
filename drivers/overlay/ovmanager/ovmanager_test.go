package ovmanager

import (
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/internal/vxlanid"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
)

func pools(cidrs ...string) []driverapi.IPAMData {
	var out []driverapi.IPAMData
	for _, c := range cidrs {
		_, p, _ := net.ParseCIDR(c)
		out = append(out, driverapi.IPAMData{AddressSpace: "GlobalDefault", Pool: p})
	}
	return out
}

func manager(t *testing.T) driverapi.Driver {
	var r testutils.Registered
	if err := Init(&r, nil); err != nil {
		t.Fatal(err)
	}
	if r.Name != "overlay" || r.Cap.DataScope != datastore.GlobalScope || r.Driver.Type() != "overlay" {
		t.Fatalf("registered %+v", r)
	}
	return r.Driver
}

func TestAllocateAndFree(t *testing.T) {
	d := manager(t)
	o1, err := d.NetworkAllocate("n1", map[string]string{"k": "v"}, pools("10.1.0.0/24", "10.2.0.0/24"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if o1["k"] != "v" || o1[netlabel.OverlayVxlanIDList] != "4096,4097" {
		t.Fatalf("options %v", o1)
	}
	// What the overlay driver's CreateNetwork reads back.
	if ids, err := vxlanid.Parse(o1[netlabel.OverlayVxlanIDList]); err != nil || len(ids) != 2 || ids[0] != 4096 {
		t.Fatalf("parse %v %v", ids, err)
	}
	o2, err := d.NetworkAllocate("n2", nil, pools("10.3.0.0/24"), pools("fd00::/64"))
	if err != nil || o2[netlabel.OverlayVxlanIDList] != "4098" {
		t.Fatalf("second network %v %v", o2, err)
	}
	if _, err := d.NetworkAllocate("n3", map[string]string{netlabel.OverlayVxlanIDList: "4097"}, pools("10.4.0.0/24"), nil); !types.IsConflict(err) || !strings.Contains(err.Error(), "4097") {
		t.Fatalf("taken ID: %v", err)
	}
	if err := d.NetworkFree("n1"); err != nil {
		t.Fatal(err)
	}
	if err := d.NetworkFree("n1"); !types.IsNotFound(err) {
		t.Fatalf("double free: %v", err)
	}
	o3, err := d.NetworkAllocate("n3", map[string]string{netlabel.OverlayVxlanIDList: "4097"}, pools("10.4.0.0/24"), nil)
	if err != nil || o3[netlabel.OverlayVxlanIDList] != "4097" {
		t.Fatalf("freed ID reused: %v %v", o3, err)
	}
}

func TestAllocateBadInput(t *testing.T) {
	d := manager(t)
	one := pools("10.9.0.0/24")
	for _, c := range []struct {
		nid, ids string
		v4       []driverapi.IPAMData
		in       string
	}{
		{"", "", one, "empty network ID"},
		{"x", "", nil, "no subnet"},
		{"x", "abc", one, `"abc"`},
		{"x", "0", one, "0"},
		{"x", "16777216", one, "16777216"},
		{"x", "5,5", pools("10.1.0.0/24", "10.2.0.0/24"), "twice"},
		{"x", "5,6", one, "2 VXLAN IDs"},
	} {
		_, err := d.NetworkAllocate(c.nid, map[string]string{netlabel.OverlayVxlanIDList: c.ids}, c.v4, nil)
		if !types.IsBadRequest(err) || !strings.Contains(err.Error(), c.in) {
			t.Errorf("%q/%q: %v, want a BadRequest naming %s", c.nid, c.ids, err, c.in)
		}
	}
	// Nothing was reserved by the refusals.
	o, err := d.NetworkAllocate("y", nil, one, nil)
	if err != nil || o[netlabel.OverlayVxlanIDList] != "4096" {
		t.Fatalf("after refusals: %v %v", o, err)
	}
	for _, err := range []error{d.CreateNetwork("y", nil, nil, one, nil), d.Join("y", "e", "k", nil, nil), d.Leave("y", "e")} {
		if !types.IsNotImplemented(err) {
			t.Fatalf("data path call: %v", err)
		}
	}
}
