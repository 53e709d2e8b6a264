package resolver

import (
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

// fakeBackend is a Backend over maps, keyed by lowercase names.
type fakeBackend struct {
	mu  sync.RWMutex
	v4  map[string][]net.IP
	v6  map[string][]net.IP
	ptr map[string]string // ip.String() -> name
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{v4: map[string][]net.IP{}, v6: map[string][]net.IP{}, ptr: map[string]string{}}
}

func (f *fakeBackend) add(name string, ips ...string) *fakeBackend {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip.To4() != nil {
			f.v4[name] = append(f.v4[name], ip.To4())
		} else {
			f.v6[name] = append(f.v6[name], ip)
		}
		f.ptr[ip.String()] = name
	}
	if len(ips) == 0 {
		f.v4[name] = nil
	}
	return f
}

func (f *fakeBackend) ResolveName(name string, family int) ([]net.IP, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	v4, ok4 := f.v4[name]
	v6, ok6 := f.v6[name]
	if family == 6 {
		return v6, ok4 || ok6
	}
	return v4, ok4 || ok6
}

func (f *fakeBackend) ResolveIP(ip net.IP) string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.ptr[ip.String()]
}

// sandbox creates a namespace standing for a sandbox.
func sandbox(t testing.TB) netns.NsHandle {
	t.Helper()
	_, h := testutils.NewNS(t, "sb")
	return h
}

// startResolver starts a resolver in h, stopped at cleanup.
func startResolver(t testing.TB, h netns.NsHandle, b Backend, cfg Config) *Resolver {
	t.Helper()
	r, err := New(b, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := r.Start(h); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(r.Stop)
	return r
}

// ask sends m from inside h to addr over network and returns the reply.
func ask(h netns.NsHandle, network, addr string, m *dns.Msg, timeout time.Duration) (*dns.Msg, error) {
	var resp *dns.Msg
	var err error
	nerr := ns.WithNetNS(h, func() error {
		c := &dns.Client{Net: network, Timeout: timeout, UDPSize: 65535}
		resp, _, err = c.Exchange(m, addr)
		return nil
	})
	if nerr != nil {
		return nil, nerr
	}
	return resp, err
}

// query asks the resolver in h for name of qtype and fails t on error.
func query(t testing.TB, h netns.NsHandle, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	resp, err := ask(h, network, "127.0.0.11:53", m, 5*time.Second)
	if err != nil {
		t.Fatalf("%s query %s %s: %v", network, name, dns.TypeToString[qtype], err)
	}
	return resp
}

// answers returns the answer records of m in presentation format,
// without their headers.
func answers(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		s := rr.String()
		out = append(out, strings.TrimPrefix(s, rr.Header().String()))
	}
	return out
}

// upstream is a DNS server the test runs in a namespace of its own.
type upstream struct {
	addr     string
	udpCount atomic.Int32
	tcpCount atomic.Int32
}

// linkedNS creates an "outside" namespace joined to the sandbox sb by a
// veth pair, 10.53.0.1/24 outside and 10.53.0.2/24 in the sandbox, and
// returns it.
func linkedNS(t testing.TB, sb netns.NsHandle) netns.NsHandle {
	t.Helper()
	_, up := testutils.NewNS(t, "up")
	sh, err := netlink.NewHandleAt(sb)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	uh, err := netlink.NewHandleAt(up)
	if err != nil {
		t.Fatal(err)
	}
	defer uh.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "eth0"}, PeerName: "up0", PeerNamespace: netlink.NsFd(int(up))}
	if err := sh.LinkAdd(veth); err != nil {
		t.Fatalf("add veth: %v", err)
	}
	for _, x := range []struct {
		h    *netlink.Handle
		name string
		cidr string
	}{{sh, "eth0", "10.53.0.2/24"}, {uh, "up0", "10.53.0.1/24"}} {
		l, err := x.h.LinkByName(x.name)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := netlink.ParseAddr(x.cidr)
		if err := x.h.AddrAdd(l, a); err != nil {
			t.Fatal(err)
		}
		if err := x.h.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
	}
	return up
}

// startUpstream runs a DNS server with handler on addr (UDP and TCP)
// inside h, stopped at cleanup.
func startUpstream(t testing.TB, h netns.NsHandle, addr string, handler func(u *upstream, w dns.ResponseWriter, m *dns.Msg)) *upstream {
	t.Helper()
	u := &upstream{addr: addr}
	var pc net.PacketConn
	var l net.Listener
	testutils.InNS(t, h, func() error {
		var err error
		if pc, err = net.ListenPacket("udp", addr); err != nil {
			return err
		}
		l, err = net.Listen("tcp", addr)
		return err
	})
	handle := dns.HandlerFunc(func(w dns.ResponseWriter, m *dns.Msg) {
		if w.RemoteAddr().Network() == "tcp" {
			u.tcpCount.Add(1)
		} else {
			u.udpCount.Add(1)
		}
		handler(u, w, m)
	})
	// A dns.Server serves either a PacketConn or a Listener.
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: handle}, {Listener: l, Handler: handle}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		done := make(chan struct{})
		go func() { defer close(done); _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown(); <-done })
	}
	return u
}

// answerA answers every A query with ip, other types with no records.
func answerA(ip string) func(*upstream, dns.ResponseWriter, *dns.Msg) {
	return func(_ *upstream, w dns.ResponseWriter, m *dns.Msg) {
		r := new(dns.Msg)
		r.SetReply(m)
		r.RecursionAvailable = true
		if m.Question[0].Qtype == dns.TypeA {
			rr, _ := dns.NewRR(m.Question[0].Name + " 30 IN A " + ip)
			r.Answer = append(r.Answer, rr)
		}
		_ = w.WriteMsg(r)
	}
}

// waitGoroutines polls until the number of goroutines is at most n.
func waitGoroutines(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines: %d, want <= %d\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
