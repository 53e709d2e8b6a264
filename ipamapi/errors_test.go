package ipamapi

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func TestErrorClasses(t *testing.T) {
	for _, c := range []struct {
		err   error
		class func(error) bool
	}{
		{ErrIpamInternalError, types.IsInternal},
		{ErrInvalidAddressSpace, types.IsBadRequest},
		{ErrInvalidPool, types.IsBadRequest},
		{ErrInvalidSubPool, types.IsBadRequest},
		{ErrInvalidRequest, types.IsBadRequest},
		{ErrPoolNotFound, types.IsNotFound},
		{ErrOverlapPool, types.IsForbidden},
		{ErrNoAvailablePool, types.IsNoService},
		{ErrNoAvailableIPs, types.IsNoService},
		{ErrNoIPReturned, types.IsNoService},
		{ErrIPAlreadyAllocated, types.IsForbidden},
		{ErrIPNotAllocated, types.IsNotFound},
		{ErrIPOutOfRange, types.IsBadRequest},
		{ErrPoolOverlap, types.IsForbidden},
		{ErrBadPool, types.IsBadRequest},
	} {
		wrapped := fmt.Errorf("pool 10.0.0.0/8: %w", c.err)
		if !c.class(wrapped) || !errors.Is(wrapped, c.err) {
			t.Errorf("%v: class or errors.Is lost through wrapping", c.err)
		}
	}
	if errors.Is(ErrInvalidPool, ErrInvalidSubPool) {
		t.Errorf("distinct sentinels compare equal")
	}
}
