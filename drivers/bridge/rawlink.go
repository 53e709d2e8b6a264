package bridge

import (
	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// The bridge-port requests, sent on the driver's raw socket of the host
// namespace (see nlraw).

// setHairpin turns hairpin mode on or off for the bridge port name (of
// index idx, 0 when not known).
func setHairpin(s *nlraw.Socket, name string, idx int, on bool) error {
	v := uint8(0)
	if on {
		v = 1
	}
	return setPort(s, name, idx, nl.IFLA_BRPORT_MODE, v)
}

// leftGroup is the link group of left host ends (taken off their bridge,
// waiting to be freed): one request deletes them all (flushLeft).
const leftGroup = 0x636e6d76 // "cnmv"

// releasePort takes link name (of index idx, 0 when not known) off its
// bridge and puts it in leftGroup, with one request.
func releasePort(s *nlraw.Socket, name string, idx int) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(idx)
	req.AddData(msg)
	if idx == 0 {
		req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
	}
	req.AddData(nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(0)))
	req.AddData(nl.NewRtAttr(unix.IFLA_GROUP, nl.Uint32Attr(leftGroup)))
	return s.Exec(req)
}

// flushLeft deletes the links of leftGroup (with their peers) with one
// request: the kernel frees them in one batch.
func flushLeft(s *nlraw.Socket) error {
	req := nl.NewNetlinkRequest(unix.RTM_DELLINK, unix.NLM_F_ACK)
	req.AddData(nl.NewIfInfomsg(unix.AF_UNSPEC))
	req.AddData(nl.NewRtAttr(unix.IFLA_GROUP, nl.Uint32Attr(leftGroup)))
	if err := s.Exec(req); err != nil && !isGone(err) {
		return err
	}
	return nil
}

// setPort sets a one-byte bridge port attribute through the bridge's own
// setlink (AF_BRIDGE). Set as link slave data instead, the change would go
// through the generic link change, whose notification makes the kernel
// settle the port's link state (an RCU synchronisation for a new port). The port's index is
// looked up when idx is 0; a lookup makes the kernel settle the link's
// pending state changes first, which for a new port costs an RCU
// synchronisation.
func setPort(s *nlraw.Socket, name string, idx, attr int, v uint8) error {
	if idx == 0 {
		var err error
		if idx, err = s.LinkIndex(name); err != nil {
			return err
		}
	}
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_BRIDGE)
	msg.Index = int32(idx)
	req.AddData(msg)
	pi := nl.NewRtAttr(unix.IFLA_PROTINFO|unix.NLA_F_NESTED, nil)
	pi.AddRtAttr(attr, nl.Uint8Attr(v))
	req.AddData(pi)
	return s.Exec(req)
}

// isGone reports a netlink error for a link that does not exist.
func isGone(err error) bool { return nlraw.IsGone(err) }
