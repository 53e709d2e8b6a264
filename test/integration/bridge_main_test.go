// Package integration holds the end-to-end tests: controllers, drivers and
// real traffic, each test in network namespaces of its own.
package integration

import (
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }
