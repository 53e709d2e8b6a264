// Package macvlan is the macvlan network driver: containers' interfaces
// are macvlan links, each with a MAC of its own, on a parent link of the
// controller's host namespace (option `parent`: an existing link, or
// LINK.VID for an 802.1q sub-interface made by the driver; none: an
// internal network on a dummy link of its own), in the mode of option
// `macvlan_mode` (bridge, private, vepa or passthru). The subnet's IPAM
// gateway is the external router: containers' default routes go via it.
//
// Each interface is born inside its sandbox's namespace with its final
// name by one netlink request; detaching leaves it to the controller's
// retirement of sandbox interfaces, or to the namespace's end. See
// drivers/internal/lowerdrv, shared with the ipvlan driver.
package macvlan

import (
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/internal/lowerdrv"
	"github.com/vishvananda/netlink/nl"
)

const (
	networkType = "macvlan"
	modeOption  = "macvlan_mode"
	// Mode names, the values of the macvlan_mode option.
	modeBridge   = "bridge"
	modePrivate  = "private"
	modeVepa     = "vepa"
	modePassthru = "passthru"
)

// kind is the macvlan flavour of the shared driver core.
var kind = lowerdrv.Kind{
	Name:       networkType,
	ModeOption: modeOption,
	Modes: map[string]uint32{
		modeBridge:   nl.MACVLAN_MODE_BRIDGE,
		modePrivate:  nl.MACVLAN_MODE_PRIVATE,
		modeVepa:     nl.MACVLAN_MODE_VEPA,
		modePassthru: nl.MACVLAN_MODE_PASSTHRU,
	},
	DefaultMode: modeBridge,
	OwnMAC:      true,
	TmpPrefix:   "cnmm",
}

// Init registers the macvlan driver with dc. config holds the host
// namespace under netlabel.HostNetNS (the process's current namespace when
// absent) and the local store under netlabel.LocalKVClient (no persistence
// when absent); networks and endpoints found in the store are re-adopted.
func Init(dc driverapi.DriverCallback, config map[string]interface{}) error {
	return lowerdrv.Init(kind, dc, config)
}
