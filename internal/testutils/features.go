package testutils

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Kernel features some tests need and some kernels lack.
const (
	FeatureDummy  = "dummy"  // dummy links
	FeatureVLAN   = "vlan"   // 802.1q sub-interfaces
	FeatureIPVlan = "ipvlan" // ipvlan links
	FeatureESP    = "esp"    // IPsec ESP states with rfc4106(gcm(aes))
)

// Features lists every feature KernelHas knows.
var Features = []string{FeatureDummy, FeatureVLAN, FeatureIPVlan, FeatureESP}

var (
	probeMu   sync.Mutex
	probeSeen = map[string]error{}
)

// KernelHas reports, with nil, that the running kernel has feature: it
// makes one in a throwaway namespace (once per feature and process). The
// error says why not.
func KernelHas(feature string) error {
	probeMu.Lock()
	defer probeMu.Unlock()
	if err, ok := probeSeen[feature]; ok {
		return err
	}
	err := probeFeature(feature)
	probeSeen[feature] = err
	return err
}

func probeFeature(feature string) error {
	return inThrowawayNS(func(h *netlink.Handle) error {
		parent := func() (netlink.Link, error) {
			v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "probe0"}, PeerName: "probe1"}
			if err := h.LinkAdd(v); err != nil {
				return nil, fmt.Errorf("veth for the probe: %w", err)
			}
			return h.LinkByName("probe0")
		}
		var err error
		switch feature {
		case FeatureDummy:
			err = h.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "probe0"}})
		case FeatureVLAN, FeatureIPVlan:
			var p netlink.Link
			if p, err = parent(); err != nil {
				return err
			}
			la := netlink.LinkAttrs{Name: "probe2", ParentIndex: p.Attrs().Index}
			if feature == FeatureVLAN {
				err = h.LinkAdd(&netlink.Vlan{LinkAttrs: la, VlanId: 10})
			} else {
				err = h.LinkAdd(&netlink.IPVlan{LinkAttrs: la, Mode: netlink.IPVLAN_MODE_L2})
			}
		case FeatureESP:
			err = h.XfrmStateAdd(&netlink.XfrmState{
				Src: net.ParseIP("10.255.0.1"), Dst: net.ParseIP("10.255.0.2"),
				Proto: netlink.XFRM_PROTO_ESP, Mode: netlink.XFRM_MODE_TRANSPORT, Spi: 0x100,
				Aead: &netlink.XfrmStateAlgo{Name: "rfc4106(gcm(aes))", Key: make([]byte, 20), ICVLen: 128},
			})
		default:
			return fmt.Errorf("unknown kernel feature %q", feature)
		}
		if err != nil {
			return fmt.Errorf("the kernel has no %s: %w", feature, err)
		}
		return nil
	})
}

// RequireKernel skips t unless the running kernel has every feature.
func RequireKernel(t testing.TB, features ...string) {
	t.Helper()
	RequireRoot(t)
	for _, f := range features {
		if err := KernelHas(f); err != nil {
			t.Skipf("%v (test/vm runs this test in a VM whose kernel has it)", err)
		}
	}
}

// inThrowawayNS runs fn with a netlink handle in a new namespace, removed
// after.
func inThrowawayNS(fn func(h *netlink.Handle) error) error {
	dir, err := os.MkdirTemp("", "cnmkit-probe")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ns")
	if err := ns.NewPinned(path, false); err != nil {
		return err
	}
	defer func() { _ = ns.RemovePinned(path) }()
	nsh, err := netns.GetFromPath(path)
	if err != nil {
		return err
	}
	defer nsh.Close()
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		return err
	}
	defer h.Close()
	return fn(h)
}
