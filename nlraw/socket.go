// Package nlraw sends hand-made rtnetlink requests on a route socket of one
// network namespace, for link operations that the netlink library splits
// into several round trips or makes in the wrong namespace (it looks a new
// link up by name in the socket's namespace and sets its master
// afterwards). It also holds the drivers' host-namespace option helper.
package nlraw

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Socket sends requests on route sockets of one namespace. It keeps a
// few sockets and gives each request one of its own: no request waits for
// another's kernel work (the kernel serialises what must be). It is safe
// for concurrent use.
type Socket struct {
	ns netns.NsHandle // our duplicate

	mu     sync.Mutex
	idle   []*nl.SocketHandle
	closed bool
}

// maxIdle bounds the sockets kept between requests.
const maxIdle = 8

// Open opens a route socket with extended acks in the namespace h
// (netns.None(): the calling thread's).
func Open(h netns.NsHandle) (*Socket, error) {
	var err error
	s := &Socket{}
	if h.IsOpen() {
		var fd int
		fd, err = unix.FcntlInt(uintptr(h), unix.F_DUPFD_CLOEXEC, 0)
		s.ns = netns.NsHandle(fd)
	} else {
		s.ns, err = netns.Get()
	}
	if err != nil {
		return nil, types.InternalErrorf("netlink socket in namespace %s: %w", h, err)
	}
	sh, err := s.open()
	if err != nil {
		s.ns.Close()
		return nil, err
	}
	s.idle = append(s.idle, sh)
	return s, nil
}

func (s *Socket) open() (*nl.SocketHandle, error) {
	sock, err := nl.GetNetlinkSocketAt(s.ns, netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return nil, types.InternalErrorf("netlink socket in namespace %s: %w", s.ns, err)
	}
	if err := sock.SetExtAck(true); err != nil {
		sock.Close()
		return nil, types.InternalErrorf("netlink extended ack: %w", err)
	}
	return &nl.SocketHandle{Socket: sock}, nil
}

// get returns an idle socket, or a new one.
func (s *Socket) get() (*nl.SocketHandle, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, types.InternalErrorf("netlink socket in namespace %s: closed", s.ns)
	}
	if n := len(s.idle); n > 0 {
		sh := s.idle[n-1]
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		return sh, nil
	}
	s.mu.Unlock()
	return s.open()
}

// put keeps sh for the next request, or closes it.
func (s *Socket) put(sh *nl.SocketHandle) {
	s.mu.Lock()
	if !s.closed && len(s.idle) < maxIdle {
		s.idle = append(s.idle, sh)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	sh.Close()
}

// Close closes the sockets; requests under way finish on theirs.
func (s *Socket) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	for _, sh := range s.idle {
		sh.Close()
	}
	s.idle = nil
	s.ns.Close()
}

// Exec sends req on the socket and waits for its ack. Kernel errors are
// returned as they come (errno values, unwrapped).
func (s *Socket) Exec(req *nl.NetlinkRequest) error {
	_, err := s.Query(req, 0)
	return err
}

// Query sends req on the socket and returns the answers of type resType.
func (s *Socket) Query(req *nl.NetlinkRequest, resType uint16) ([][]byte, error) {
	sh, err := s.get()
	if err != nil {
		return nil, err
	}
	defer s.put(sh)
	req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: sh}
	return req.Execute(unix.NETLINK_ROUTE, resType)
}

// Batch sends reqs in one message buffer (one sendmsg; the kernel runs
// them in order) and waits for all their acks. Each request must ask for an
// ack (NLM_F_ACK). The first kernel error is returned (an errno,
// unwrapped); the requests after a failed one are still run by the kernel.
func (s *Socket) Batch(reqs ...*nl.NetlinkRequest) error {
	sh, err := s.get()
	if err != nil {
		return err
	}
	defer s.put(sh)
	sock := sh.Socket
	sock.Lock()
	defer sock.Unlock()
	var buf []byte
	want := map[uint32]bool{}
	for _, r := range reqs {
		r.Seq = atomic.AddUint32(&sh.Seq, 1)
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
