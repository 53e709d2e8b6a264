package osl

import (
	"bytes"
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// snapshot is what a link looks like, for before/after comparisons.
type snapshot struct {
	name  string
	mac   string
	mtu   int
	up    bool
	addrs int
}

func snap(t *testing.T, h *netlink.Handle, name string) snapshot {
	t.Helper()
	l, err := h.LinkByName(name)
	if err != nil {
		t.Fatalf("link %s: %v", name, err)
	}
	addrs, err := h.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	a := l.Attrs()
	return snapshot{a.Name, a.HardwareAddr.String(), a.MTU, a.Flags&net.FlagUp != 0, len(addrs)}
}

// A failure late in AddInterface (a connected route that already exists)
// leaves the link as it was found, on both the fast and the slow path.
func TestAddInterfaceUndo(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "undo")
	h := nlIn(t, sb.Key())
	route := cidr(t, "10.99.0.0/16")
	bornInside(t, sb, "undo-h0", "undo-c0")
	if err := sb.AddInterface("undo-c0", "eth", WithAddress(cidr(t, "10.5.0.2/24")), WithRoutes([]*net.IPNet{route})); err != nil {
		t.Fatal(err)
	}
	opts := []IfaceOption{WithMacAddress(mac(t, "02:00:00:00:11:11")), WithMTU(1300),
		WithAddress(cidr(t, "10.6.0.2/24")), WithIPv6Address(cidr(t, "fd00:6::2/64")), WithRoutes([]*net.IPNet{route})}

	// Fast path: the link was born inside.
	bornInside(t, sb, "undo-h1", "undo-c1")
	before := snap(t, h, "undo-c1")
	err := sb.AddInterface("undo-c1", "eth", opts...)
	mustClass(t, err, "conflict", types.IsConflict)
	if !strings.Contains(err.Error(), "10.99.0.0/16") {
		t.Errorf("error %q does not name the route", err)
	}
	if after := snap(t, h, "undo-c1"); after != before {
		t.Fatalf("link changed by a failed AddInterface: before %+v after %+v", before, after)
	}
	if !linkGone(h, "eth1") || len(sb.Interfaces()) != 1 {
		t.Fatal("failed AddInterface left an interface behind")
	}

	// Slow path: the link goes back to the caller's namespace, up as it was.
	veth(t, "undo-h2", netns.None(), "undo-c2", netns.None())
	c2, err := netlink.LinkByName("undo-c2")
	if err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(c2); err != nil {
		t.Fatal(err)
	}
	c2, _ = netlink.LinkByName("undo-c2")
	err = sb.AddInterface("undo-c2", "eth", opts...)
	mustClass(t, err, "conflict", types.IsConflict)
	back, err := netlink.LinkByName("undo-c2")
	if err != nil {
		t.Fatalf("link not moved back to the caller's namespace: %v", err)
	}
	if !bytes.Equal(back.Attrs().HardwareAddr, c2.Attrs().HardwareAddr) || back.Attrs().MTU != c2.Attrs().MTU ||
		back.Attrs().Flags&net.FlagUp == 0 {
		t.Fatalf("moved-back link differs: %+v", back.Attrs())
	}
	if !linkGone(h, "undo-c2") || len(sb.Interfaces()) != 1 {
		t.Fatal("slow-path failure left the link in the sandbox")
	}

	// A bridge created for the call is deleted again.
	err = sb.AddInterface("undo-br", "br", WithBridge(true), WithRoutes([]*net.IPNet{route}))
	mustClass(t, err, "conflict", types.IsConflict)
	if !linkGone(h, "undo-br") || !linkGone(h, "br0") {
		t.Fatal("failed bridge AddInterface left the bridge")
	}
}

// Bad input is refused before any kernel work, with a typed error naming it.
func TestAddInterfaceBadInput(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "bad")
	h := nlIn(t, sb.Key())
	bornInside(t, sb, "bad-h", "bad-c")
	if err := sb.AddInterface("bad-c", "eth"); err != nil {
		t.Fatal(err)
	}
	bornInside(t, sb, "bad-h2", "bad-c2")
	before := snap(t, h, "bad-c2")
	for _, tc := range []struct {
		name, src, prefix, names string
		opts                     []IfaceOption
		check                    func(error) bool
	}{
		{"empty src", "", "eth", `""`, nil, types.IsBadRequest},
		{"long src", "a-very-long-name0", "eth", "a-very-long-name0", nil, types.IsBadRequest},
		{"slash src", "a/b", "eth", "a/b", nil, types.IsBadRequest},
		{"empty prefix", "bad-c2", "", `""`, nil, types.IsBadRequest},
		{"long prefix", "bad-c2", "abcdefghijklmno", "abcdefghijklmno", nil, types.IsBadRequest},
		{"short mac", "bad-c2", "eth", "01:02", []IfaceOption{WithMacAddress(net.HardwareAddr{1, 2})}, types.IsBadRequest},
		{"multicast mac", "bad-c2", "eth", "01:00:5e:00:00:01", []IfaceOption{WithMacAddress(mac(t, "01:00:5e:00:00:01"))}, types.IsBadRequest},
		{"small mtu", "bad-c2", "eth", "10", []IfaceOption{WithMTU(10)}, types.IsBadRequest},
		{"v6 as v4", "bad-c2", "eth", "fd00::1/64", []IfaceOption{WithAddress(cidr(t, "fd00::1/64"))}, types.IsBadRequest},
		{"v4 as v6", "bad-c2", "eth", "10.0.0.1/24", []IfaceOption{WithIPv6Address(cidr(t, "10.0.0.1/24"))}, types.IsBadRequest},
		{"global as ll", "bad-c2", "eth", "10.0.0.1/24", []IfaceOption{WithLinkLocalAddresses([]*net.IPNet{cidr(t, "10.0.0.1/24")})}, types.IsBadRequest},
		{"unknown master", "bad-c2", "eth", "nosuchbr", []IfaceOption{WithMaster("nosuchbr")}, types.IsBadRequest},
		{"master not bridge", "bad-c2", "eth", "bad-c", []IfaceOption{WithMaster("bad-c")}, types.IsBadRequest},
		{"duplicate src", "bad-c", "eth", "bad-c", nil, types.IsConflict},
		{"missing src", "nosuch0", "eth", "nosuch0", nil, types.IsNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := sb.AddInterface(tc.src, tc.prefix, tc.opts...)
			if err == nil || !tc.check(err) {
				t.Fatalf("got %v (%T)", err, err)
			}
			if !strings.Contains(err.Error(), tc.names) {
				t.Errorf("error %q does not name %s", err, tc.names)
			}
		})
	}
	if after := snap(t, h, "bad-c2"); after != before || len(sb.Interfaces()) != 1 {
		t.Fatalf("bad input changed state: %+v -> %+v, %d interfaces", before, after, len(sb.Interfaces()))
	}
}
