package driverapi

import (
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		err   error
		class func(error) bool
		name  string
	}{
		{ErrNoNetwork("n1"), types.IsNotFound, "n1"},
		{ErrNoEndpoint("e1"), types.IsNotFound, "e1"},
		{ErrEndpointExists("e2"), types.IsForbidden, "e2"},
		{ErrActiveRegistration("bridge"), types.IsForbidden, "bridge"},
		{&ErrNotImplemented{}, types.IsNotImplemented, ""},
	}
	for _, tc := range tests {
		if !tc.class(tc.err) {
			t.Errorf("%T (%v) has the wrong class", tc.err, tc.err)
		}
		if !strings.Contains(tc.err.Error(), tc.name) {
			t.Errorf("%T.Error() = %q, want it to name %q", tc.err, tc.err.Error(), tc.name)
		}
	}
}
