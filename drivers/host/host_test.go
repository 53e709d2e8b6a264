package host

import (
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

// TestInit: Init registers the host driver (its behaviour is tested in
// drivers/internal/singleton).
func TestInit(t *testing.T) {
	cb := &testutils.Registered{}
	if err := Init(cb, nil); err != nil {
		t.Fatal(err)
	}
	if cb.Name != "host" || cb.Driver.Type() != "host" || cb.Cap.DataScope != "local" {
		t.Fatalf("registered %q %q %+v", cb.Name, cb.Driver.Type(), cb.Cap)
	}
}
