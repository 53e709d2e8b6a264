package bridge

import (
	"errors"
	"net"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// rawLink sends hand-made rtnetlink requests on a socket of the host
// namespace, for the requests the netlink library splits in several round
// trips (it sets a link's master after creating it, and looks the link up
// in between).
type rawLink struct {
	sh *nl.SocketHandle
}

func newRawLink(h netns.NsHandle) (*rawLink, error) {
	s, err := nl.GetNetlinkSocketAt(h, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, types.InternalErrorf("bridge: netlink socket in the host namespace: %w", err)
	}
	if err := s.SetExtAck(true); err != nil {
		s.Close()
		return nil, types.InternalErrorf("bridge: netlink extended ack: %w", err)
	}
	return &rawLink{sh: &nl.SocketHandle{Socket: s}}, nil
}

func (r *rawLink) close() { r.sh.Close() }

func (r *rawLink) exec(req *nl.NetlinkRequest) error {
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: r.sh}
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}

// vethSpec is a veth pair to create: the host end up and enslaved to a
// bridge, the peer born inside another namespace.
type vethSpec struct {
	hostName    string
	masterIndex int
	mtu         int
	peerName    string
	peerMAC     net.HardwareAddr
	peerNSFd    int
}

// addVeth creates the pair with one RTM_NEWLINK request. An existing name
// is an EEXIST error (unwrapped).
func (r *rawLink) addVeth(s vethSpec) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags = unix.IFF_UP
	msg.Change = unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(s.hostName)))
	if s.mtu > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(s.mtu))))
	}
	if s.masterIndex > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(s.masterIndex))))
	}
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

// setHairpin turns hairpin mode on or off for the bridge port name.
func (r *rawLink) setHairpin(name string, on bool) error {
	v := uint8(0)
	if on {
		v = 1
	}
	return r.setPort(name, nl.IFLA_BRPORT_MODE, v)
}

// disablePort puts the bridge port name in the disabled state: the bridge
// forwards nothing to or from it. Unlike taking the link down, this costs
// no RCU synchronisation in the kernel. It is set through the bridge's own
// setlink (AF_BRIDGE): set as link slave data, the state would be undone
// at once by the carrier check that the generic link change triggers.
func (r *rawLink) disablePort(name string) error {
	idx, err := r.linkIndex(name)
	if err != nil {
		return err
	}
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_BRIDGE)
	msg.Index = int32(idx)
	req.AddData(msg)
	pi := nl.NewRtAttr(unix.IFLA_PROTINFO|unix.NLA_F_NESTED, nil)
	pi.AddRtAttr(nl.IFLA_BRPORT_STATE, nl.Uint8Attr(brStateDisabled))
	req.AddData(pi)
	return r.exec(req)
}

const (
	// brStateDisabled is the kernel's BR_STATE_DISABLED.
	brStateDisabled = 0
	// rtextFilterSkipStats is the kernel's RTEXT_FILTER_SKIP_STATS: a
	// lookup without the link's statistics.
	rtextFilterSkipStats = 1 << 3
)

// linkIndex returns the index of link name.
func (r *rawLink) linkIndex(name string) (int, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	req.AddData(nl.NewRtAttr(unix.IFLA_EXT_MASK, nl.Uint32Attr(rtextFilterSkipStats)))
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: r.sh}
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWLINK)
	if err != nil {
		return 0, err
	}
	if len(msgs) == 0 || len(msgs[0]) < unix.SizeofIfInfomsg {
		return 0, unix.ENODEV
	}
	return int(nl.DeserializeIfInfomsg(msgs[0]).Index), nil
}

// setPort sets a one-byte bridge port attribute with one request that names
// the port (no index lookup).
func (r *rawLink) setPort(name string, attr int, v uint8) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_SLAVE_KIND, nl.NonZeroTerminated("bridge"))
	data := info.AddRtAttr(nl.IFLA_INFO_SLAVE_DATA, nil)
	data.AddRtAttr(attr, nl.Uint8Attr(v))
	req.AddData(info)
	return r.exec(req)
}

// isGone reports a netlink error for a link that does not exist.
func isGone(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT) || errors.As(err, &nf)
}
