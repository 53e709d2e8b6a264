package resolver

import (
	"bytes"
	"testing"

	"github.com/miekg/dns"
)

// fuzzResolver is a resolver with upstreams, never started: the handler
// decides, nothing is sent.
func fuzzResolver(t testing.TB) *Resolver {
	r, err := New(localBackend(), Config{Upstreams: []string{"10.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// FuzzHandle feeds arbitrary bytes to the query handler, over UDP and TCP,
// through one handler as the serving loops do: it never panics, replies
// carry the query's ID with QR set and fit a UDP client, and the replies
// built for forwarded queries parse.
func FuzzHandle(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	r := fuzzResolver(f)
	h := newHandler(r)
	f.Fuzz(func(t *testing.T, q []byte) {
		for _, udp := range []bool{true, false} {
			v, out := h.handle(q, udp)
			switch v {
			case drop:
				if out != nil {
					t.Fatal("drop with a reply")
				}
			case reply:
				if len(out) < headerLen || out[0] != q[0] || out[1] != q[1] || out[2]&0x80 == 0 {
					t.Fatalf("reply %x to %x", out, q)
				}
				if udp && len(out) > max(dns.MinMsgSize, h.info.udpSize) {
					t.Fatalf("UDP reply of %d bytes for a client of %d", len(out), h.info.udpSize)
				}
				var m dns.Msg
				if err := m.Unpack(out); err != nil {
					t.Fatalf("reply does not parse: %v: %x", err, out)
				}
			case forward:
				qi := h.info
				var m dns.Msg
				if err := m.Unpack(failReply(q, qi, dns.RcodeServerFailure, true)); err != nil {
					t.Fatalf("failReply does not parse: %v", err)
				}
				// An upstream reply echoing the query, made larger than the client takes.
				resp := append(bytes.Clone(q), make([]byte, qi.udpSize)...)
				resp[2] |= 0x80
				if err := matchReply(q, qi, resp); err != nil {
					t.Fatalf("echo does not match: %v", err)
				}
				if fit := r.fit(resp, q, qi, false); len(fit) > qi.udpSize || fit[2]&0x02 == 0 {
					t.Fatalf("fit: %d bytes, tc %v", len(fit), fit[2]&0x02 != 0)
				}
			}
		}
	})
}

// FuzzMatchReply feeds arbitrary upstream replies to the reply checks.
func FuzzMatchReply(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	r := fuzzResolver(f)
	q := new(dns.Msg)
	q.SetQuestion("far.example.", dns.TypeA)
	q.Id = 0x0102
	qb, _ := q.Pack()
	qi := queryInfo{id: 0x0102, qend: questionEnd(qb), udpSize: dns.MinMsgSize}
	f.Fuzz(func(t *testing.T, resp []byte) {
		if matchReply(qb, qi, resp) == nil {
			out := r.fit(bytes.Clone(resp), qb, qi, false)
			if len(out) > qi.udpSize && len(out) != len(resp) {
				t.Fatalf("fit returned %d bytes", len(out))
			}
		}
	})
}

// fuzzSeeds returns valid and broken queries and replies.
func fuzzSeeds() [][]byte {
	var seeds [][]byte
	add := func(m *dns.Msg) {
		b, err := m.Pack()
		if err == nil {
			seeds = append(seeds, b)
		}
	}
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeMX, dns.TypeTXT} {
		for _, name := range []string{"web.", "WEB.front.", "db.", "far.example."} {
			m := new(dns.Msg)
			m.SetQuestion(name, qt)
			add(m)
			m.SetEdns0(4096, true)
			add(m)
		}
	}
	ptr := new(dns.Msg)
	ptr.SetQuestion("2.0.20.172.in-addr.arpa.", dns.TypePTR)
	add(ptr)
	ptr6 := new(dns.Msg)
	ptr6.SetQuestion(mustReverse("fd00::2"), dns.TypePTR)
	add(ptr6)
	notify := new(dns.Msg)
	notify.SetNotify("web.")
	add(notify)
	resp := new(dns.Msg)
	resp.SetQuestion("far.example.", dns.TypeA)
	resp.Id = 0x0102
	resp.Response = true
	rr, _ := dns.NewRR("far.example. 30 IN A 192.0.2.1")
	resp.Answer = []dns.RR{rr}
	add(resp)
	seeds = append(seeds,
		[]byte{},
		[]byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0},
		[]byte{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1},
		[]byte{0x12, 0x34, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 1, 3, 'w', 'e', 'b', 0, 0, 1, 0, 1},
	)
	return seeds
}
