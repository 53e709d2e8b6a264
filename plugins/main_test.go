package plugins

import (
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

// TestMain runs the tests in namespaces of their own: the TCP plugin
// listens on a loopback that is not the host's.
func TestMain(m *testing.M) { testutils.IsolatedMain(m) }
