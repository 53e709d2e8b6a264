package ipamapi

import "github.com/cnmkit/libnetwork/types"

// Well-known IPAM errors. Drivers wrap them (with %w) in messages naming the
// bad value, so callers test them with errors.Is and their class with the
// types.Is... helpers.
var (
	// ErrIpamInternalError is an internal failure of the driver.
	ErrIpamInternalError = types.InternalErrorf("IPAM internal error")
	// ErrInvalidAddressSpace is an unknown or malformed address space.
	ErrInvalidAddressSpace = types.BadRequestErrorf("invalid address space")
	// ErrInvalidPool is a malformed pool.
	ErrInvalidPool = types.BadRequestErrorf("invalid address pool")
	// ErrInvalidSubPool is a malformed sub-pool, or one outside its pool.
	ErrInvalidSubPool = types.BadRequestErrorf("invalid address sub-pool")
	// ErrInvalidRequest is a malformed request (bad pool ID, bad option value).
	ErrInvalidRequest = types.BadRequestErrorf("invalid request")
	// ErrPoolNotFound is a pool ID that names no reserved pool.
	ErrPoolNotFound = types.NotFoundErrorf("address pool not found")
	// ErrPoolOverlap is a pool that overlaps a pool in use in its address space.
	ErrPoolOverlap = types.ForbiddenErrorf("address pool overlaps with an existing pool in the address space")
	// ErrOverlapPool is libnetwork's other name for ErrPoolOverlap; it is the same value.
	ErrOverlapPool = ErrPoolOverlap
	// ErrNoAvailablePool is returned when no predefined pool is free.
	ErrNoAvailablePool = types.NoServiceErrorf("no available address pool")
	// ErrNoAvailableIPs is returned when a pool has no free address.
	ErrNoAvailableIPs = types.NoServiceErrorf("no available address in the pool")
	// ErrNoIPReturned is a driver that returned no address.
	ErrNoIPReturned = types.NoServiceErrorf("no address returned")
	// ErrIPAlreadyAllocated is an address that is in use or reserved.
	ErrIPAlreadyAllocated = types.ForbiddenErrorf("address already in use")
	// ErrIPNotAllocated is the release of an address that is not in use.
	ErrIPNotAllocated = types.NotFoundErrorf("address not allocated")
	// ErrIPOutOfRange is an address outside the pool.
	ErrIPOutOfRange = types.BadRequestErrorf("address out of the pool's range")
	// ErrBadPool is a pool the address space does not contain.
	ErrBadPool = types.BadRequestErrorf("address space does not contain the pool")
)
