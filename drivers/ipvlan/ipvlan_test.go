package ipvlan

import (
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/vishvananda/netlink"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

// The driver's traffic tests (which need a kernel with ipvlan) and its
// bad-input tests are in drivers/internal/lowerdrv.

func TestInitRegisters(t *testing.T) {
	testutils.RequireRoot(t)
	var r testutils.Registered
	if err := Init(&r, nil); err != nil {
		t.Fatal(err)
	}
	defer r.Driver.(interface{ Close() error }).Close()
	if r.Name != "ipvlan" || r.Driver.Type() != "ipvlan" || r.Cap.DataScope != datastore.LocalScope {
		t.Errorf("registered %q (%s) %+v", r.Name, r.Driver.Type(), r.Cap)
	}
}

func TestModes(t *testing.T) {
	want := map[string]netlink.IPVlanMode{"l2": netlink.IPVLAN_MODE_L2, "l3": netlink.IPVLAN_MODE_L3, "l3s": netlink.IPVLAN_MODE_L3S}
	if len(kind.Modes) != len(want) || kind.DefaultMode != "l2" || kind.ModeOption != "ipvlan_mode" || kind.OwnMAC {
		t.Errorf("kind %+v", kind)
	}
	for name, v := range want {
		if kind.Modes[name] != uint32(v) {
			t.Errorf("mode %s = %d, want %d", name, kind.Modes[name], v)
		}
	}
	if kind.Routed["l2"] || !kind.Routed["l3"] || !kind.Routed["l3s"] {
		t.Errorf("routed modes %v", kind.Routed)
	}
}
