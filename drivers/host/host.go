// Package host is the network driver whose sandboxes are the host's own
// network namespace (OptionUseDefaultSandbox). At most one host network exists.
package host

import (
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/internal/singleton"
)

const networkType = "host"

// Init registers the host driver with dc.
func Init(dc driverapi.DriverCallback, config map[string]interface{}) error {
	return singleton.Register(dc, networkType)
}
