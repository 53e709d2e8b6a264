// Package nlraw sends hand-made rtnetlink requests on a route socket of one
// network namespace, for link operations that the netlink library splits
// into several round trips or makes in the wrong namespace (it looks a new
// link up by name in the socket's namespace and sets its master
// afterwards). It also holds the drivers' host-namespace option helper.
package nlraw

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Socket is an rtnetlink socket opened in one namespace. Requests on it are
// serialised.
type Socket struct {
	sh *nl.SocketHandle
}

// Open opens a route socket with extended acks in the namespace h.
func Open(h netns.NsHandle) (*Socket, error) {
	s, err := nl.GetNetlinkSocketAt(h, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, types.InternalErrorf("netlink socket in namespace %s: %w", h, err)
	}
	if err := s.SetExtAck(true); err != nil {
		s.Close()
		return nil, types.InternalErrorf("netlink extended ack: %w", err)
	}
	return &Socket{sh: &nl.SocketHandle{Socket: s}}, nil
}

// Close closes the socket.
func (s *Socket) Close() { s.sh.Close() }

// Exec sends req on the socket and waits for its ack. Kernel errors are
// returned as they come (errno values, unwrapped).
func (s *Socket) Exec(req *nl.NetlinkRequest) error {
	_, err := s.Query(req, 0)
	return err
}

// Query sends req on the socket and returns the answers of type resType.
func (s *Socket) Query(req *nl.NetlinkRequest, resType uint16) ([][]byte, error) {
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: s.sh}
	return req.Execute(unix.NETLINK_ROUTE, resType)
}

// Batch sends reqs in one message buffer (one sendmsg; the kernel runs
// them in order) and waits for all their acks. Each request must ask for an
// ack (NLM_F_ACK). The first kernel error is returned (an errno,
// unwrapped); the requests after a failed one are still run by the kernel.
func (s *Socket) Batch(reqs ...*nl.NetlinkRequest) error {
	sock := s.sh.Socket
	sock.Lock()
	defer sock.Unlock()
	var buf []byte
	want := map[uint32]bool{}
	for _, r := range reqs {
		r.Seq = atomic.AddUint32(&s.sh.Seq, 1)
		want[r.Seq] = true
		buf = append(buf, r.Serialize()...)
	}
	if err := unix.Sendto(sock.GetFd(), buf, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	var first error
	for len(want) > 0 {
		msgs, _, err := sock.Receive()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Type != unix.NLMSG_ERROR || !want[m.Header.Seq] {
				continue
			}
			delete(want, m.Header.Seq)
			if len(m.Data) >= 4 {
				if e := int32(binary.NativeEndian.Uint32(m.Data[:4])); e < 0 && first == nil {
					first = unix.Errno(-e)
				}
			}
		}
	}
	return first
}
