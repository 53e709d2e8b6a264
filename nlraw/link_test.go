package nlraw

import (
	"errors"
	"net"
	"os"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// testNS returns a socket and a netlink handle in a new namespace of the
// test's own.
func testNS(t *testing.T, name string) (*Socket, *netlink.Handle, netns.NsHandle) {
	t.Helper()
	_, h := testutils.NewNS(t, name)
	s, err := Open(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	nlh, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nlh.Close)
	return s, nlh, h
}

func TestOpenBadHandle(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Open(netns.NsHandle(f.Fd()))
	if err == nil {
		s.Close()
		t.Fatal("socket opened with a handle that is not a namespace")
	}
	if !types.IsInternal(err) {
		t.Fatalf("error %v is not internal", err)
	}
}

func TestAddVethPeerBornInOtherNamespace(t *testing.T) {
	s, nlh, _ := testNS(t, "a")
	_, peerNL, peerNS := testNS(t, "b")
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	if err := nlh.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	idx, err := s.LinkIndex("br0")
	if err != nil {
		t.Fatal(err)
	}
	mac := net.HardwareAddr{0x02, 0x42, 0xac, 0x11, 0x00, 0x07}
	v := Veth{Name: "vh0", MasterIndex: idx, MTU: 1400, PeerName: "eth7", PeerMAC: mac, PeerNSFd: int(peerNS)}
	hostIdx, err := s.AddVeth(v)
	if err != nil {
		t.Fatal(err)
	}
	host, err := nlh.LinkByName("vh0")
	if err != nil {
		t.Fatal(err)
	}
	if a := host.Attrs(); a.MasterIndex != idx || a.MTU != 1400 || a.Flags&net.FlagUp == 0 || a.Index != hostIdx {
		t.Fatalf("host end: master %d mtu %d flags %v index %d; want master %d, mtu 1400, up, index %d", a.MasterIndex, a.MTU, a.Flags, a.Index, idx, hostIdx)
	}
	if a := host.Attrs(); a.NumTxQueues != 1 || a.NumRxQueues != 1 {
		t.Fatalf("host end queues: %d tx %d rx, want 1 and 1", a.NumTxQueues, a.NumRxQueues)
	}
	peer, err := peerNL.LinkByName("eth7")
	if err != nil {
		t.Fatalf("peer not in the other namespace: %v", err)
	}
	if a := peer.Attrs(); a.HardwareAddr.String() != mac.String() || a.MTU != 1400 {
		t.Fatalf("peer: mac %s mtu %d; want %s, 1400", a.HardwareAddr, a.MTU, mac)
	}
	if _, err := nlh.LinkByName("eth7"); !IsGone(err) {
		t.Fatalf("peer also in the first namespace (err %v)", err)
	}

	_, err = s.AddVeth(v)
	if !errors.Is(err, unix.EEXIST) {
		t.Fatalf("second create: %v, want EEXIST", err)
	}

	if err := s.DelLink("vh0"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LinkIndex("vh0"); !IsGone(err) {
		t.Fatalf("index of a deleted link: %v, want gone", err)
	}
	if err := s.DelLink("vh0"); !IsGone(err) {
		t.Fatalf("delete of a deleted link: %v, want gone", err)
	}
}

func TestNewLinkRequestAttributes(t *testing.T) {
	s, nlh, _ := testNS(t, "a")
	mac := net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x00, 0x09}
	req := NewLinkRequest("d0", 1300, 0, mac)
	info := newInfoKind("bridge")
	req.AddData(info)
	if err := s.Exec(req); err != nil {
		t.Fatal(err)
	}
	l, err := nlh.LinkByName("d0")
	if err != nil {
		t.Fatal(err)
	}
	if a := l.Attrs(); a.MTU != 1300 || a.HardwareAddr.String() != mac.String() || a.Flags&net.FlagUp == 0 || l.Type() != "bridge" {
		t.Fatalf("link %s: type %s mtu %d mac %s flags %v", a.Name, l.Type(), a.MTU, a.HardwareAddr, a.Flags)
	}
}

func TestIsGone(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{unix.ENODEV, true},
		{unix.ENOENT, true},
		{types.InternalErrorf("wrapped: %w", unix.ENODEV), true},
		{netlink.LinkNotFoundError{}, true},
		{unix.EEXIST, false},
		{errors.New("other"), false},
	}
	for _, tc := range tests {
		if got := IsGone(tc.err); got != tc.want {
			t.Errorf("IsGone(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func newInfoKind(kind string) *nl.RtAttr {
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated(kind))
	return info
}
