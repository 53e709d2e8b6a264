package overlay

import (
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/internal/vxlanid"
	"github.com/cnmkit/libnetwork/types"
)

const (
	// MinVXLANID and MaxVXLANID bound the VXLAN IDs a network may use.
	MinVXLANID = vxlanid.MinVXLANID
	MaxVXLANID = vxlanid.MaxVXLANID
	// FirstAutoVXLANID is the first ID NetworkAllocate hands out on its
	// own (libnetwork's manager range is 4096..2^24-1; IDs below are left
	// for explicit use).
	FirstAutoVXLANID = vxlanid.FirstAutoVXLANID
)

// allocator is the manager side: the VXLAN IDs of the cluster's networks.
type allocator = vxlanid.Allocator

func newAllocator() (*allocator, error) { return vxlanid.New("overlay") }

// NetworkAllocate reserves one VXLAN ID per segment of network nid
// (max(#IPv4 pools, #IPv6 pools)): the IDs listed in
// options[netlabel.OverlayVxlanIDList] ("id1,id2"), else free IDs from
// FirstAutoVXLANID up. It returns options with the IDs under
// netlabel.OverlayVxlanIDList, to be given to CreateNetwork on every host.
// A taken ID is a ConflictError, a malformed or out-of-range one a
// BadRequestError, both naming the value; on error nothing is reserved.
func (d *driver) NetworkAllocate(nid string, options map[string]string, ipV4Data, ipV6Data []driverapi.IPAMData) (map[string]string, error) {
	return d.alloc.Allocate(nid, options, ipV4Data, ipV6Data)
}

// NetworkFree releases the VXLAN IDs of network nid.
func (d *driver) NetworkFree(nid string) error { return d.alloc.Free(nid) }

func parseVXLANIDs(s string) ([]uint32, error) {
	ids, err := vxlanid.Parse(s)
	if err != nil {
		return nil, types.BadRequestErrorf("overlay: %w", err)
	}
	return ids, nil
}
