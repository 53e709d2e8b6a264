package overlay

import (
	"errors"
	"net"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// rawSocket sends hand-made rtnetlink requests on a socket of one
// namespace, for link creations the netlink library splits into several
// round trips or makes in the wrong namespace (it looks the new link up by
// name in the socket's namespace and sets its master afterwards).
// Requests are serialised on the socket.
type rawSocket struct {
	sh *nl.SocketHandle
}

func openRawSocket(h netns.NsHandle) (*rawSocket, error) {
	s, err := nl.GetNetlinkSocketAt(h, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, types.InternalErrorf("overlay: netlink socket in namespace %s: %w", h, err)
	}
	if err := s.SetExtAck(true); err != nil {
		s.Close()
		return nil, types.InternalErrorf("overlay: netlink extended ack: %w", err)
	}
	return &rawSocket{sh: &nl.SocketHandle{Socket: s}}, nil
}

func (r *rawSocket) close() { r.sh.Close() }

func (r *rawSocket) exec(req *nl.NetlinkRequest) error {
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: r.sh}
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// newLinkRequest starts an RTM_NEWLINK that creates link name, up, with mtu
// and enslaved to masterIndex (in the namespace the link is created in).
func newLinkRequest(name string, mtu, masterIndex int, mac net.HardwareAddr) *nl.NetlinkRequest {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags = unix.IFF_UP
	msg.Change = unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	if mtu > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(mtu))))
	}
	if len(mac) > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_ADDRESS, []byte(mac)))
	}
	if masterIndex > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(masterIndex))))
	}
	return req
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
func (r *rawSocket) addVxlan(s vxlanSpec) error {
	req := newLinkRequest(s.name, s.mtu, s.masterIndex, nil)
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
	return r.exec(req)
}

// vethSpec is a veth pair to create from a socket of the overlay
// namespace: the first end up on a bridge there, the peer born inside the
// sandbox's namespace.
type vethSpec struct {
	name        string
	masterIndex int
	mtu         int
	peerName    string
	peerMAC     net.HardwareAddr
	peerNSFd    int
}

// addVeth creates the pair with one request.
func (r *rawSocket) addVeth(s vethSpec) error {
	req := newLinkRequest(s.name, s.mtu, s.masterIndex, nil)
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	peer := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	peer.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(s.peerName))
	if s.mtu > 0 {
		peer.AddRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(s.mtu)))
	}
	if len(s.peerMAC) > 0 {
		peer.AddRtAttr(unix.IFLA_ADDRESS, []byte(s.peerMAC))
	}
	peer.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(s.peerNSFd)))
	req.AddData(info)
	return r.exec(req)
}

// delLink deletes link name.
func (r *rawSocket) delLink(name string) error {
	req := nl.NewNetlinkRequest(unix.RTM_DELLINK, unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	return r.exec(req)
}

// isGone reports a netlink error for an object that does not exist.
func isGone(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT) || errors.As(err, &nf)
}
