package overlay

import (
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
)

func newManager(t *testing.T) *driver {
	t.Helper()
	a, err := newAllocator()
	if err != nil {
		t.Fatal(err)
	}
	return &driver{alloc: a, networks: map[string]*network{}}
}

func pools(t testing.TB, cidrs ...string) []driverapi.IPAMData {
	var out []driverapi.IPAMData
	for _, c := range cidrs {
		p := mustCIDR(t, c)
		p.IP = p.IP.Mask(p.Mask)
		gw := mustCIDR(t, c)
		gw.IP = append(gw.IP[:0:0], p.IP...)
		gw.IP[len(gw.IP)-1] |= 1
		out = append(out, driverapi.IPAMData{AddressSpace: "test", Pool: p, Gateway: gw})
	}
	return out
}

func TestNetworkAllocateAuto(t *testing.T) {
	d := newManager(t)
	opts, err := d.NetworkAllocate("n1", map[string]string{"foo": "bar"}, pools(t, "10.1.0.0/24", "10.2.0.0/24"), pools(t, "fd00:1::/64"))
	if err != nil {
		t.Fatal(err)
	}
	if opts["foo"] != "bar" {
		t.Errorf("options not carried over: %v", opts)
	}
	if got := opts[netlabel.OverlayVxlanIDList]; got != "4096,4097" {
		t.Errorf("IDs %q, want 4096,4097 (one per segment, from %d)", got, FirstAutoVXLANID)
	}
	opts2, err := d.NetworkAllocate("n2", nil, pools(t, "10.3.0.0/24"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := opts2[netlabel.OverlayVxlanIDList]; got != "4098" {
		t.Errorf("second network got %q, want 4098", got)
	}
	if _, err := d.NetworkAllocate("n2", nil, pools(t, "10.3.0.0/24"), nil); !types.IsConflict(err) {
		t.Errorf("allocating n2 twice: %v, want a ConflictError", err)
	}
	if err := d.NetworkFree("n1"); err != nil {
		t.Fatal(err)
	}
	if err := d.NetworkFree("n1"); !types.IsNotFound(err) {
		t.Errorf("freeing n1 twice: %v, want a NotFoundError", err)
	}
	// Freed IDs can be taken explicitly again.
	if _, err := d.NetworkAllocate("n3", map[string]string{netlabel.OverlayVxlanIDList: "4096,4097"}, pools(t, "10.1.0.0/24", "10.2.0.0/24"), nil); err != nil {
		t.Errorf("explicit reuse of freed IDs: %v", err)
	}
}

func TestNetworkAllocateExplicit(t *testing.T) {
	d := newManager(t)
	opts, err := d.NetworkAllocate("a", map[string]string{netlabel.OverlayVxlanIDList: " 300 , 5000"}, pools(t, "10.1.0.0/24", "10.2.0.0/24"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := opts[netlabel.OverlayVxlanIDList]; got != "300,5000" {
		t.Errorf("IDs %q, want 300,5000", got)
	}
	one := pools(t, "10.9.0.0/24")
	cases := []struct {
		ids   string
		check func(error) bool
		name  string // must appear in the message
	}{
		{"5000", types.IsConflict, "5000"},
		{"0", types.IsBadRequest, "0"},
		{"16777216", types.IsBadRequest, "16777216"},
		{"-1", types.IsBadRequest, "-1"},
		{"abc", types.IsBadRequest, "abc"},
		{"7000,7001", types.IsBadRequest, "7000,7001"},
	}
	for _, c := range cases {
		_, err := d.NetworkAllocate("b-"+c.ids, map[string]string{netlabel.OverlayVxlanIDList: c.ids}, one, nil)
		if !c.check(err) || !strings.Contains(err.Error(), c.name) {
			t.Errorf("IDs %q: got %v, want a typed error naming %q", c.ids, err, c.name)
		}
	}
	// A failed allocation of several IDs reserves none of them.
	_, err = d.NetworkAllocate("c", map[string]string{netlabel.OverlayVxlanIDList: "6000,300"}, pools(t, "10.1.0.0/24", "10.2.0.0/24"), nil)
	if !types.IsConflict(err) {
		t.Fatalf("6000,300: %v, want a ConflictError", err)
	}
	if _, err := d.NetworkAllocate("d", map[string]string{netlabel.OverlayVxlanIDList: "6000"}, one, nil); err != nil {
		t.Errorf("6000 still reserved after a failed allocation: %v", err)
	}
	if _, err := d.NetworkAllocate("e", nil, nil, nil); !types.IsBadRequest(err) {
		t.Errorf("no subnet: %v, want a BadRequestError", err)
	}
	if _, err := d.NetworkAllocate("", nil, one, nil); !types.IsBadRequest(err) {
		t.Errorf("empty ID: %v, want a BadRequestError", err)
	}
}
