package resolver

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/types"
	"github.com/miekg/dns"
)

func TestNewConfig(t *testing.T) {
	r, err := New(localBackend(), Config{Upstreams: []string{"10.0.0.1", "10.0.0.2:5353", "fd00::1", "[fd00::2]:54", "::ffff:10.0.0.3"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.AddrPort{
		netip.MustParseAddrPort("10.0.0.1:53"), netip.MustParseAddrPort("10.0.0.2:5353"),
		netip.MustParseAddrPort("[fd00::1]:53"), netip.MustParseAddrPort("[fd00::2]:54"),
		netip.MustParseAddrPort("10.0.0.3:53"),
	}
	if got := r.upstreamList(); !slices.Equal(got, want) {
		t.Fatalf("upstreams %v, want %v", got, want)
	}
	if r.Addr() != "127.0.0.11:53" || r.cfg.ForwardTimeout != DefaultForwardTimeout || cap(r.slots) != DefaultMaxConcurrentForwards || r.cfg.Mode != ModeDNAT {
		t.Fatalf("defaults: %s %+v", r.Addr(), r.cfg)
	}

	bad := []struct {
		name string
		cfg  Config
		want []string // in the message
	}{
		{"bad upstreams", Config{Upstreams: []string{"10.0.0.1", "nonsense", "10.0.0.300", "10.0.0.1:0", "0.0.0.0"}},
			[]string{`"nonsense"`, `"10.0.0.300"`, `"10.0.0.1:0"`, `"0.0.0.0"`}},
		{"own address", Config{Upstreams: []string{"127.0.0.11"}}, []string{`"127.0.0.11"`}},
		{"own address with port", Config{Upstreams: []string{"127.0.0.11:53"}}, []string{`"127.0.0.11:53"`}},
		{"listen address", Config{ListenAddr: "localhost"}, []string{`"localhost"`}},
		{"timeout", Config{ForwardTimeout: -time.Second}, []string{"-1s"}},
		{"bound", Config{MaxConcurrentForwards: -1}, []string{"-1"}},
		{"mode", Config{Mode: Mode(7)}, []string{"7"}},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(localBackend(), c.cfg)
			if !types.IsBadRequest(err) {
				t.Fatalf("err %v, want BadRequest", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("err %q does not name %s", err, w)
				}
			}
		})
	}
	if _, err := New(nil, Config{}); !types.IsBadRequest(err) {
		t.Fatalf("nil backend: %v", err)
	}
	// A listen address on another port may be an upstream.
	if _, err := New(localBackend(), Config{Upstreams: []string{"127.0.0.11:5353"}}); err != nil {
		t.Fatal(err)
	}
	// A bad SetUpstreams keeps the list.
	if err := r.SetUpstreams([]string{"10.9.9.9", "bad"}); !types.IsBadRequest(err) || !strings.Contains(err.Error(), `"bad"`) {
		t.Fatalf("SetUpstreams: %v", err)
	}
	if got := r.upstreamList(); !slices.Equal(got, want) {
		t.Fatalf("upstreams changed to %v", got)
	}
}

func TestReverseIP(t *testing.T) {
	cases := []struct {
		name string
		want string // "" for nil
	}{
		{"4.3.2.1.in-addr.arpa", "1.2.3.4"},
		{"0.0.0.10.in-addr.arpa", "10.0.0.0"},
		{"255.255.255.255.in-addr.arpa", "255.255.255.255"},
		{"3.2.1.in-addr.arpa", ""},
		{"5.4.3.2.1.in-addr.arpa", ""},
		{"256.3.2.1.in-addr.arpa", ""},
		{"04.3.2.1.in-addr.arpa", ""},
		{"a.3.2.1.in-addr.arpa", ""},
		{".3.2.1.in-addr.arpa", ""},
		{"in-addr.arpa", ""},
		{"4.3.2.1.in-addr.arpa.example", ""},
		{strings.TrimSuffix(mustReverse("fd00::2"), "."), "fd00::2"},
		{strings.TrimSuffix(mustReverse("2001:db8::abcd:1"), "."), "2001:db8::abcd:1"},
		{"2.0.0.0.ip6.arpa", ""},
		{strings.Replace(strings.TrimSuffix(mustReverse("fd00::2"), "."), "2", "g", 1), ""},
		{strings.Replace(strings.TrimSuffix(mustReverse("fd00::2"), "."), ".", "x", 1), ""},
	}
	for _, c := range cases {
		got := reverseIP(c.name)
		if (got == nil) != (c.want == "") || (got != nil && !got.Equal(net.ParseIP(c.want))) {
			t.Errorf("reverseIP(%q) = %v, want %q", c.name, got, c.want)
		}
	}
}

// TestHandleUnit runs the handler without sockets: reply and forward
// verdicts, and the reuse of its messages between queries.
func TestHandleUnit(t *testing.T) {
	r, err := New(localBackend(), Config{Upstreams: []string{"10.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	h := newHandler(r)
	pack := func(name string, qtype uint16, edns bool) []byte {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.Id = 0x4242
		if edns {
			m.SetEdns0(1232, true)
		}
		b, err := m.Pack()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for i := 0; i < 3; i++ {
		v, out := h.handle(pack("web.", dns.TypeA, i == 1), true)
		if v != reply {
			t.Fatalf("verdict %d", v)
		}
		var m dns.Msg
		if err := m.Unpack(out); err != nil {
			t.Fatal(err)
		}
		if m.Id != 0x4242 || len(m.Answer) != 1 || !m.Response || (m.IsEdns0() != nil) != (i == 1) {
			t.Fatalf("reply %v", &m)
		}
		if o := m.IsEdns0(); o != nil && (o.Do() || o.UDPSize() != maxQuerySize) {
			t.Fatalf("OPT %v", o)
		}
		q := pack("far.example.", dns.TypeTXT, i == 1)
		if v, _ := h.handle(q, false); v != forward || h.info.id != 0x4242 || h.info.qend != len("far.example.")+1+headerLen+4 || h.info.edns != (i == 1) {
			t.Fatalf("forward verdict %d info %+v", v, h.info)
		}
		if i == 1 && h.info.udpSize != 1232 {
			t.Fatalf("udpSize %d", h.info.udpSize)
		}
		// The SERVFAIL built from the raw query for a failed forward.
		var f dns.Msg
		if err := f.Unpack(failReply(q, h.info, dns.RcodeServerFailure, true)); err != nil {
			t.Fatal(err)
		}
		if f.Id != 0x4242 || f.Rcode != dns.RcodeServerFailure || len(f.Question) != 1 || f.Question[0].Name != "far.example." || (f.IsEdns0() != nil) != (i == 1) {
			t.Fatalf("failReply %v", &f)
		}
	}
}

func TestMatchReply(t *testing.T) {
	q := new(dns.Msg)
	q.SetQuestion("a.example.", dns.TypeA)
	q.Id = 7
	qb, _ := q.Pack()
	qi := queryInfo{id: 7, qend: questionEnd(qb)}
	mk := func(f func(m *dns.Msg)) []byte {
		m := new(dns.Msg)
		m.SetReply(q)
		f(m)
		b, _ := m.Pack()
		return b
	}
	cases := []struct {
		name string
		resp []byte
		ok   bool
	}{
		{"same", mk(func(*dns.Msg) {}), true},
		{"case differs", mk(func(m *dns.Msg) { m.Question[0].Name = "A.EXAMPLE." }), true},
		{"other id", mk(func(m *dns.Msg) { m.Id = 8 }), false},
		{"not a response", mk(func(m *dns.Msg) { m.Response = false }), false},
		{"other name", mk(func(m *dns.Msg) { m.Question[0].Name = "b.example." }), false},
		{"other type", mk(func(m *dns.Msg) { m.Question[0].Qtype = dns.TypeAAAA }), false},
		{"no question, error", mk(func(m *dns.Msg) { m.Question = nil; m.Rcode = dns.RcodeFormatError }), true},
		{"no question, success", mk(func(m *dns.Msg) { m.Question = nil }), false},
		{"short", []byte{0, 7, 0x80}, false},
	}
	for _, c := range cases {
		if err := matchReply(qb, qi, c.resp); (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

// TestHandleHugeAnswer: an answer beyond what a TCP message can carry is
// truncated to fit instead of overflowing the length prefix.
func TestHandleHugeAnswer(t *testing.T) {
	b := newFakeBackend()
	for i := 0; i < 6000; i++ {
		b.v4["many"] = append(b.v4["many"], net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).To4())
	}
	r, err := New(b, Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := new(dns.Msg)
	m.SetQuestion("many.", dns.TypeA)
	q, _ := m.Pack()
	v, out := newHandler(r).handle(q, false)
	var resp dns.Msg
	if v != reply || len(out) > dns.MaxMsgSize || resp.Unpack(out) != nil || !resp.Truncated || len(resp.Answer) == 0 {
		t.Fatalf("verdict %d, %d bytes, tc %v, %d answers", v, len(out), resp.Truncated, len(resp.Answer))
	}
}
