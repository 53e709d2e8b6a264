// Package vxlanid allocates the VXLAN IDs of overlay networks: the
// manager side shared by drivers/overlay and drivers/overlay/ovmanager.
package vxlanid

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
	// FirstAutoVXLANID is the first ID Allocate hands out on its own
	// (libnetwork's manager range is 4096..2^24-1; IDs below are left
	// for explicit use).
	FirstAutoVXLANID = 4096
)

// Allocator hands out the VXLAN IDs of a cluster's networks (the manager
// side of overlay networks). It keeps its state in memory: after a restart
// the orchestrator allocates again with the IDs it got before (explicit
// IDs).
type Allocator struct {
	prefix string
	ids    *idm.Idm

	mu       sync.Mutex
	networks map[string][]uint32
}

// New returns an allocator whose errors start with prefix (the driver's name).
func New(prefix string) (*Allocator, error) {
	ids, err := idm.New(nil, prefix+"-vxlan-ids", MinVXLANID, MaxVXLANID)
	if err != nil {
		return nil, types.InternalErrorf("%s: VXLAN ID manager: %w", prefix, err)
	}
	return &Allocator{prefix: prefix, ids: ids, networks: map[string][]uint32{}}, nil
}

// Allocate reserves one VXLAN ID per segment of network nid
// (max(#IPv4 pools, #IPv6 pools)): the IDs listed in
// options[netlabel.OverlayVxlanIDList] ("id1,id2"), else free IDs from
// FirstAutoVXLANID up. It returns options with the IDs under
// netlabel.OverlayVxlanIDList, to be given to the overlay driver's
// CreateNetwork on every host.
// A taken ID is a ConflictError, a malformed or out-of-range one a
// BadRequestError, both naming the value; on error nothing is reserved.
func (a *Allocator) Allocate(nid string, options map[string]string, ipV4Data, ipV6Data []driverapi.IPAMData) (map[string]string, error) {
	if nid == "" {
		return nil, types.BadRequestErrorf("%s: network allocation with an empty network ID", a.prefix)
	}
	segs := len(ipV4Data)
	if len(ipV6Data) > segs {
		segs = len(ipV6Data)
	}
	if segs == 0 {
		return nil, types.BadRequestErrorf("%s: network %s has no subnet", a.prefix, nid)
	}
	var want []uint32
	if s := strings.TrimSpace(options[netlabel.OverlayVxlanIDList]); s != "" {
		ids, err := Parse(s)
		if err != nil {
			return nil, types.BadRequestErrorf("%s: %w", a.prefix, err)
		}
		if len(ids) != segs {
			return nil, types.BadRequestErrorf("%s: network %s: %d VXLAN IDs (%q) for %d segments", a.prefix, nid, len(ids), s, segs)
		}
		want = ids
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.networks[nid]; ok {
		return nil, types.ConflictErrorf("%s: network %s is already allocated", a.prefix, nid)
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
					return nil, types.ConflictErrorf("%s: network %s: VXLAN ID %d is already in use: %w", a.prefix, nid, want[i], err)
				}
				return nil, types.BadRequestErrorf("%s: network %s: VXLAN ID %d: %w", a.prefix, nid, want[i], err)
			}
			got = append(got, want[i])
			continue
		}
		id, err := a.ids.GetIDInRange(FirstAutoVXLANID, MaxVXLANID, true)
		if err != nil {
			release()
			return nil, types.NoServiceErrorf("%s: network %s: no free VXLAN ID: %w", a.prefix, nid, err)
		}
		got = append(got, uint32(id))
	}
	a.networks[nid] = got
	out := make(map[string]string, len(options)+1)
	for k, v := range options {
		out[k] = v
	}
	out[netlabel.OverlayVxlanIDList] = Format(got)
	return out, nil
}

// Free releases the VXLAN IDs of network nid.
func (a *Allocator) Free(nid string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	ids, ok := a.networks[nid]
	if !ok {
		return types.NotFoundErrorf("%s: network %s is not allocated", a.prefix, nid)
	}
	for _, id := range ids {
		a.ids.Release(uint64(id))
	}
	delete(a.networks, nid)
	return nil
}

// Parse parses "id1,id2,…": each ID in [MinVXLANID, MaxVXLANID],
// no duplicates.
func Parse(s string) ([]uint32, error) {
	parts := strings.Split(s, ",")
	out := make([]uint32, 0, len(parts))
	seen := map[uint32]bool{}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, types.BadRequestErrorf("VXLAN ID %q in %q is not a number", p, s)
		}
		if v < MinVXLANID || v > MaxVXLANID {
			return nil, types.BadRequestErrorf("VXLAN ID %d is out of the range [%d, %d]", v, MinVXLANID, MaxVXLANID)
		}
		if seen[uint32(v)] {
			return nil, types.BadRequestErrorf("VXLAN ID %d appears twice in %q", v, s)
		}
		seen[uint32(v)] = true
		out = append(out, uint32(v))
	}
	return out, nil
}

// Format writes ids as "id1,id2,…".
func Format(ids []uint32) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatUint(uint64(id), 10)
	}
	return strings.Join(parts, ",")
}
