package resolver

import (
	"net"
	"strings"

	"github.com/miekg/dns"
)

const (
	// localTTL is the TTL of local answers, as libnetwork.
	localTTL = 600
	// maxQuerySize is the largest query read over UDP and the EDNS0 buffer
	// size the resolver advertises.
	maxQuerySize = 4096
	headerLen    = 12
)

// verdict is what the handler decided to do with a query.
type verdict int

const (
	drop    verdict = iota // say nothing
	reply                  // send the reply built
	forward                // forward to the upstreams
)

// queryInfo is what forwarding needs to know of a client query.
type queryInfo struct {
	id      uint16
	qend    int  // end offset of the first question in the raw query
	edns    bool // the query carries an OPT record
	udpSize int  // largest UDP reply the client accepts
}

// handler answers queries; one per serving goroutine, it reuses its
// messages and buffer between queries.
type handler struct {
	r    *Resolver
	req  dns.Msg
	resp dns.Msg
	info queryInfo
	out  []byte
}

func newHandler(r *Resolver) *handler { return &handler{r: r} }

// handle decides what to do with the raw query q that came over UDP (udp)
// or TCP. For reply it returns the packed reply, which aliases h's buffer
// and is valid until the next call. For forward, h.info describes q.
func (h *handler) handle(q []byte, udp bool) (verdict, []byte) {
	if len(q) < headerLen || q[2]&0x80 != 0 {
		return drop, nil // too short to answer, or a response
	}
	h.info = queryInfo{id: uint16(q[0])<<8 | uint16(q[1]), udpSize: dns.MinMsgSize}
	if err := h.req.Unpack(q); err != nil {
		return reply, h.headerOnly(q, dns.RcodeFormatError)
	}
	req := &h.req
	if opt := req.IsEdns0(); opt != nil {
		h.info.edns = true
		if s := int(opt.UDPSize()); s > h.info.udpSize {
			h.info.udpSize = s
		}
		if opt.Version() != 0 {
			return h.rcode(dns.RcodeBadVers, udp)
		}
	}
	if req.Opcode != dns.OpcodeQuery {
		return h.rcode(dns.RcodeNotImplemented, udp)
	}
	if len(req.Question) != 1 {
		return h.rcode(dns.RcodeFormatError, udp)
	}
	h.info.qend = questionEnd(q)
	if h.info.qend < 0 {
		return h.rcode(dns.RcodeFormatError, udp)
	}
	if v, out := h.local(udp); v != forward {
		return v, out
	}
	if !h.r.hasUpstreams() {
		return h.rcode(dns.RcodeRefused, udp)
	}
	return forward, nil
}

// local answers the question from the Backend, or returns forward.
func (h *handler) local(udp bool) (verdict, []byte) {
	qs := h.req.Question[0]
	if qs.Qclass != dns.ClassINET {
		return forward, nil
	}
	name := strings.ToLower(strings.TrimSuffix(qs.Name, "."))
	if name == "" {
		return forward, nil
	}
	b := h.r.backend
	switch qs.Qtype {
	case dns.TypeA, dns.TypeAAAA:
		fam := 4
		if qs.Qtype == dns.TypeAAAA {
			fam = 6
		}
		ips, exists := b.ResolveName(name, fam)
		if !exists && len(ips) == 0 {
			return forward, nil
		}
		h.startAnswer()
		for _, ip := range ips {
			if rr := addrRR(qs, ip, fam); rr != nil {
				h.resp.Answer = append(h.resp.Answer, rr)
			}
		}
		return h.finish(udp)
	case dns.TypePTR:
		ip := reverseIP(name)
		if ip == nil {
			return forward, nil
		}
		host := b.ResolveIP(ip)
		if host == "" {
			return forward, nil
		}
		if _, ok := dns.IsDomainName(host); !ok {
			return forward, nil
		}
		h.startAnswer()
		h.resp.Answer = append(h.resp.Answer, &dns.PTR{
			Hdr: dns.RR_Header{Name: qs.Name, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: localTTL},
			Ptr: dns.Fqdn(host),
		})
		return h.finish(udp)
	}
	// Any other type of a local name: the name exists, the type does not.
	if _, exists := b.ResolveName(name, 4); exists {
		h.startAnswer()
		return h.finish(udp)
	}
	return forward, nil
}

func addrRR(qs dns.Question, ip net.IP, fam int) dns.RR {
	hdr := dns.RR_Header{Name: qs.Name, Rrtype: qs.Qtype, Class: dns.ClassINET, Ttl: localTTL}
	if fam == 4 {
		if v4 := ip.To4(); v4 != nil {
			return &dns.A{Hdr: hdr, A: v4}
		}
		return nil
	}
	if len(ip) == net.IPv6len && ip.To4() == nil {
		return &dns.AAAA{Hdr: hdr, AAAA: ip}
	}
	return nil
}

// startAnswer prepares h.resp as an authoritative NOERROR reply to h.req.
func (h *handler) startAnswer() {
	ans := h.resp.Answer[:0]
	if cap(ans) > 64 {
		ans = nil // do not keep the room of a huge answer
	}
	clear(ans[:cap(ans)])
	h.resp = dns.Msg{Answer: ans}
	h.resp.SetReply(&h.req)
	h.resp.Authoritative = true
	h.resp.RecursionAvailable = h.r.hasUpstreams()
}

// rcode returns a reply to h.req with code and no answers.
func (h *handler) rcode(code int, udp bool) (verdict, []byte) {
	h.startAnswer()
	h.resp.Authoritative = false
	h.resp.Rcode = code
	return h.finish(udp)
}

// finish adds EDNS0 where the query had it, truncates the reply to the
// client's UDP size or the TCP maximum, and packs it.
func (h *handler) finish(udp bool) (verdict, []byte) {
	if h.info.edns {
		h.resp.SetEdns0(maxQuerySize, false)
	}
	limit := dns.MaxMsgSize
	if udp {
		limit = h.info.udpSize
	}
	h.resp.Truncate(limit)
	out, err := h.resp.PackBuffer(h.out)
	if err != nil {
		return drop, nil
	}
	if cap(out) <= 2*maxQuerySize {
		h.out = out[:0]
	}
	return reply, out
}

// headerOnly returns a reply with code to the query whose header is q,
// for queries that cannot be parsed.
func (h *handler) headerOnly(q []byte, code int) []byte {
	out := append(h.out[:0], q[:headerLen]...)
	out[2] = 0x80 | q[2]&0x79 // QR, opcode and RD kept; AA and TC clear
	out[3] = byte(code & 0x0f)
	if h.r.hasUpstreams() {
		out[3] |= 0x80
	}
	for i := 4; i < headerLen; i++ {
		out[i] = 0
	}
	h.out = out[:0]
	return out
}

// questionEnd returns the offset just past the first question of msg, or
// -1. The first name of a message cannot be compressed.
func questionEnd(msg []byte) int {
	if len(msg) < headerLen || msg[4] == 0 && msg[5] == 0 {
		return -1
	}
	off := headerLen
	for {
		if off >= len(msg) {
			return -1
		}
		l := int(msg[off])
		if l == 0 {
			off++
			break
		}
		if l > 63 {
			return -1
		}
		off += 1 + l
	}
	if off+4 > len(msg) {
		return -1
	}
	return off + 4
}
