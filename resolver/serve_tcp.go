package resolver

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"time"

	"github.com/miekg/dns"
)

const (
	// maxTCPConns bounds the open client connections; more are closed.
	maxTCPConns = 128
	// tcpIdleTimeout closes a client connection that sends nothing.
	tcpIdleTimeout = 10 * time.Second
	// tcpWriteTimeout bounds writing one reply.
	tcpWriteTimeout = 5 * time.Second
)

// serveTCP accepts client connections on l until it is closed.
func (r *Resolver) serveTCP(l *net.TCPListener) {
	defer r.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || r.ctx.Err() != nil {
				return
			}
			// Out of descriptors or the like: back off a little.
			r.log.WithError(err).Debug("dns: tcp accept")
			select {
			case <-r.ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		if !r.track(c) {
			c.Close()
			continue
		}
		r.wg.Add(1)
		go r.serveConn(c)
	}
}

// track records c, unless the resolver is stopping or has too many.
func (r *Resolver) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != stateRunning || len(r.conns) >= maxTCPConns {
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *Resolver) untrack(c net.Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
	c.Close()
}

// serveConn answers the queries on one client connection, in order.
func (r *Resolver) serveConn(c net.Conn) {
	defer r.wg.Done()
	defer r.untrack(c)
	h := newHandler(r)
	var lb [2]byte
	var in, wb []byte
	for {
		_ = c.SetReadDeadline(time.Now().Add(tcpIdleTimeout))
		if _, err := io.ReadFull(c, lb[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint16(lb[:]))
		if cap(in) < n {
			in = make([]byte, n)
		}
		in = in[:n]
		if _, err := io.ReadFull(c, in); err != nil {
			return
		}
		out := r.serveTCPQuery(h, in)
		if out == nil {
			return
		}
		wb = append(append(wb[:0], byte(len(out)>>8), byte(len(out))), out...)
		_ = c.SetWriteDeadline(time.Now().Add(tcpWriteTimeout))
		if _, err := c.Write(wb); err != nil {
			return
		}
	}
}

// serveTCPQuery returns the reply to q, or nil to close the connection.
func (r *Resolver) serveTCPQuery(h *handler, q []byte) (out []byte) {
	defer r.recoverPanic("tcp")
	v, out := h.handle(q, false)
	r.count(v)
	switch v {
	case reply:
		return out
	case forward:
		if !r.acquire() {
			r.stats().ForwardFailures.Add(1)
			_, out = h.rcode(dns.RcodeServerFailure, false)
			return out
		}
		defer r.release()
		return r.forward(r.ctx, q, h.info, true)
	}
	return nil
}
