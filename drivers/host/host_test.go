package host

import (
	"testing"

	"github.com/cnmkit/libnetwork/driverapi"
)

type callback struct {
	name string
	d    driverapi.Driver
	cap  driverapi.Capability
}

func (c *callback) RegisterDriver(name string, d driverapi.Driver, cap driverapi.Capability) error {
	c.name, c.d, c.cap = name, d, cap
	return nil
}

// TestInit: Init registers the host driver (its behaviour is tested in
// drivers/internal/singleton).
func TestInit(t *testing.T) {
	cb := &callback{}
	if err := Init(cb, nil); err != nil {
		t.Fatal(err)
	}
	if cb.name != "host" || cb.d.Type() != "host" || cb.cap.DataScope != "local" {
		t.Fatalf("registered %q %q %+v", cb.name, cb.d.Type(), cb.cap)
	}
}
