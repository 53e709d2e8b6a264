package resolver

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/miekg/dns"
	"github.com/vishvananda/netns"
)

// TestForward: a non-local name goes to the test's own upstream, in
// another namespace reached through a veth, and its answer comes back,
// over UDP and over TCP (forwarded over the same transport).
func TestForward(t *testing.T) {
	testutils.RequireRoot(t)
	for _, mode := range []Mode{ModeDNAT, ModeDirect} {
		t.Run(mode.String(), func(t *testing.T) {
			sb := sandbox(t)
			up := startUpstream(t, linkedNS(t, sb), "10.53.0.1:53", answerA("192.0.2.7"))
			var st Stats
			startResolver(t, sb, localBackend(), Config{Mode: mode, Upstreams: []string{"10.53.0.1"}, Stats: &st})

			resp := query(t, sb, "udp", "Remote.Example.", dns.TypeA)
			if resp.Rcode != dns.RcodeSuccess || len(resp.Answer) != 1 || answers(resp)[0] != "192.0.2.7" || !resp.RecursionAvailable {
				t.Fatalf("udp: %v", resp)
			}
			if resp.Answer[0].Header().Name != "Remote.Example." {
				t.Fatalf("owner %q", resp.Answer[0].Header().Name)
			}
			if u, c := up.udpCount.Load(), up.tcpCount.Load(); u != 1 || c != 0 {
				t.Fatalf("upstream saw %d udp and %d tcp queries, want 1 udp", u, c)
			}
			resp = query(t, sb, "tcp", "remote.example.", dns.TypeA)
			if resp.Rcode != dns.RcodeSuccess || len(resp.Answer) != 1 || answers(resp)[0] != "192.0.2.7" {
				t.Fatalf("tcp: %v", resp)
			}
			if c := up.tcpCount.Load(); c != 1 {
				t.Fatalf("upstream saw %d tcp queries, want 1", c)
			}
			if q, l, f, e := st.Queries.Load(), st.Local.Load(), st.Forwarded.Load(), st.ForwardFailures.Load(); q != 2 || l != 0 || f != 2 || e != 0 {
				t.Fatalf("stats: %d queries, %d local, %d forwarded, %d failed; want 2, 0, 2, 0", q, l, f, e)
			}
		})
	}
}

// TestForwardSetUpstreams: upstreams replaced at run time are used by the
// next query.
func TestForwardSetUpstreams(t *testing.T) {
	sb := sandbox(t)
	startUpstream(t, linkedNS(t, sb), "10.53.0.1:5300", answerA("192.0.2.8"))
	r := startResolver(t, sb, localBackend(), Config{Mode: ModeDirect})
	if resp := query(t, sb, "udp", "x.example.", dns.TypeA); resp.Rcode != dns.RcodeRefused {
		t.Fatalf("before: %v", resp)
	}
	if err := r.SetUpstreams([]string{"10.53.0.1:5300"}); err != nil {
		t.Fatal(err)
	}
	if resp := query(t, sb, "udp", "x.example.", dns.TypeA); len(resp.Answer) != 1 {
		t.Fatalf("after: %v", resp)
	}
}

// TestTruncatedRetriedOverTCP: an upstream that truncates every UDP reply
// is asked again over TCP and the client gets the whole answer over UDP.
// An answer too large for the UDP client reaches it truncated, and whole
// over TCP.
func TestTruncatedRetriedOverTCP(t *testing.T) {
	sb := sandbox(t)
	up := startUpstream(t, linkedNS(t, sb), "10.53.0.1:53", func(_ *upstream, w dns.ResponseWriter, m *dns.Msg) {
		r := new(dns.Msg)
		r.SetReply(m)
		n := 1
		if m.Question[0].Name == "big.example." {
			n = 60
		}
		if w.RemoteAddr().Network() == "udp" {
			r.Truncated = true
		} else {
			for i := 1; i <= n; i++ {
				rr, _ := dns.NewRR(fmt.Sprintf("%s 30 IN A 192.0.2.%d", m.Question[0].Name, i))
				r.Answer = append(r.Answer, rr)
			}
		}
		_ = w.WriteMsg(r)
	})
	startResolver(t, sb, localBackend(), Config{Upstreams: []string{"10.53.0.1"}})

	resp := query(t, sb, "udp", "small.example.", dns.TypeA)
	if resp.Truncated || len(resp.Answer) != 1 {
		t.Fatalf("small: tc %v, %d answers; want 1 answer", resp.Truncated, len(resp.Answer))
	}
	if u, c := up.udpCount.Load(), up.tcpCount.Load(); u != 1 || c != 1 {
		t.Fatalf("upstream saw %d udp and %d tcp queries, want 1 and 1", u, c)
	}

	m := new(dns.Msg)
	m.SetQuestion("big.example.", dns.TypeA)
	resp, err := ask(sb, "udp", "127.0.0.11:53", m, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Truncated || len(resp.Answer) != 0 || len(resp.Question) != 1 {
		t.Fatalf("big over UDP: %v; want an empty truncated reply", resp)
	}
	if resp := query(t, sb, "tcp", "big.example.", dns.TypeA); len(resp.Answer) != 60 {
		t.Fatalf("big over TCP: %d answers, want 60", len(resp.Answer))
	}
}

// TestTruncatedWithoutTCP: when the TCP retry fails, the UDP client gets
// the truncated reply as the upstream sent it.
func TestTruncatedWithoutTCP(t *testing.T) {
	sb := sandbox(t)
	var pc net.PacketConn
	testutils.InNS(t, linkedNS(t, sb), func() error {
		var err error
		pc, err = net.ListenPacket("udp", "10.53.0.1:53") // no TCP listener
		return err
	})
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, m *dns.Msg) {
		r := new(dns.Msg)
		r.SetReply(m)
		r.Truncated = true
		rr, _ := dns.NewRR(m.Question[0].Name + " 30 IN A 192.0.2.12")
		r.Answer = []dns.RR{rr}
		_ = w.WriteMsg(r)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	defer func() { _ = srv.Shutdown() }()
	// The refused TCP retry fails at once; the long timeout is for a
	// loaded machine's UDP exchange.
	startResolver(t, sb, localBackend(), Config{Upstreams: []string{"10.53.0.1"}, ForwardTimeout: 5 * time.Second})
	m := new(dns.Msg)
	m.SetQuestion("tc.example.", dns.TypeA)
	resp, err := ask(sb, "udp", "127.0.0.11:53", m, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.Truncated || resp.Rcode != dns.RcodeSuccess || len(resp.Answer) != 1 {
		t.Fatalf("reply %v, want the upstream's truncated reply", resp)
	}
}

// TestUpstreamFailure: an upstream that refuses the connection, one that
// never answers and one that answers SERVFAIL all give SERVFAIL within the
// forward timeout (the client waits longer than that); a working upstream
// after a failing one answers.
func TestUpstreamFailure(t *testing.T) {
	const timeout = 300 * time.Millisecond
	sb := sandbox(t)
	out := linkedNS(t, sb)
	var silent net.PacketConn
	testutils.InNS(t, out, func() error {
		var err error
		silent, err = net.ListenPacket("udp", "10.53.0.1:5301") // reads nothing, answers nothing
		return err
	})
	defer silent.Close()
	startUpstream(t, out, "10.53.0.1:5302", func(_ *upstream, w dns.ResponseWriter, m *dns.Msg) {
		r := new(dns.Msg)
		_ = w.WriteMsg(r.SetRcode(m, dns.RcodeServerFailure))
	})
	startUpstream(t, out, "10.53.0.1:5303", answerA("192.0.2.9"))

	cases := []struct {
		name      string
		upstreams []string
		rcode     int
		answers   int
	}{
		{"refused connection", []string{"10.53.0.1:5300"}, dns.RcodeServerFailure, 0},
		{"silent", []string{"10.53.0.1:5301"}, dns.RcodeServerFailure, 0},
		{"servfail", []string{"10.53.0.1:5302"}, dns.RcodeServerFailure, 0},
		{"silent then working", []string{"10.53.0.1:5301", "10.53.0.1:5303"}, dns.RcodeSuccess, 1},
		{"servfail then working", []string{"10.53.0.1:5302", "10.53.0.1:5303"}, dns.RcodeSuccess, 1},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := sandboxResolver(t, sb, i, c.upstreams, timeout)
			for _, network := range []string{"udp", "tcp"} {
				m := new(dns.Msg)
				m.SetQuestion("far.example.", dns.TypeA)
				resp, err := ask(sb, network, addr, m, timeout+2*time.Second)
				if err != nil {
					t.Fatalf("%s: no reply before the client's timeout: %v", network, err)
				}
				if resp.Rcode != c.rcode || len(resp.Answer) != c.answers {
					t.Fatalf("%s: rcode %s, %d answers; want %s, %d", network, dns.RcodeToString[resp.Rcode], len(resp.Answer), dns.RcodeToString[c.rcode], c.answers)
				}
			}
		})
	}
}

// sandboxResolver starts a direct-mode resolver on 127.0.0.(100+n) of sb
// and returns its address.
func sandboxResolver(t *testing.T, sb netns.NsHandle, n int, upstreams []string, timeout time.Duration) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.%d", 100+n)
	startResolver(t, sb, localBackend(), Config{ListenAddr: addr, Mode: ModeDirect, Upstreams: upstreams, ForwardTimeout: timeout})
	return addr + ":53"
}

// TestConcurrencyBound: with the forwarding slots taken by queries the
// upstream holds, one more query gets SERVFAIL at once; the held queries
// are answered once the upstream lets them go.
func TestConcurrencyBound(t *testing.T) {
	const slots = 3
	sb := sandbox(t)
	release := make(chan struct{})
	up := startUpstream(t, linkedNS(t, sb), "10.53.0.1:53", func(u *upstream, w dns.ResponseWriter, m *dns.Msg) {
		<-release
		answerA("192.0.2.10")(u, w, m)
	})
	startResolver(t, sb, localBackend(), Config{Upstreams: []string{"10.53.0.1"}, MaxConcurrentForwards: slots, ForwardTimeout: 30 * time.Second})

	var wg sync.WaitGroup
	held := make([]*dns.Msg, slots)
	for i := range slots {
		wg.Go(func() {
			m := new(dns.Msg)
			m.SetQuestion(fmt.Sprintf("held%d.example.", i), dns.TypeA)
			held[i], _ = ask(sb, "udp", "127.0.0.11:53", m, 30*time.Second)
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for up.udpCount.Load() < slots {
		if time.Now().After(deadline) {
			close(release)
			t.Fatalf("upstream saw %d queries, want %d", up.udpCount.Load(), slots)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, network := range []string{"udp", "tcp"} {
		resp := query(t, sb, network, "excess.example.", dns.TypeA)
		if resp.Rcode != dns.RcodeServerFailure {
			close(release)
			t.Fatalf("%s excess query: %s, want SERVFAIL", network, dns.RcodeToString[resp.Rcode])
		}
	}
	// Local names are answered whatever the forwarding load.
	if resp := query(t, sb, "udp", "web.", dns.TypeA); len(resp.Answer) != 1 {
		t.Fatalf("local under load: %v", resp)
	}
	close(release)
	wg.Wait()
	for i, resp := range held {
		if resp == nil || resp.Rcode != dns.RcodeSuccess || len(resp.Answer) != 1 {
			t.Fatalf("held query %d: %v", i, resp)
		}
	}
	if n := up.udpCount.Load(); n != slots {
		t.Fatalf("upstream saw %d queries, want %d", n, slots)
	}
}
