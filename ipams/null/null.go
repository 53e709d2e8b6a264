// Package null is the IPAM driver that allocates nothing: one address space
// "null" with the single pool 0.0.0.0/0 and no addresses, for networks whose
// driver needs no IP configuration.
package null

import (
	"net"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/types"
)

const (
	// AddressSpace is the only address space of the null IPAM.
	AddressSpace = "null"
	// Pool is the only pool of the null IPAM.
	Pool = "0.0.0.0/0"
	// PoolID is the ID of the only pool.
	PoolID = AddressSpace + "/" + Pool
)

type allocator struct{}

var _ ipamapi.Ipam = allocator{}

// Register registers the null IPAM driver under ipamapi.NullIPAM.
func Register(cb ipamapi.Callback) error {
	if cb == nil {
		return types.BadRequestErrorf("null IPAM: no callback to register with")
	}
	return cb.RegisterIpamDriverWithCapabilities(ipamapi.NullIPAM, allocator{}, &ipamapi.Capability{})
}

// Init registers the null IPAM driver through ic; it keeps no state, so
// the stores l and g are not used.
func Init(ic ipamapi.Callback, l, g interface{}) error {
	return Register(ic)
}

func (allocator) GetDefaultAddressSpaces() (string, string, error) {
	return AddressSpace, AddressSpace, nil
}

func (allocator) RequestPool(addressSpace, pool, subPool string, _ map[string]string, v6 bool) (string, *net.IPNet, map[string]string, error) {
	switch {
	case addressSpace != AddressSpace:
		return "", nil, nil, types.BadRequestErrorf("null IPAM: unknown address space %q: %w", addressSpace, ipamapi.ErrInvalidAddressSpace)
	case pool != "":
		return "", nil, nil, types.BadRequestErrorf("null IPAM: cannot reserve pool %q: %w", pool, ipamapi.ErrInvalidPool)
	case subPool != "":
		return "", nil, nil, types.BadRequestErrorf("null IPAM: cannot reserve sub-pool %q: %w", subPool, ipamapi.ErrInvalidSubPool)
	case v6:
		return "", nil, nil, types.BadRequestErrorf("null IPAM: no IPv6 pool: %w", ipamapi.ErrInvalidPool)
	}
	return PoolID, &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.IPv4Mask(0, 0, 0, 0)}, nil, nil
}

func (allocator) ReleasePool(poolID string) error { return checkID(poolID) }

func (allocator) RequestAddress(poolID string, _ net.IP, _ map[string]string) (*net.IPNet, map[string]string, error) {
	return nil, nil, checkID(poolID)
}

func (allocator) ReleaseAddress(poolID string, _ net.IP) error { return checkID(poolID) }

func (allocator) DiscoverNew(discoverapi.DiscoveryType, interface{}) error { return nil }

func (allocator) DiscoverDelete(discoverapi.DiscoveryType, interface{}) error { return nil }

func checkID(poolID string) error {
	if poolID != PoolID {
		return types.NotFoundErrorf("null IPAM: unknown pool ID %q: %w", poolID, ipamapi.ErrPoolNotFound)
	}
	return nil
}
