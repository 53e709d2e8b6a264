// Package ipvlan is the ipvlan network driver: containers' interfaces are
// ipvlan links sharing the MAC of a parent link of the controller's host
// namespace (option `parent`: an existing link, or LINK.VID for an 802.1q
// sub-interface made by the driver; none: an internal network on a dummy
// link of its own), in the mode of option `ipvlan_mode`: l2 (the
// default; the subnet's IPAM gateway is the external router, as macvlan),
// l3 or l3s (routed: containers' default routes go through the interface,
// with no gateway; l3s is beyond the seed).
//
// Each interface is born inside its sandbox's namespace with its final
// name by one netlink request. See drivers/internal/lowerdrv, shared with
// the macvlan driver.
package ipvlan

import (
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/internal/lowerdrv"
	"github.com/vishvananda/netlink"
)

const (
	networkType = "ipvlan"
	modeOption  = "ipvlan_mode"
	// Mode names, the values of the ipvlan_mode option.
	modeL2  = "l2"
	modeL3  = "l3"
	modeL3S = "l3s"
)

// kind is the ipvlan flavour of the shared driver core.
var kind = lowerdrv.Kind{
	Name:       networkType,
	ModeOption: modeOption,
	Modes: map[string]uint32{
		modeL2:  uint32(netlink.IPVLAN_MODE_L2),
		modeL3:  uint32(netlink.IPVLAN_MODE_L3),
		modeL3S: uint32(netlink.IPVLAN_MODE_L3S),
	},
	DefaultMode: modeL2,
	Routed:      map[string]bool{modeL3: true, modeL3S: true},
	TmpPrefix:   "cnmi",
}

// Init registers the ipvlan driver with dc. config holds the host
// namespace under netlabel.HostNetNS (the process's current namespace when
// absent) and the local store under netlabel.LocalKVClient (no persistence
// when absent); networks and endpoints found in the store are re-adopted.
func Init(dc driverapi.DriverCallback, config map[string]interface{}) error {
	return lowerdrv.Init(kind, dc, config)
}
