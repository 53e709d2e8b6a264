// Package nftables programs nf_tables through github.com/google/nftables
// in tables of our own: the bridge networks' filter and nat rules (Bridge,
// table "inet cnmkit"), and the connection helper the port mapper and the
// resolver use for theirs. Tables of others (iptables-nft's filter and
// nat, Docker's, firewalld's) are never read for changes, flushed or
// altered.
package nftables

import (
	"errors"
	"fmt"
	"sync"

	"github.com/cnmkit/libnetwork/types"
	gnft "github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Conn reaches the nf_tables of one network namespace through one lasting
// netlink socket (closing a socket that deleted something waits for an RCU
// grace period, ~10 ms: a socket per transaction would pay it each time).
// Transactions are serialised, so that they never mix their messages. It
// is safe for concurrent use.
type Conn struct {
	mu sync.Mutex
	ns netns.NsHandle // our duplicate; netns.None(): the opener's namespace
	nc *gnft.Conn     // nil after a failed queueing
	// closed is set by Close.
	closed bool
}

// Open returns a Conn for the namespace h (netns.None(): the namespace of
// the calling thread). The handle is duplicated.
func Open(h netns.NsHandle) (*Conn, error) {
	c := &Conn{ns: netns.None()}
	if h.IsOpen() {
		fd, err := unix.FcntlInt(uintptr(h), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, types.InternalErrorf("nftables: duplicate namespace handle %s: %w", h, err)
		}
		c.ns = netns.NsHandle(fd)
	}
	var err error
	if c.nc, err = c.dial(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the socket and releases the namespace handle.
func (c *Conn) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nc != nil {
		_ = c.nc.CloseLasting()
		c.nc = nil
	}
	if c.ns.IsOpen() {
		c.ns.Close()
		c.ns = netns.None()
	}
	c.closed = true
}

// sockBuf is the socket buffer size of a connection: a transaction is one
// send, its acks queue up until it is read back.
const sockBuf = 8 << 20

func bigBuffers(nc *netlink.Conn) error {
	rc, err := nc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		for _, o := range []int{unix.SO_SNDBUFFORCE, unix.SO_RCVBUFFORCE} {
			if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o, sockBuf); e != nil && serr == nil {
				serr = e
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		// Without CAP_NET_ADMIN: as large as the limits allow.
		_ = nc.SetWriteBuffer(sockBuf)
		_ = nc.SetReadBuffer(sockBuf)
	}
	return nil
}

func (c *Conn) dial() (*gnft.Conn, error) {
	opts := []gnft.ConnOption{gnft.AsLasting(), gnft.WithSockOptions(bigBuffers)}
	if c.ns.IsOpen() {
		opts = append(opts, gnft.WithNetNSFd(int(c.ns)))
	}
	nc, err := gnft.New(opts...)
	if err != nil {
		return nil, types.InternalErrorf("nftables: netlink connection: %w", err)
	}
	return nc, nil
}

// conn returns the socket; the caller holds c.mu.
func (c *Conn) conn() (*gnft.Conn, error) {
	if c.closed {
		return nil, types.NoServiceErrorf("nftables: connection closed")
	}
	if c.nc == nil {
		nc, err := c.dial()
		if err != nil {
			return nil, err
		}
		c.nc = nc
	}
	return c.nc, nil
}

// drop discards the socket (and any message queued on it).
func (c *Conn) drop() {
	if c.nc != nil {
		_ = c.nc.CloseLasting()
		c.nc = nil
	}
}

// Do runs one transaction: fn queues its changes, which the kernel then
// applies all or none. A refusal is an *Error (what names the change)
// wrapped in its class.
func (c *Conn) Do(what string, fn func(*gnft.Conn) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	nc, err := c.conn()
	if err != nil {
		return err
	}
	if err := fn(nc); err != nil {
		c.drop()
		return Classify(what, err)
	}
	if err := nc.Flush(); err != nil {
		return Classify(what, err)
	}
	return nil
}

// Query runs read-only calls.
func (c *Conn) Query(what string, fn func(*gnft.Conn) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	nc, err := c.conn()
	if err != nil {
		return err
	}
	if err := fn(nc); err != nil {
		return Classify(what, err)
	}
	return nil
}

// Error is a change or query the kernel refused.
type Error struct {
	What  string // the change: "add network cnm-1 to inet cnmkit", say
	Errno unix.Errno
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("nftables: %s: %v", e.What, e.Err) }

// Unwrap returns the library's error (which wraps the errno).
func (e *Error) Unwrap() error { return e.Err }

// Classify wraps err in an *Error and its types class: NotFound (ENOENT:
// a table, chain, set or element is missing), Conflict (EEXIST, EBUSY),
// NotImplemented (the kernel lacks a feature) or Internal.
func Classify(what string, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{What: what, Err: err}
	var errno unix.Errno
	if errors.As(err, &errno) {
		e.Errno = errno
	}
	switch e.Errno {
	case unix.ENOENT:
		return types.NotFoundErrorf("%w", e)
	case unix.EEXIST, unix.EBUSY:
		return types.ConflictErrorf("%w", e)
	case unix.EPROTONOSUPPORT, unix.EAFNOSUPPORT, unix.EOPNOTSUPP:
		return types.NotImplementedErrorf("%w", e)
	}
	return types.InternalErrorf("%w", e)
}

// Errno returns the errno of an nf_tables error, or 0.
func Errno(err error) unix.Errno {
	var e *Error
	if errors.As(err, &e) {
		return e.Errno
	}
	return 0
}

// Available reports whether the namespace's kernel has nf_tables.
func (c *Conn) Available() bool {
	err := c.Query("list tables", func(nc *gnft.Conn) error {
		_, err := nc.ListTables()
		return err
	})
	return err == nil
}

// IfName returns name as an interface-name key: 16 bytes, zero-padded.
func IfName(name string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return b
}
