package bridge

import (
	"errors"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// maxBacklog bounds the left veth pairs that may wait for the kernel to
// free them (with their sandbox's namespace, in its cleanup worker). Under
// sustained churn the kernel's namespace cleanup falls behind the
// sandboxes being deleted; without the bound, pairs would pile up. A leave
// that finds maxBacklog there deletes them all with one request (they are
// in leftGroup), which the kernel does in one batch.
var maxBacklog = 8

// backlog follows, through the kernel's link notifications in the host
// namespace, the host ends that were left and are not gone yet.
type backlog struct {
	// flush deletes the left host ends (flushLeft).
	flush func() error
	fd    int
	stop  atomic.Bool
	done  chan struct{}

	flushMu sync.Mutex // one flush at a time
	mu      sync.Mutex
	left    map[string]bool
}

// newBacklog subscribes to the link notifications of the namespace the
// worker w is in; flush deletes the left host ends.
func newBacklog(w *ns.Worker, flush func() error) (*backlog, error) {
	b := &backlog{flush: flush, left: map[string]bool{}, done: make(chan struct{})}
	err := w.Do(func() error {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err != nil {
			return err
		}
		b.fd = fd
		// A close does not wake a netlink read: the loop looks at stop
		// between reads.
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 200000}); err != nil {
			unix.Close(fd)
			return err
		}
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 4<<20)
		if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: unix.RTMGRP_LINK}); err != nil {
			unix.Close(fd)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, types.InternalErrorf("bridge: link notifications in the host namespace: %w", err)
	}
	go b.loop()
	return b, nil
}

func (b *backlog) loop() {
	defer close(b.done)
	buf := make([]byte, 64<<10)
	for !b.stop.Load() {
		n, _, err := unix.Recvfrom(b.fd, buf, 0)
		switch {
		case errors.Is(err, unix.ENOBUFS):
			// Notifications were lost: forget the backlog rather than
			// wait for deletions that may have gone by.
			b.mu.Lock()
			b.left = map[string]bool{}
			b.mu.Unlock()
			continue
		case err != nil:
			continue // the read timeout, or an interruption
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			continue
		}
		for _, m := range msgs {
			// A bridge's port removal is a DELLINK too, of family
			// AF_BRIDGE: the link stays.
			if m.Header.Type != unix.RTM_DELLINK || len(m.Data) == 0 || m.Data[0] != unix.AF_UNSPEC {
				continue
			}
			if name := nlraw.LinkName(m.Data); name != "" {
				b.gone(name)
			}
		}
	}
}

func (b *backlog) gone(name string) {
	b.mu.Lock()
	delete(b.left, name)
	b.mu.Unlock()
}

// add records the host end name as left, waiting to be freed. With
// maxBacklog there already, they are deleted first.
func (b *backlog) add(name string) {
	b.mu.Lock()
	if len(b.left) >= maxBacklog {
		b.mu.Unlock()
		b.flushMu.Lock()
		b.mu.Lock()
		if len(b.left) >= maxBacklog {
			// What is known left now is in the group; what is added
			// during the flush may not have been yet.
			var names []string
			for n := range b.left {
				names = append(names, n)
			}
			b.mu.Unlock()
			err := b.flush()
			b.mu.Lock()
			if err != nil {
				logrus.WithField("driver", networkType).WithError(err).Warn("delete left veths")
			} else {
				for _, n := range names {
					delete(b.left, n)
				}
			}
		}
		b.flushMu.Unlock()
	}
	b.left[name] = true
	b.mu.Unlock()
}

// forget drops name (a join is about to re-create it, or it was deleted).
func (b *backlog) forget(name string) { b.gone(name) }

// close stops the notifications.
func (b *backlog) close() {
	b.stop.Store(true)
	<-b.done
	unix.Close(b.fd)
}
