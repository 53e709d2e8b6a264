package ipam

import (
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

// The tests run in a namespace of their own: NewAllocator's pool filter
// reads the routes and addresses of the process namespace.
func TestMain(m *testing.M) { testutils.IsolatedMain(m) }
