package overlay

import (
	"strconv"
	"strings"
	"sync"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/idm"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
)

const (
	// MinVXLANID and MaxVXLANID bound the VXLAN IDs a network may use.
	MinVXLANID = 1
	MaxVXLANID = 1<<24 - 1
	// FirstAutoVXLANID is the first ID NetworkAllocate hands out on its
	// own (libnetwork's manager range is 4096..2^24-1; IDs below are left
	// for explicit use).
	FirstAutoVXLANID = 4096
)

// allocator is the manager side: the VXLAN IDs of the cluster's networks.
// It keeps its state in memory: after a restart the orchestrator calls
// NetworkAllocate again with the IDs it got before (explicit IDs).
type allocator struct {
	ids *idm.Idm

	mu       sync.Mutex
	networks map[string][]uint32
}

func newAllocator() (*allocator, error) {
	ids, err := idm.New(nil, "overlay-vxlan-ids", MinVXLANID, MaxVXLANID)
	if err != nil {
		return nil, types.InternalErrorf("overlay: VXLAN ID manager: %w", err)
	}
	return &allocator{ids: ids, networks: map[string][]uint32{}}, nil
}

// NetworkAllocate reserves one VXLAN ID per segment of network nid
// (max(#IPv4 pools, #IPv6 pools)): the IDs listed in
// options[netlabel.OverlayVxlanIDList] ("id1,id2"), else free IDs from
// FirstAutoVXLANID up. It returns options with the IDs under
// netlabel.OverlayVxlanIDList, to be given to CreateNetwork on every host.
// A taken ID is a ConflictError, a malformed or out-of-range one a
// BadRequestError, both naming the value; on error nothing is reserved.
func (d *driver) NetworkAllocate(nid string, options map[string]string, ipV4Data, ipV6Data []driverapi.IPAMData) (map[string]string, error) {
	if nid == "" {
		return nil, types.BadRequestErrorf("overlay: network allocation with an empty network ID")
	}
	segs := len(ipV4Data)
	if len(ipV6Data) > segs {
		segs = len(ipV6Data)
	}
	if segs == 0 {
		return nil, types.BadRequestErrorf("overlay: network %s has no subnet", nid)
	}
	var want []uint32
	if s := strings.TrimSpace(options[netlabel.OverlayVxlanIDList]); s != "" {
		ids, err := parseVXLANIDs(s)
		if err != nil {
			return nil, err
		}
		if len(ids) != segs {
			return nil, types.BadRequestErrorf("overlay: network %s: %d VXLAN IDs (%q) for %d segments", nid, len(ids), s, segs)
		}
		want = ids
	}
	a := d.alloc
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.networks[nid]; ok {
		return nil, types.ConflictErrorf("overlay: network %s is already allocated", nid)
	}
	got := make([]uint32, 0, segs)
	release := func() {
		for _, id := range got {
			a.ids.Release(uint64(id))
		}
	}
	for i := 0; i < segs; i++ {
		if want != nil {
			if err := a.ids.GetSpecificID(uint64(want[i])); err != nil {
				release()
				if types.IsForbidden(err) || types.IsConflict(err) {
					return nil, types.ConflictErrorf("overlay: network %s: VXLAN ID %d is already in use: %w", nid, want[i], err)
				}
				return nil, types.BadRequestErrorf("overlay: network %s: VXLAN ID %d: %w", nid, want[i], err)
			}
			got = append(got, want[i])
			continue
		}
		id, err := a.ids.GetIDInRange(FirstAutoVXLANID, MaxVXLANID, true)
		if err != nil {
			release()
			return nil, types.NoServiceErrorf("overlay: network %s: no free VXLAN ID: %w", nid, err)
		}
		got = append(got, uint32(id))
	}
	a.networks[nid] = got
	out := make(map[string]string, len(options)+1)
	for k, v := range options {
		out[k] = v
	}
	out[netlabel.OverlayVxlanIDList] = formatVXLANIDs(got)
	return out, nil
}

// NetworkFree releases the VXLAN IDs of network nid.
func (d *driver) NetworkFree(nid string) error {
	a := d.alloc
	a.mu.Lock()
	defer a.mu.Unlock()
	ids, ok := a.networks[nid]
	if !ok {
		return types.NotFoundErrorf("overlay: network %s is not allocated", nid)
	}
	for _, id := range ids {
		a.ids.Release(uint64(id))
	}
	delete(a.networks, nid)
	return nil
}

// parseVXLANIDs parses "id1,id2,…": each ID in [MinVXLANID, MaxVXLANID],
// no duplicates.
func parseVXLANIDs(s string) ([]uint32, error) {
	parts := strings.Split(s, ",")
	out := make([]uint32, 0, len(parts))
	seen := map[uint32]bool{}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, types.BadRequestErrorf("overlay: VXLAN ID %q in %q is not a number", p, s)
		}
		if v < MinVXLANID || v > MaxVXLANID {
			return nil, types.BadRequestErrorf("overlay: VXLAN ID %d is out of the range [%d, %d]", v, MinVXLANID, MaxVXLANID)
		}
		if seen[uint32(v)] {
			return nil, types.BadRequestErrorf("overlay: VXLAN ID %d appears twice in %q", v, s)
		}
		seen[uint32(v)] = true
		out = append(out, uint32(v))
	}
	return out, nil
}

func formatVXLANIDs(ids []uint32) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatUint(uint64(id), 10)
	}
	return strings.Join(parts, ",")
}
