package parent

import (
	"net"

	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Lower is a macvlan or ipvlan link to create on a parent link.
type Lower struct {
	Kind        string // "macvlan" or "ipvlan"
	Name        string // its final name
	ParentIndex int    // the parent's index in the socket's namespace
	MAC         net.HardwareAddr
	MTU         int    // 0: the parent's
	NSFd        int    // the namespace it is born in; negative: the socket's
	Mode        uint32 // macvlan: nl.MACVLAN_MODE_*; ipvlan: netlink.IPVLAN_MODE_*
	Flags       uint16 // ipvlan: netlink.IPVLAN_FLAG_*
}

// AddLower creates l, down, with one request on s: the kernel resolves the
// parent in s's namespace and registers the link directly in the target
// namespace under its final name, so it is never moved nor renamed. An
// existing name there is an EEXIST error (unwrapped).
func AddLower(s *nlraw.Socket, l Lower) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(l.Name)))
	req.AddData(nl.NewRtAttr(unix.IFLA_LINK, nl.Uint32Attr(uint32(l.ParentIndex))))
	if l.MTU > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(uint32(l.MTU))))
	}
	if len(l.MAC) > 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_ADDRESS, []byte(l.MAC)))
	}
	if l.NSFd >= 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(l.NSFd))))
	}
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated(l.Kind))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	if l.Kind == "ipvlan" {
		data.AddRtAttr(nl.IFLA_IPVLAN_MODE, nl.Uint16Attr(uint16(l.Mode)))
		data.AddRtAttr(nl.IFLA_IPVLAN_FLAG, nl.Uint16Attr(l.Flags))
	} else {
		data.AddRtAttr(nl.IFLA_MACVLAN_MODE, nl.Uint32Attr(l.Mode))
	}
	req.AddData(info)
	return s.Exec(req)
}
