package overlay

import (
	"net"

	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// openRawSocket opens an rtnetlink socket for one-request link creation
// in the namespace h.
func openRawSocket(h netns.NsHandle) (*nlraw.Socket, error) {
	s, err := nlraw.Open(h)
	if err != nil {
		return nil, types.InternalErrorf("overlay: %w", err)
	}
	return s, nil
}

// vxlanSpec is a VXLAN device to create inside an overlay namespace from
// a socket of the host namespace: its UDP socket stays in the host
// namespace, the device is born in the overlay namespace.
type vxlanSpec struct {
	name        string
	vni         uint32
	local       net.IP
	port        int
	mtu         int
	masterIndex int // bridge index in the target namespace
	nsFd        int // the target (overlay) namespace
}

// addVxlan creates the device with one request: learning off, proxy on
// (ARP and neighbour solicitations answered from the neighbour table), no
// default destination (only the static FDB entries).
func addVxlan(r *nlraw.Socket, s vxlanSpec) error {
	req := nlraw.NewLinkRequest(s.name, s.mtu, s.masterIndex, nil)
	req.AddData(nl.NewRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(s.nsFd))))
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("vxlan"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	data.AddRtAttr(nl.IFLA_VXLAN_ID, nl.Uint32Attr(s.vni))
	if v4 := s.local.To4(); v4 != nil {
		data.AddRtAttr(nl.IFLA_VXLAN_LOCAL, []byte(v4))
	} else {
		data.AddRtAttr(nl.IFLA_VXLAN_LOCAL6, []byte(s.local.To16()))
	}
	data.AddRtAttr(nl.IFLA_VXLAN_LEARNING, []byte{0})
	data.AddRtAttr(nl.IFLA_VXLAN_PROXY, []byte{1})
	port := []byte{byte(s.port >> 8), byte(s.port)}
	data.AddRtAttr(nl.IFLA_VXLAN_PORT, port)
	req.AddData(info)
	return r.Exec(req)
}

// isGone reports a netlink error for an object that does not exist.
func isGone(err error) bool { return nlraw.IsGone(err) }
