package resolver

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"time"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/miekg/dns"
	"github.com/sirupsen/logrus"
)

var (
	errMismatch = errors.New("reply does not match the query")
	errShort    = errors.New("reply too short")
)

// forward resolves the raw client query q (described by qi) with the
// upstreams and returns the reply for the client: the upstream's answer
// under the client's ID, or SERVFAIL. tcp says how the client asked.
func (r *Resolver) forward(ctx context.Context, q []byte, qi queryInfo, tcp bool) []byte {
	ups := r.upstreamList()
	deadline := time.Now().Add(r.cfg.ForwardTimeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var fallback []byte
	for i, up := range ups {
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			break
		}
		actx, acancel := context.WithTimeout(ctx, left/time.Duration(len(ups)-i))
		resp, err := r.exchange(actx, up, q, qi, tcp)
		acancel()
		if err != nil {
			r.log.WithFields(logrus.Fields{"upstream": up.String()}).WithError(err).Debug("dns: forward failed")
			continue
		}
		if rc := resp[3] & 0x0f; rc == dns.RcodeServerFailure || rc == dns.RcodeRefused {
			fallback = resp
			continue
		}
		return r.fit(resp, q, qi, tcp)
	}
	r.stats().ForwardFailures.Add(1)
	if fallback != nil {
		return r.fit(fallback, q, qi, tcp)
	}
	return failReply(q, qi, dns.RcodeServerFailure, r.hasUpstreams())
}

// exchange sends q to up under a fresh ID and returns the reply with the
// client's ID: over TCP when tcp, else over UDP and again over TCP when
// the UDP reply is truncated.
func (r *Resolver) exchange(ctx context.Context, up netip.AddrPort, q []byte, qi queryInfo, tcp bool) ([]byte, error) {
	msg := bytes.Clone(q)
	id := uint16(rand.Uint32())
	binary.BigEndian.PutUint16(msg, id)
	var udpResp []byte
	if !tcp {
		resp, err := r.exchangeUDP(ctx, up, msg, qi)
		if err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint16(resp, qi.id)
		if resp[2]&0x02 == 0 {
			return resp, nil
		}
		udpResp = resp
	}
	resp, err := r.exchangeTCP(ctx, up, msg, qi)
	if err != nil {
		if udpResp != nil {
			// No TCP: the client gets the truncated reply, as sent.
			r.log.WithFields(logrus.Fields{"upstream": up.String()}).WithError(err).Debug("dns: tcp retry failed")
			return udpResp, nil
		}
		return nil, err
	}
	binary.BigEndian.PutUint16(resp, qi.id)
	return resp, nil
}

// dial connects to up over network from inside the sandbox's namespace.
func (r *Resolver) dial(ctx context.Context, network string, up netip.AddrPort) (net.Conn, error) {
	var c net.Conn
	err := ns.WithNetNS(r.nsh, func() error {
		var d net.Dialer
		var err error
		c, err = d.DialContext(ctx, network, up.String())
		return err
	})
	if err != nil {
		return nil, err
	}
	dl, _ := ctx.Deadline()
	_ = c.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Now()) })
	return &ctxConn{Conn: c, stop: stop}, nil
}

// ctxConn is a connection whose deadline ctx cut short.
type ctxConn struct {
	net.Conn
	stop func() bool
}

func (c *ctxConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

func (r *Resolver) exchangeUDP(ctx context.Context, up netip.AddrPort, msg []byte, qi queryInfo) ([]byte, error) {
	c, err := r.dial(ctx, "udp", up)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Write(msg); err != nil {
		return nil, err
	}
	// One byte more than the client accepts tells an oversized reply.
	buf := make([]byte, qi.udpSize+1)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return nil, err
		}
		resp := buf[:n]
		if matchReply(msg, qi, resp) != nil {
			continue // not ours (late or spoofed): keep waiting
		}
		if n > qi.udpSize {
			// Treat as truncated: the TCP retry gets it whole.
			resp[2] |= 0x02
		}
		return resp, nil
	}
}

func (r *Resolver) exchangeTCP(ctx context.Context, up netip.AddrPort, msg []byte, qi queryInfo) ([]byte, error) {
	c, err := r.dial(ctx, "tcp", up)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	wb := make([]byte, 2+len(msg))
	binary.BigEndian.PutUint16(wb, uint16(len(msg)))
	copy(wb[2:], msg)
	if _, err := c.Write(wb); err != nil {
		return nil, err
	}
	var lb [2]byte
	if _, err := io.ReadFull(c, lb[:]); err != nil {
		return nil, err
	}
	resp := make([]byte, binary.BigEndian.Uint16(lb[:]))
	if _, err := io.ReadFull(c, resp); err != nil {
		return nil, err
	}
	if err := matchReply(msg, qi, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// matchReply checks that resp answers msg: same ID, QR set and the same
// question (names compared case-insensitively). A reply without question
// is accepted only with an error code.
func matchReply(msg []byte, qi queryInfo, resp []byte) error {
	if len(resp) < headerLen {
		return errShort
	}
	if resp[0] != msg[0] || resp[1] != msg[1] || resp[2]&0x80 == 0 {
		return errMismatch
	}
	if resp[4] == 0 && resp[5] == 0 {
		if resp[3]&0x0f != dns.RcodeSuccess {
			return nil
		}
		return errMismatch
	}
	end := questionEnd(resp)
	if end != qi.qend || !bytes.EqualFold(resp[headerLen:end], msg[headerLen:qi.qend]) {
		return fmt.Errorf("%w: question differs", errMismatch)
	}
	return nil
}

// fit returns resp for the client; a reply larger than a UDP client
// accepts becomes an empty truncated reply, so that it asks again over TCP.
func (r *Resolver) fit(resp, q []byte, qi queryInfo, tcp bool) []byte {
	if tcp || len(resp) <= qi.udpSize {
		return resp
	}
	out := failReply(q, qi, int(resp[3]&0x0f), true)
	out[2] |= 0x02 // TC
	return out
}

// failReply builds, from the raw query q, a reply with code: its header,
// its question and, when the query had EDNS0, an OPT record.
func failReply(q []byte, qi queryInfo, code int, ra bool) []byte {
	out := make([]byte, 0, qi.qend+11)
	out = append(out, q[:qi.qend]...)
	binary.BigEndian.PutUint16(out, qi.id)
	out[2] = 0x80 | q[2]&0x79
	out[3] = byte(code & 0x0f)
	if ra {
		out[3] |= 0x80
	}
	binary.BigEndian.PutUint16(out[4:], 1)
	clear(out[6:headerLen])
	if qi.edns {
		binary.BigEndian.PutUint16(out[10:], 1)
		out = append(out, 0, 0, byte(dns.TypeOPT), maxQuerySize>>8, maxQuerySize&0xff, 0, 0, 0, 0, 0, 0)
	}
	return out
}
