package builtin

import (
	"errors"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/ipam"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/types"
)

type recorder struct {
	name string
	drv  ipamapi.Ipam
	cap  *ipamapi.Capability
	err  error
}

func (r *recorder) RegisterIpamDriver(name string, d ipamapi.Ipam) error {
	return r.RegisterIpamDriverWithCapabilities(name, d, &ipamapi.Capability{})
}

func (r *recorder) RegisterIpamDriverWithCapabilities(name string, d ipamapi.Ipam, c *ipamapi.Capability) error {
	if r.err != nil {
		return r.err
	}
	r.name, r.drv, r.cap = name, d, c
	return nil
}

func TestInit(t *testing.T) {
	ds, err := datastore.NewDataStore(datastore.LocalScope, datastore.DefaultScopes(t.TempDir())[datastore.LocalScope])
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	tests := []struct {
		name     string
		l, g     interface{}
		replay   bool
		badInput string // a word the error names
	}{
		{name: "in memory", replay: true},
		{name: "local store", l: ds, replay: true},
		{name: "both stores", l: ds, g: ds, replay: false},
		{name: "local not a store", l: "a.db", badInput: "local"},
		{name: "global not a store", g: 42, badInput: "int"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			err := Init(r, tc.l, tc.g)
			if tc.badInput != "" {
				if !types.IsBadRequest(err) || !strings.Contains(err.Error(), tc.badInput) {
					t.Fatalf("Init = %v, want a BadRequestError naming %q", err, tc.badInput)
				}
				if r.drv != nil {
					t.Fatal("a driver was registered despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.name != ipamapi.DefaultIPAM || r.cap.RequiresRequestReplay != tc.replay {
				t.Fatalf("registered %q with %+v", r.name, r.cap)
			}
			a, ok := r.drv.(*ipam.Allocator)
			if !ok {
				t.Fatalf("registered a %T", r.drv)
			}
			id, p, _, err := a.RequestPool(ipam.LocalDefaultAddressSpace, "", "", nil, false)
			if err != nil || p.String() != "172.17.0.0/16" {
				t.Fatalf("first pool %v, %v", p, err)
			}
			if err := a.ReleasePool(id); err != nil {
				t.Fatal(err)
			}
		})
	}
	boom := errors.New("refused")
	if err := Init(&recorder{err: boom}, nil, nil); !errors.Is(err, boom) {
		t.Fatalf("Init with a refusing callback = %v", err)
	}
	if err := Init(nil, nil, nil); !types.IsBadRequest(err) {
		t.Fatalf("Init(nil) = %v", err)
	}
}
