package nlraw

import (
	"bytes"
	"errors"
	"net"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// rtextFilterSkipStats is the kernel's RTEXT_FILTER_SKIP_STATS: a link
// lookup without the link's statistics.
const rtextFilterSkipStats = 1 << 3

// NewLinkRequest starts an RTM_NEWLINK that creates link name, up, with mtu
// and mac when set, and enslaved to masterIndex when positive (an index in
// the namespace the link is created in). The caller adds the link info.
func NewLinkRequest(name string, mtu, masterIndex int, mac net.HardwareAddr) *nl.NetlinkRequest {
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

// Veth is a veth pair to create: the first end in the socket's namespace,
// up (unless Down) and enslaved to MasterIndex when positive, the peer born
// inside the namespace of PeerNSFd (negative: the socket's namespace too)
// with its final name and MAC.
type Veth struct {
	Name        string
	Down        bool
	MasterIndex int
	MTU         int // both ends; 0 keeps the kernel's default
	PeerName    string
	PeerMAC     net.HardwareAddr // nil: a random one
	PeerNSFd    int
	// PeerIndex is the peer's index in its namespace; 0 lets the kernel
	// choose.
	PeerIndex int
}

// AddVeth creates the pair with one request and returns the first end's
// index (0 when the kernel does not echo new links). An existing name is
// an EEXIST error (unwrapped). Each end has one queue, as the kernel gives
// a veth by default; asking for it at creation spares the kernel an RCU
// synchronisation (shrinking the queues of a registered device).
func (s *Socket) AddVeth(v Veth) (int, error) {
	req := NewLinkRequest(v.Name, v.MTU, v.MasterIndex, nil)
	req.Flags |= unix.NLM_F_ECHO
	if v.Down {
		msg := req.Data[0].(*nl.IfInfomsg)
		msg.Flags, msg.Change = 0, 0
	}
	req.AddData(nl.NewRtAttr(unix.IFLA_NUM_TX_QUEUES, nl.Uint32Attr(1)))
	req.AddData(nl.NewRtAttr(unix.IFLA_NUM_RX_QUEUES, nl.Uint32Attr(1)))
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	peer := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	pm := nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC)
	pm.Index = int32(v.PeerIndex)
	peer.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(v.PeerName))
	if v.MTU > 0 {
		peer.AddRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(v.MTU)))
	}
	if len(v.PeerMAC) > 0 {
		peer.AddRtAttr(unix.IFLA_ADDRESS, []byte(v.PeerMAC))
	}
	peer.AddRtAttr(unix.IFLA_NUM_TX_QUEUES, nl.Uint32Attr(1))
	peer.AddRtAttr(unix.IFLA_NUM_RX_QUEUES, nl.Uint32Attr(1))
	if v.PeerNSFd >= 0 {
		peer.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(v.PeerNSFd)))
	}
	req.AddData(info)
	msgs, err := s.Query(req, unix.RTM_NEWLINK)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if len(m) < unix.SizeofIfInfomsg {
			continue
		}
		attrs, err := nl.ParseRouteAttr(m[unix.SizeofIfInfomsg:])
		if err != nil {
			continue
		}
		for _, a := range attrs {
			if a.Attr.Type == unix.IFLA_IFNAME && string(bytes.TrimRight(a.Value, "\x00")) == v.Name {
				return int(nl.DeserializeIfInfomsg(m).Index), nil
			}
		}
	}
	return 0, nil
}

// SetUp sets link name up.
func (s *Socket) SetUp(name string) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	req.AddData(msg)
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	return s.Exec(req)
}

// DelLink deletes link name.
func (s *Socket) DelLink(name string) error {
	req := nl.NewNetlinkRequest(unix.RTM_DELLINK, unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	return s.Exec(req)
}

// LinkIndex returns the index of link name.
func (s *Socket) LinkIndex(name string) (int, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	req.AddData(nl.NewRtAttr(unix.IFLA_EXT_MASK, nl.Uint32Attr(rtextFilterSkipStats)))
	msgs, err := s.Query(req, unix.RTM_NEWLINK)
	if err != nil {
		return 0, err
	}
	if len(msgs) == 0 || len(msgs[0]) < unix.SizeofIfInfomsg {
		return 0, unix.ENODEV
	}
	return int(nl.DeserializeIfInfomsg(msgs[0]).Index), nil
}

// IsGone reports a netlink error for a link or object that does not exist.
func IsGone(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENOENT) || errors.As(err, &nf)
}

// LinkName returns the interface name (IFLA_IFNAME) in the payload of an
// RTM_NEWLINK or RTM_DELLINK message, or "" when it has none.
func LinkName(data []byte) string {
	if len(data) < unix.SizeofIfInfomsg {
		return ""
	}
	attrs, err := syscall.ParseNetlinkRouteAttr(&syscall.NetlinkMessage{Header: syscall.NlMsghdr{Type: unix.RTM_NEWLINK}, Data: data})
	if err != nil {
		return ""
	}
	for _, a := range attrs {
		if a.Attr.Type == unix.IFLA_IFNAME {
			return string(bytes.TrimRight(a.Value, "\x00"))
		}
	}
	return ""
}
