package resolver

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/nftdump"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/miekg/dns"
	"github.com/vishvananda/netns"
)

// natRules returns the nat table of h as iptables-save prints it (without
// comments) and h's other nf_tables state.
func natRules(t *testing.T, h netns.NsHandle) string {
	t.Helper()
	var out []byte
	testutils.InNS(t, h, func() error {
		var err error
		out, err = exec.Command("iptables-save", "-t", "nat").Output()
		return err
	})
	return stripComments(string(out)) + "\nnf_tables:\n" + nftdump.State(t, h)
}

// bindBoth binds UDP and TCP on addr inside h and closes them again.
func bindBoth(h netns.NsHandle, addr string) error {
	return ns.WithNetNS(h, func() error {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return err
		}
		pc.Close()
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		return l.Close()
	})
}

// TestStopLeavesNothing: after queries of every kind (local, forwarded,
// malformed, an idle TCP connection left open, a forwarded query still in
// flight), Stop returns with the goroutines back to their count before
// Start, the ports free and no DNAT rule left.
func TestStopLeavesNothing(t *testing.T) {
	testutils.RequireRoot(t)
	for _, mode := range []Mode{ModeDNAT, ModeDirect} {
		t.Run(mode.String(), func(t *testing.T) {
			sb := sandbox(t)
			out := linkedNS(t, sb)
			startUpstream(t, out, "10.53.0.1:53", answerA("192.0.2.11"))
			var silent net.PacketConn
			testutils.InNS(t, out, func() error {
				var err error
				silent, err = net.ListenPacket("udp", "10.53.0.1:5301")
				return err
			})
			defer silent.Close()
			before := natRules(t, sb)
			runtime.GC()
			base := runtime.NumGoroutine()

			r, err := New(localBackend(), Config{Mode: mode, Upstreams: []string{"10.53.0.1"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Start(sb); err != nil {
				t.Fatal(err)
			}
			udpPort := r.udp.LocalAddr().(*net.UDPAddr).Port
			tcpPort := r.tcp.Addr().(*net.TCPAddr).Port
			if mode == ModeDNAT && !strings.Contains(natRules(t, sb), "CNMKIT-DNS") {
				t.Fatalf("no DNAT chain:\n%s", natRules(t, sb))
			}
			query(t, sb, "udp", "web.", dns.TypeA)
			query(t, sb, "tcp", "web.", dns.TypeA)
			query(t, sb, "udp", "far.example.", dns.TypeA)
			query(t, sb, "tcp", "far.example.", dns.TypeA)
			sendGarbage(t, sb)
			// An idle client connection, left open.
			var idle net.Conn
			testutils.InNS(t, sb, func() error {
				var err error
				idle, err = net.Dial("tcp", "127.0.0.11:53")
				return err
			})
			defer idle.Close()
			// A forwarded query stuck on a silent upstream.
			if err := r.SetUpstreams([]string{"10.53.0.1:5301"}); err != nil {
				t.Fatal(err)
			}
			testutils.InNS(t, sb, func() error {
				c, err := net.Dial("udp", "127.0.0.11:53")
				if err != nil {
					return err
				}
				defer c.Close()
				m := new(dns.Msg)
				m.SetQuestion("stuck.example.", dns.TypeA)
				b, _ := m.Pack()
				_, err = c.Write(b)
				return err
			})
			deadline := time.Now().Add(5 * time.Second)
			for len(r.slots) == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the stuck query never took a forwarding slot")
				}
				time.Sleep(5 * time.Millisecond)
			}

			r.Stop()
			r.Stop() // twice is fine
			waitGoroutines(t, base)
			if after := natRules(t, sb); after != before {
				t.Fatalf("nat table changed:\nbefore\n%s\nafter\n%s", before, after)
			}
			for _, addr := range []string{fmt.Sprintf("127.0.0.11:%d", udpPort), fmt.Sprintf("127.0.0.11:%d", tcpPort), "127.0.0.11:53"} {
				if err := bindBoth(sb, addr); err != nil {
					t.Fatalf("port not free after Stop: %v", err)
				}
			}
			if err := r.Start(sb); !types.IsForbidden(err) {
				t.Fatalf("Start after Stop: %v, want Forbidden", err)
			}
		})
	}
}

func stripComments(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "#") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// sendGarbage sends malformed messages over UDP and TCP and checks that
// the resolver still answers afterwards.
func sendGarbage(t *testing.T, sb netns.NsHandle) {
	t.Helper()
	junk := [][]byte{
		{},
		{0x12},
		{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0},           // header only, QDCOUNT 1
		{0x12, 0x34, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0},           // a response
		{0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12}, // pointer loop
		[]byte(strings.Repeat("\xff", 600)),
	}
	testutils.InNS(t, sb, func() error {
		c, err := net.Dial("udp", "127.0.0.11:53")
		if err != nil {
			return err
		}
		defer c.Close()
		for _, j := range junk {
			if _, err := c.Write(j); err != nil {
				return err
			}
		}
		for _, j := range junk {
			tc, err := net.Dial("tcp", "127.0.0.11:53")
			if err != nil {
				return err
			}
			frame := append([]byte{byte(len(j) >> 8), byte(len(j))}, j...)
			_, _ = tc.Write(frame)
			_, _ = tc.Write([]byte{0xff}) // a cut length prefix
			tc.Close()
		}
		return nil
	})
	for _, network := range []string{"udp", "tcp"} {
		if resp := query(t, sb, network, "web.", dns.TypeA); len(resp.Answer) != 1 {
			t.Fatalf("after garbage over %s: %v", network, resp)
		}
	}
}

// TestMalformedQueries: header-readable junk gets FORMERR with its ID,
// responses and short messages get nothing; unknown opcodes get NOTIMP.
func TestMalformedQueries(t *testing.T) {
	sb := sandbox(t)
	startResolver(t, sb, localBackend(), Config{Mode: ModeDirect})
	cases := []struct {
		name  string
		msg   []byte
		rcode int // -1: no reply
	}{
		{"short", []byte{1, 2, 3}, -1},
		{"response", []byte{0xab, 0xcd, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0}, -1},
		{"cut question", []byte{0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w'}, dns.RcodeFormatError},
		{"no question", []byte{0xab, 0xcd, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0}, dns.RcodeFormatError},
		{"notify opcode", func() []byte {
			m := new(dns.Msg)
			m.SetNotify("web.")
			m.Id = 0xabcd
			b, _ := m.Pack()
			return b
		}(), dns.RcodeNotImplemented},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []byte
			var rerr error
			testutils.InNS(t, sb, func() error {
				conn, err := net.Dial("udp", "127.0.0.11:53")
				if err != nil {
					return err
				}
				defer conn.Close()
				if _, err := conn.Write(c.msg); err != nil {
					return err
				}
				_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				buf := make([]byte, 1024)
				n, err := conn.Read(buf)
				got, rerr = buf[:n], err
				return nil
			})
			if c.rcode < 0 {
				var ne net.Error
				if rerr == nil || !errors.As(rerr, &ne) || !ne.Timeout() {
					t.Fatalf("got a reply %x (%v), want none", got, rerr)
				}
				return
			}
			if rerr != nil {
				t.Fatal(rerr)
			}
			if len(got) < 12 || got[0] != 0xab || got[1] != 0xcd || got[2]&0x80 == 0 || int(got[3]&0x0f) != c.rcode {
				t.Fatalf("reply %x, want rcode %d for ID abcd", got, c.rcode)
			}
		})
	}
	// EDNS version 1 gets BADVERS.
	m := new(dns.Msg)
	m.SetQuestion("web.", dns.TypeA)
	m.SetEdns0(1232, false)
	m.IsEdns0().SetVersion(1)
	resp, err := ask(sb, "udp", "127.0.0.11:53", m, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Rcode != dns.RcodeBadVers || len(resp.Answer) != 0 {
		t.Fatalf("EDNS version 1: %v, want BADVERS", resp)
	}
}

// TestDNATLetsContainerServeDNS: in DNAT mode a container can bind the
// wildcard address to port 53 and serve it while the sandbox's own lookups
// still reach the resolver; in direct mode that bind fails.
func TestDNATLetsContainerServeDNS(t *testing.T) {
	sb := sandbox(t)
	startResolver(t, sb, localBackend(), Config{})
	// The container's own server, on every address of port 53.
	startUpstream(t, sb, "0.0.0.0:53", answerA("192.0.2.53"))
	for _, network := range []string{"udp", "tcp"} {
		if resp := query(t, sb, network, "web.", dns.TypeA); answers(resp)[0] != "172.20.0.2" {
			t.Fatalf("%s via 127.0.0.11: %v", network, resp)
		}
		m := new(dns.Msg)
		m.SetQuestion("web.", dns.TypeA)
		resp, err := ask(sb, network, "127.0.0.1:53", m, 2*time.Second)
		if err != nil || answers(resp)[0] != "192.0.2.53" {
			t.Fatalf("%s via the container's server: %v %v", network, resp, err)
		}
	}

	sb2 := sandbox(t)
	startResolver(t, sb2, localBackend(), Config{Mode: ModeDirect})
	if err := bindBoth(sb2, "0.0.0.0:53"); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("binding :53 beside a direct-mode resolver: %v, want EADDRINUSE", err)
	}
	// And a direct-mode resolver cannot start where :53 is taken.
	sb3 := sandbox(t)
	var pc net.PacketConn
	testutils.InNS(t, sb3, func() error {
		var err error
		pc, err = net.ListenPacket("udp", "0.0.0.0:53")
		return err
	})
	defer pc.Close()
	r, _ := New(localBackend(), Config{Mode: ModeDirect})
	if err := r.Start(sb3); !types.IsConflict(err) {
		t.Fatalf("direct Start with :53 taken: %v, want Conflict", err)
	}
	r.Stop()
}

// TestDNATReplacesStaleRules: a resolver started where another left its
// chain (StopKeepRules, or a crash) takes the chain over; so does one
// started beside a running one, whose Stop then leaves the new rules
// alone; the last Stop removes them all.
func TestDNATReplacesStaleRules(t *testing.T) {
	sb := sandbox(t)
	before := natRules(t, sb)
	start := func(ip string) *Resolver {
		r, err := New(newFakeBackend().add("web", ip), Config{})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Start(sb); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Stop)
		return r
	}
	check := func(step, want string) {
		t.Helper()
		if rules := natRules(t, sb); strings.Count(rules, "chain ip CNMKIT-DNS output ") != 1 {
			t.Fatalf("%s: want the DNAT table:\n%s", step, rules)
		}
		for _, network := range []string{"udp", "tcp"} {
			if resp := query(t, sb, network, "web.", dns.TypeA); answers(resp)[0] != want {
				t.Fatalf("%s: %s answered %v, want %s", step, network, resp, want)
			}
		}
	}
	a := start("172.20.0.1")
	check("a", "172.20.0.1")
	a.StopKeepRules()
	if !strings.Contains(natRules(t, sb), "CNMKIT-DNS") {
		t.Fatal("StopKeepRules removed the rules")
	}
	b := start("172.20.0.2")
	check("b after a's StopKeepRules", "172.20.0.2")
	c := start("172.20.0.3")
	check("c beside b", "172.20.0.3")
	b.Stop()
	check("c after b's Stop", "172.20.0.3")
	c.Stop()
	if after := natRules(t, sb); after != before {
		t.Fatalf("nat table after Stop:\n%s\nwant\n%s", after, before)
	}
}

// TestStartErrors: Start twice is Forbidden; a bad handle is BadRequest.
func TestStartErrors(t *testing.T) {
	sb := sandbox(t)
	r := startResolver(t, sb, localBackend(), Config{Mode: ModeDirect})
	if err := r.Start(sb); !types.IsForbidden(err) {
		t.Fatalf("second Start: %v", err)
	}
	r2, _ := New(localBackend(), Config{Mode: ModeDirect, ListenAddr: "127.0.0.12"})
	if err := r2.Start(netns.NsHandle(-1)); !types.IsBadRequest(err) {
		t.Fatalf("Start(-1): %v", err)
	}
	// Still startable after the failed attempt.
	if err := r2.Start(sb); err != nil {
		t.Fatal(err)
	}
	r2.Stop()
}
