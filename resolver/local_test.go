package resolver

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/miekg/dns"
)

func localBackend() *fakeBackend {
	b := newFakeBackend()
	b.add("web", "172.20.0.2", "fd00::2")
	b.add("web.front", "172.20.0.2", "fd00::2")
	b.add("db", "172.20.0.3") // IPv4 only
	b.add("db.back", "172.20.0.4")
	b.ptr["172.20.0.2"] = "web"
	b.ptr["fd00::2"] = "web"
	b.ptr["172.20.0.4"] = "db.back." // with the trailing dot
	return b
}

// TestLocalAnswers asks for local names over UDP and TCP, in both modes,
// from inside the sandbox, with an upstream that must not be asked.
func TestLocalAnswers(t *testing.T) {
	testutils.RequireRoot(t)
	cases := []struct {
		name   string
		qname  string
		qtype  uint16
		rcode  int
		answer []string
	}{
		{"A", "web.", dns.TypeA, dns.RcodeSuccess, []string{"172.20.0.2"}},
		{"AAAA", "web.", dns.TypeAAAA, dns.RcodeSuccess, []string{"fd00::2"}},
		{"name.network", "web.front.", dns.TypeA, dns.RcodeSuccess, []string{"172.20.0.2"}},
		{"case-insensitive", "WeB.FrOnT.", dns.TypeA, dns.RcodeSuccess, []string{"172.20.0.2"}},
		{"PTR v4", "2.0.20.172.in-addr.arpa.", dns.TypePTR, dns.RcodeSuccess, []string{"web."}},
		{"PTR v4 name with dot", "4.0.20.172.in-addr.arpa.", dns.TypePTR, dns.RcodeSuccess, []string{"db.back."}},
		{"PTR v6", mustReverse("fd00::2"), dns.TypePTR, dns.RcodeSuccess, []string{"web."}},
		{"missing family is empty NOERROR", "db.", dns.TypeAAAA, dns.RcodeSuccess, nil},
		{"other type of local name is empty NOERROR", "web.", dns.TypeMX, dns.RcodeSuccess, nil},
	}
	for _, mode := range []Mode{ModeDNAT, ModeDirect} {
		t.Run(mode.String(), func(t *testing.T) {
			sb := sandbox(t)
			out := linkedNS(t, sb)
			up := startUpstream(t, out, "10.53.0.1:53", answerA("192.0.2.99"))
			startResolver(t, sb, localBackend(), Config{Mode: mode, Upstreams: []string{"10.53.0.1"}})
			for _, network := range []string{"udp", "tcp"} {
				for _, c := range cases {
					t.Run(network+"/"+c.name, func(t *testing.T) {
						resp := query(t, sb, network, c.qname, c.qtype)
						if resp.Rcode != c.rcode || !resp.Authoritative {
							t.Fatalf("rcode %s aa %v, want %s aa", dns.RcodeToString[resp.Rcode], resp.Authoritative, dns.RcodeToString[c.rcode])
						}
						if got := answers(resp); !slices.Equal(got, c.answer) {
							t.Fatalf("answers %q, want %q", got, c.answer)
						}
						if len(resp.Answer) > 0 && resp.Answer[0].Header().Name != c.qname {
							t.Fatalf("owner %q, want the name as asked %q", resp.Answer[0].Header().Name, c.qname)
						}
					})
				}
			}
			if n := up.udpCount.Load() + up.tcpCount.Load(); n != 0 {
				t.Fatalf("upstream asked %d times for local names", n)
			}
		})
	}
}

func mustReverse(ip string) string {
	s, err := dns.ReverseAddr(ip)
	if err != nil {
		panic(err)
	}
	return s
}

// TestNoUpstreams: a non-local name with no upstream is REFUSED at once,
// and answers say recursion is not available.
func TestNoUpstreams(t *testing.T) {
	sb := sandbox(t)
	startResolver(t, sb, localBackend(), Config{})
	resp := query(t, sb, "udp", "elsewhere.example.", dns.TypeA)
	if resp.Rcode != dns.RcodeRefused || resp.RecursionAvailable {
		t.Fatalf("rcode %s ra %v, want REFUSED without RA", dns.RcodeToString[resp.Rcode], resp.RecursionAvailable)
	}
	// A PTR for an address that is not local is not answered locally.
	resp = query(t, sb, "udp", "9.9.9.10.in-addr.arpa.", dns.TypePTR)
	if resp.Rcode != dns.RcodeRefused {
		t.Fatalf("rcode %s, want REFUSED", dns.RcodeToString[resp.Rcode])
	}
}

// TestLocalTruncation: a local answer too large for a UDP client is
// truncated with TC; with EDNS0 or over TCP it comes whole.
func TestLocalTruncation(t *testing.T) {
	b := newFakeBackend()
	var ips []string
	for i := 1; i <= 60; i++ {
		ips = append(ips, fmt.Sprintf("10.1.0.%d", i))
	}
	b.add("svc", ips...)
	sb := sandbox(t)
	startResolver(t, sb, b, Config{Mode: ModeDirect})

	m := new(dns.Msg)
	m.SetQuestion("svc.", dns.TypeA)
	resp, err := ask(sb, "udp", "127.0.0.11:53", m, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Truncated || len(resp.Answer) >= 60 {
		t.Fatalf("plain UDP: tc %v with %d answers, want TC and fewer than 60", resp.Truncated, len(resp.Answer))
	}
	m.SetEdns0(4096, false)
	resp, err = ask(sb, "udp", "127.0.0.11:53", m, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Truncated || len(resp.Answer) != 60 || resp.IsEdns0() == nil {
		t.Fatalf("EDNS0 UDP: tc %v with %d answers, opt %v; want all 60 and an OPT", resp.Truncated, len(resp.Answer), resp.IsEdns0())
	}
	if resp := query(t, sb, "tcp", "svc.", dns.TypeA); resp.Truncated || len(resp.Answer) != 60 {
		t.Fatalf("TCP: tc %v with %d answers, want all 60", resp.Truncated, len(resp.Answer))
	}
}

// TestBackendChangesApplyAtOnce: a name removed from the Backend stops
// resolving locally on the next query.
func TestBackendChangesApplyAtOnce(t *testing.T) {
	b := localBackend()
	sb := sandbox(t)
	startResolver(t, sb, b, Config{Mode: ModeDirect})
	if resp := query(t, sb, "udp", "db.", dns.TypeA); len(resp.Answer) != 1 {
		t.Fatalf("db: %v", resp)
	}
	b.mu.Lock()
	delete(b.v4, "db")
	b.mu.Unlock()
	if resp := query(t, sb, "udp", "db.", dns.TypeA); resp.Rcode != dns.RcodeRefused || len(resp.Answer) != 0 {
		t.Fatalf("db after removal: %v", resp)
	}
}
