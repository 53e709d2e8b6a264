package resolver

import (
	"bytes"
	"errors"
	"net"
	"net/netip"

	"github.com/miekg/dns"
)

// serveUDP answers the queries that arrive on conn until it is closed.
// Local answers are written from this goroutine; forwarded queries each
// get a goroutine, bounded by the forwarding slots.
func (r *Resolver) serveUDP(conn *net.UDPConn) {
	defer r.wg.Done()
	h := newHandler(r)
	buf := make([]byte, maxQuerySize)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || r.ctx.Err() != nil {
				return
			}
			r.log.WithError(err).Debug("dns: udp read")
			continue
		}
		r.serveUDPQuery(conn, h, buf[:n], from)
	}
}

func (r *Resolver) serveUDPQuery(conn *net.UDPConn, h *handler, q []byte, from netip.AddrPort) {
	defer r.recoverPanic("udp")
	v, out := h.handle(q, true)
	r.count(v)
	switch v {
	case reply:
		_, _ = conn.WriteToUDPAddrPort(out, from)
	case forward:
		if !r.acquire() {
			r.stats().ForwardFailures.Add(1)
			_, out = h.rcode(dns.RcodeServerFailure, true)
			_, _ = conn.WriteToUDPAddrPort(out, from)
			return
		}
		qc, qi := bytes.Clone(q), h.info
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer r.release()
			defer r.recoverPanic("udp forward")
			resp := r.forward(r.ctx, qc, qi, false)
			_, _ = conn.WriteToUDPAddrPort(resp, from)
		}()
	}
}
