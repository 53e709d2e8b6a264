package libnetwork

import "github.com/cnmkit/libnetwork/netlabel"

// ifnameLocked is the exact interface name asked for with the endpoint
// option netlabel.Ifname ("" for the driver's prefix rule). The caller
// holds ep.mu.
func (ep *endpoint) ifnameLocked() string {
	name, _ := ep.generic[netlabel.Ifname].(string)
	return name
}
