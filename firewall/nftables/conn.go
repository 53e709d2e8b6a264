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

	"github.com/cnmkit/libnetwork/types"
	gnft "github.com/google/nftables"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Conn reaches the nf_tables of one network namespace. Each transaction
// uses a connection of its own, so that concurrent transactions never mix
// their messages. It is safe for concurrent use.
type Conn struct {
	ns netns.NsHandle // our duplicate; netns.None(): the caller's namespace
}

// Open returns a Conn for the namespace h (netns.None(): the namespace of
// the calling thread at each call). The handle is duplicated.
func Open(h netns.NsHandle) (*Conn, error) {
	c := &Conn{ns: netns.None()}
	if h.IsOpen() {
		fd, err := unix.FcntlInt(uintptr(h), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, types.InternalErrorf("nftables: duplicate namespace handle %s: %w", h, err)
		}
		c.ns = netns.NsHandle(fd)
	}
	return c, nil
}

// Close releases the namespace handle.
func (c *Conn) Close() {
	if c.ns.IsOpen() {
		c.ns.Close()
		c.ns = netns.None()
	}
}

func (c *Conn) dial() (*gnft.Conn, error) {
	var opts []gnft.ConnOption
	if c.ns.IsOpen() {
		opts = append(opts, gnft.WithNetNSFd(int(c.ns)))
	}
	nc, err := gnft.New(opts...)
	if err != nil {
		return nil, types.InternalErrorf("nftables: netlink connection: %w", err)
	}
	return nc, nil
}

// Do runs one transaction: fn queues its changes, which the kernel then
// applies all or none. A refusal is an *Error (what names the change)
// wrapped in its class.
func (c *Conn) Do(what string, fn func(*gnft.Conn) error) error {
	nc, err := c.dial()
	if err != nil {
		return err
	}
	if err := fn(nc); err != nil {
		return Classify(what, err)
	}
	if err := nc.Flush(); err != nil {
		return Classify(what, err)
	}
	return nil
}

// Query runs read-only calls on a connection of their own.
func (c *Conn) Query(what string, fn func(*gnft.Conn) error) error {
	nc, err := c.dial()
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
