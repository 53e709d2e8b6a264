package libnetwork

import (
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/drivers/overlay"
	"github.com/cnmkit/libnetwork/idm"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// clusterVXLANKey names the cluster's VXLAN ID bitmap in the cluster store.
const clusterVXLANKey = "overlay-vxlan-ids"

// takesVXLANIDs reports whether n's driver needs VXLAN IDs (overlay).
func (n *network) takesVXLANIDs() bool { return n.networkType == "overlay" }

// clusterVXLANIDs returns the cluster-wide VXLAN ID manager: a bitmap in
// the cluster store changed by compare-and-swap. A manager is made per
// call: the bitmap is re-read before each change anyway, and a manager
// kept across a store outage would hold nothing worth keeping.
func (c *controller) clusterVXLANIDs() (*idm.Idm, error) {
	s, err := c.clusterStore()
	if err != nil {
		return nil, err
	}
	ids, err := idm.New(s, clusterVXLANKey, overlay.MinVXLANID, overlay.MaxVXLANID)
	if err != nil {
		return nil, storeErr(s, "open the cluster's VXLAN IDs", err)
	}
	return ids, nil
}

// driverOpts returns n's driver options (GenericData), made if missing.
func (n *network) driverOpts() map[string]string {
	switch m := n.generic[netlabel.GenericData].(type) {
	case map[string]string:
		return m
	case map[string]interface{}:
		out := make(map[string]string, len(m))
		for k, v := range m {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
		n.generic[netlabel.GenericData] = out
		return out
	}
	out := map[string]string{}
	n.generic[netlabel.GenericData] = out
	return out
}

// allocateVXLANIDs reserves n's VXLAN IDs in the cluster store, one per
// segment (max(#IPv4 pools, #IPv6 pools)): those of the option
// netlabel.OverlayVxlanIDList when given, else free ones from
// overlay.FirstAutoVXLANID up, which it puts in that option. An ID in use
// by another network of the cluster is a ConflictError naming it. On error
// nothing is reserved.
func (n *network) allocateVXLANIDs() error {
	ids, err := n.ctrl.clusterVXLANIDs()
	if err != nil {
		return err
	}
	segs := len(n.ipamV4Info)
	if len(n.ipamV6Info) > segs {
		segs = len(n.ipamV6Info)
	}
	opts := n.driverOpts()
	var want []uint64
	if s := strings.TrimSpace(opts[netlabel.OverlayVxlanIDList]); s != "" {
		if want, err = parseVXLANList(s); err != nil {
			return err
		}
	}
	var got []uint64
	undo := func() {
		for _, id := range got {
			ids.Release(id)
		}
	}
	for i := 0; i < segs || i < len(want); i++ {
		if want != nil {
			if i >= len(want) {
				break
			}
			if err := ids.GetSpecificID(want[i]); err != nil {
				undo()
				if types.IsNoService(err) || types.IsTimeout(err) {
					return err
				}
				return types.ConflictErrorf("network %s: VXLAN ID %d is already used by another network of the cluster: %w", n.name, want[i], err)
			}
			got = append(got, want[i])
			n.claim.update(func(in *intent) { in.VNIs = append(in.VNIs, want[i]) })
			continue
		}
		id, err := ids.GetIDInRange(overlay.FirstAutoVXLANID, overlay.MaxVXLANID, true)
		if err != nil {
			undo()
			if types.IsNoService(err) || types.IsTimeout(err) {
				return err
			}
			return types.NoServiceErrorf("network %s: no free VXLAN ID in the cluster: %w", n.name, err)
		}
		got = append(got, id)
		n.claim.update(func(in *intent) { in.VNIs = append(in.VNIs, id) })
		step(opNetworkClaim, "vxlan")
	}
	if want == nil {
		parts := make([]string, len(got))
		for i, id := range got {
			parts[i] = strconv.FormatUint(id, 10)
		}
		opts[netlabel.OverlayVxlanIDList] = strings.Join(parts, ",")
	}
	return nil
}

// releaseVXLANIDs gives n's VXLAN IDs back to the cluster.
func (n *network) releaseVXLANIDs() {
	list, err := parseVXLANList(n.driverOpts()[netlabel.OverlayVxlanIDList])
	if err != nil || len(list) == 0 {
		return
	}
	ids, err := n.ctrl.clusterVXLANIDs()
	if err != nil {
		logrus.WithField("nid", n.id).WithError(err).Warn("release the network's VXLAN IDs")
		return
	}
	for _, id := range list {
		ids.Release(id)
	}
}

// parseVXLANList parses "id1,id2,…" (the driver checks the rest).
func parseVXLANList(s string) ([]uint64, error) {
	var out []uint64
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil || v < overlay.MinVXLANID || v > overlay.MaxVXLANID {
			return nil, types.BadRequestErrorf("VXLAN ID %q in %q is not a number in [%d, %d]", p, s, overlay.MinVXLANID, overlay.MaxVXLANID)
		}
		out = append(out, v)
	}
	return out, nil
}
