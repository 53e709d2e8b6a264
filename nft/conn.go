// Package nft programs nf_tables over netlink in one network namespace:
// tables, base chains, rules, sets and maps, changed in atomic batches.
// It covers the few rule shapes this library needs on the attach and
// detach paths, where running an iptables process per change would cost
// milliseconds (a process start, and for iptables-nft a read-back of the
// whole ruleset) and a map element costs microseconds.
package nft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Conn is a netfilter netlink socket of one namespace. Its calls are
// serialised.
type Conn struct {
	mu     sync.Mutex
	s      *nl.NetlinkSocket
	fd     int
	seq    uint32
	buf    []byte
	sndbuf int
}

// Open opens a connection to the nf_tables of the namespace h.
func Open(h netns.NsHandle) (*Conn, error) {
	s, err := nl.GetNetlinkSocketAt(h, netns.None(), unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, types.InternalErrorf("nftables: netlink socket in namespace %s: %w", h, err)
	}
	fd := s.GetFd()
	// Acks without a copy of the request: a batch's acks fit the buffer.
	if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1); err != nil {
		s.Close()
		return nil, types.InternalErrorf("nftables: netlink socket option: %w", err)
	}
	// Room for the acks of a large batch; root may exceed the limits.
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 1<<20); err != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	}
	return &Conn{s: s, fd: fd, buf: make([]byte, 64<<10), sndbuf: defaultSndbuf}, nil
}

// defaultSndbuf is below the kernel's default send buffer.
const defaultSndbuf = 128 << 10

// fit makes the send buffer hold a batch of n bytes.
func (c *Conn) fit(n int) error {
	if n+1024 <= c.sndbuf {
		return nil
	}
	size := n + 64<<10
	if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, size); err != nil {
		if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_SNDBUF, size); err != nil {
			return types.InternalErrorf("nftables: send buffer for a batch of %d bytes: %w", n, err)
		}
	}
	c.sndbuf = size
	return nil
}

// Close closes the connection.
func (c *Conn) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s != nil {
		c.s.Close()
		c.s = nil
	}
}

// Error is a change the kernel refused.
type Error struct {
	What  string // the change, "add set T/S" say
	Errno unix.Errno
}

func (e *Error) Error() string { return fmt.Sprintf("nftables: %s: %v", e.What, e.Errno) }

// Unwrap returns the errno.
func (e *Error) Unwrap() error { return e.Errno }

func classify(e *Error) error {
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

// Commit applies the batch as one transaction. The kernel handles a
// netfilter batch inside the send call, so its acks are queued when the
// send returns; the first refused change is returned (typed: NotFound,
// Conflict, NotImplemented or Internal, wrapping an *Error).
func (c *Conn) Commit(b *Batch) error {
	if b.Len() == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s == nil {
		return types.NoServiceErrorf("nftables: connection closed")
	}
	msg, whats := b.encode(c.seq)
	c.seq += uint32(len(whats)) + 2
	if err := c.fit(len(msg)); err != nil {
		return err
	}
	if err := unix.Sendto(c.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return types.InternalErrorf("nftables: send batch: %w", err)
	}
	var first *Error
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, unix.MSG_DONTWAIT)
		if errors.Is(err, unix.EAGAIN) {
			break
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return types.InternalErrorf("nftables: read acks: %w", err)
		}
		msgs, err := splitMessages(c.buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.typ != unix.NLMSG_ERROR || len(m.body) < 4 {
				continue
			}
			code := int32(binary.NativeEndian.Uint32(m.body))
			if code == 0 || first != nil {
				continue
			}
			what, ok := whats[m.seq]
			if !ok {
				what = "batch"
			}
			first = &Error{What: what, Errno: unix.Errno(-code)}
		}
	}
	if first != nil {
		return classify(first)
	}
	return nil
}

type nlmsg struct {
	typ  uint16
	seq  uint32
	body []byte
}

func splitMessages(b []byte) ([]nlmsg, error) {
	var out []nlmsg
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(binary.NativeEndian.Uint32(b[0:]))
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return nil, types.InternalErrorf("nftables: malformed netlink message of length %d", l)
		}
		out = append(out, nlmsg{typ: binary.NativeEndian.Uint16(b[4:]), seq: binary.NativeEndian.Uint32(b[8:]), body: b[unix.NLMSG_HDRLEN:l]})
		if align4(l) >= len(b) {
			break
		}
		b = b[align4(l):]
	}
	return out, nil
}

// Table names a table.
type Table struct {
	Family Family
	Name   string
}

func (t Table) String() string { return t.Family.String() + " " + t.Name }

// Tables lists the namespace's tables of every family.
func (c *Conn) Tables() ([]Table, error) {
	var out []Table
	err := c.dump(msgGetTable, 0, nil, "list tables", func(fam Family, a map[uint16][]byte) {
		out = append(out, Table{Family: fam, Name: cstring(a[attrTableName])})
	})
	return out, err
}

// Chains lists the chains of a table.
func (c *Conn) Chains(t Table) ([]string, error) {
	var out []string
	err := c.dump(msgGetChain, t.Family, nil, "list chains of "+t.String(), func(fam Family, a map[uint16][]byte) {
		if cstring(a[attrChainTable]) == t.Name {
			out = append(out, cstring(a[attrChainName]))
		}
	})
	return out, err
}

// Sets lists the sets and maps of a table.
func (c *Conn) Sets(t Table) ([]string, error) {
	var out []string
	var body attrs
	body.str(attrSetTable, t.Name)
	err := c.dump(msgGetSet, t.Family, body, "list sets of "+t.String(), func(fam Family, a map[uint16][]byte) {
		if cstring(a[attrSetTable]) == t.Name {
			out = append(out, cstring(a[attrSetName]))
		}
	})
	return out, err
}

// Elems lists the elements of a set.
func (c *Conn) Elems(t Table, set string) ([]Elem, error) {
	var out []Elem
	body := elemList(t.Name, set, nil)
	err := c.dump(msgGetSetElem, t.Family, body, "list elements of "+t.Name+"/"+set, func(fam Family, a map[uint16][]byte) {
		list := a[attrElemListElems]
		for len(list) >= 4 {
			l := int(binary.LittleEndian.Uint16(list))
			if l < 4 || l > len(list) {
				return
			}
			el := parseAttrs(list[4:l])
			e := Elem{Key: dataValue(el[attrElemKey])}
			if v, ok := el[attrElemData]; ok {
				e.Val = dataValue(v)
			}
			out = append(out, e)
			if align4(l) >= len(list) {
				break
			}
			list = list[align4(l):]
		}
	})
	return out, err
}

// dataValue returns the value of a NFTA_DATA nest.
func dataValue(b []byte) []byte {
	return append([]byte(nil), parseAttrs(b)[attrDataVal]...)
}

func cstring(b []byte) string {
	if len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return string(b)
}

// dump sends a dump request and calls each with every object's family and
// attributes.
func (c *Conn) dump(typ uint16, fam Family, body attrs, what string, each func(Family, map[uint16][]byte)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s == nil {
		return types.NoServiceErrorf("nftables: connection closed")
	}
	c.seq++
	req := make([]byte, 20, 20+len(body))
	binary.NativeEndian.PutUint32(req[0:], uint32(20+len(body)))
	binary.NativeEndian.PutUint16(req[4:], subsysNFTables<<8|typ)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], c.seq)
	req[16] = byte(fam)
	req = append(req, body...)
	if err := unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return types.InternalErrorf("nftables: %s: %w", what, err)
	}
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return types.InternalErrorf("nftables: %s: %w", what, err)
		}
		msgs, err := splitMessages(c.buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.seq != c.seq {
				continue
			}
			switch {
			case m.typ == unix.NLMSG_DONE:
				return nil
			case m.typ == unix.NLMSG_ERROR:
				if len(m.body) >= 4 {
					if code := int32(binary.NativeEndian.Uint32(m.body)); code != 0 {
						return classify(&Error{What: what, Errno: unix.Errno(-code)})
					}
				}
				return nil
			case len(m.body) >= 4:
				each(Family(m.body[0]), parseAttrs(m.body[4:]))
			}
		}
	}
}
