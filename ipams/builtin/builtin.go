// Package builtin registers the default IPAM driver (package ipam) under
// ipamapi.DefaultIPAM.
package builtin

import (
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/ipam"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/types"
)

// Init registers through ic the default allocator made by ipam.NewAllocator
// over the local store l and the global store g (each a
// datastore.DataStore, or nil for an address space in memory). An
// allocator with a space in memory asks for request replay.
func Init(ic ipamapi.Callback, l, g interface{}) error {
	if ic == nil {
		return types.BadRequestErrorf("built-in IPAM: no callback to register with")
	}
	lds, err := storeOf("local", l)
	if err != nil {
		return err
	}
	gds, err := storeOf("global", g)
	if err != nil {
		return err
	}
	a, err := ipam.NewAllocator(lds, gds)
	if err != nil {
		return err
	}
	return ic.RegisterIpamDriverWithCapabilities(ipamapi.DefaultIPAM, a, a.Capability())
}

// storeOf returns v as a datastore; nil stays nil.
func storeOf(which string, v interface{}) (datastore.DataStore, error) {
	if v == nil {
		return nil, nil
	}
	ds, ok := v.(datastore.DataStore)
	if !ok {
		return nil, types.BadRequestErrorf("built-in IPAM: the %s datastore is a %T, not a datastore.DataStore", which, v)
	}
	return ds, nil
}
