package macvlan

import (
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/vishvananda/netlink/nl"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

// The driver's traffic, restart and bad-input tests are in
// drivers/internal/lowerdrv and test/integration.

func TestInitRegisters(t *testing.T) {
	testutils.RequireRoot(t)
	var r testutils.Registered
	if err := Init(&r, nil); err != nil {
		t.Fatal(err)
	}
	defer r.Driver.(interface{ Close() error }).Close()
	if r.Name != "macvlan" || r.Driver.Type() != "macvlan" || r.Cap.DataScope != datastore.LocalScope {
		t.Errorf("registered %q (%s) %+v", r.Name, r.Driver.Type(), r.Cap)
	}
}

func TestModes(t *testing.T) {
	want := map[string]uint32{"bridge": nl.MACVLAN_MODE_BRIDGE, "private": nl.MACVLAN_MODE_PRIVATE,
		"vepa": nl.MACVLAN_MODE_VEPA, "passthru": nl.MACVLAN_MODE_PASSTHRU}
	if len(kind.Modes) != len(want) || kind.DefaultMode != "bridge" || kind.ModeOption != "macvlan_mode" || !kind.OwnMAC {
		t.Errorf("kind %+v", kind)
	}
	for name, v := range want {
		if kind.Modes[name] != v {
			t.Errorf("mode %s = %d, want %d", name, kind.Modes[name], v)
		}
	}
}
