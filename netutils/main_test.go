package netutils

import (
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }
