// Package null is the network driver whose sandboxes have only a loopback
// interface: Join adds nothing to the sandbox. At most one null network exists.
package null

import (
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/internal/singleton"
)

const networkType = "null"

// Init registers the null driver with dc.
func Init(dc driverapi.DriverCallback, config map[string]interface{}) error {
	return singleton.Register(dc, networkType)
}
