package integration

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/options"
	"github.com/cnmkit/libnetwork/osl"
	"github.com/cnmkit/libnetwork/types"
	"github.com/miekg/dns"
	"github.com/vishvananda/netns"
)

// dnsEnv is a controller with the bridge driver whose host namespace is a
// namespace of the test's own; sandboxes' resolv.conf start from a file of
// the test's.
type dnsEnv struct {
	t        testing.TB
	host     netns.NsHandle
	dataDir  string
	execRoot string
	c        libnetwork.NetworkController
}

func newDNSEnv(t testing.TB, hostResolvConf string, opts ...config.Option) *dnsEnv {
	t.Helper()
	h := testutils.SetupTestOSContext(t)
	e := &dnsEnv{t: t, host: h, dataDir: t.TempDir(), execRoot: t.TempDir()}
	rc := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(rc, []byte(hostResolvConf), 0o644); err != nil {
		t.Fatal(err)
	}
	all := append([]config.Option{config.OptionDataDir(e.dataDir), config.OptionExecRoot(e.execRoot),
		config.OptionDriverConfig("bridge", map[string]interface{}{netlabel.GenericData: options.Generic{}}),
		config.OptionHostResolvConf(rc), config.OptionDNSForwardTimeout(time.Second)}, opts...)
	c, err := libnetwork.New(all...)
	if err != nil {
		t.Fatalf("libnetwork.New: %v", err)
	}
	e.c = c
	t.Cleanup(func() {
		e.c.Stop()
		_ = osl.GCAt(e.execRoot, nil)
	})
	return e
}

// network creates a bridge network on pool; it skips the test while the
// bridge driver is not registered.
func (e *dnsEnv) network(name, pool string, opts map[string]string) libnetwork.Network {
	e.t.Helper()
	nopts := []libnetwork.NetworkOption{libnetwork.NetworkOptionIpam("default", "", []*libnetwork.IpamConf{{PreferredPool: pool}}, nil, nil)}
	if opts != nil {
		nopts = append(nopts, libnetwork.NetworkOptionDriverOpts(opts))
	}
	n, err := e.c.NewNetwork("bridge", name, "", nopts...)
	if _, unknown := err.(libnetwork.NetworkTypeError); unknown && types.IsNotFound(err) {
		e.t.Skip("skipped: the bridge driver is not registered")
	}
	if err != nil {
		e.t.Fatalf("NewNetwork %s: %v", name, err)
	}
	return n
}

// dnsCtr is a container: a sandbox, its namespace and its endpoints by network.
type dnsCtr struct {
	sb  libnetwork.Sandbox
	h   netns.NsHandle
	eps map[string]libnetwork.Endpoint
}

// run creates a sandbox named name joined to new endpoints (named name) of nets.
func (e *dnsEnv) run(name string, sbOpts []libnetwork.SandboxOption, nets ...libnetwork.Network) *dnsCtr {
	e.t.Helper()
	sb, err := e.c.NewSandbox(name, sbOpts...)
	if err != nil {
		e.t.Fatalf("NewSandbox %s: %v", name, err)
	}
	c := &dnsCtr{sb: sb, eps: map[string]libnetwork.Endpoint{}}
	if c.h, err = netns.GetFromPath(sb.Key()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.h.Close() })
	for _, n := range nets {
		ep, err := n.CreateEndpoint(name)
		if err != nil {
			e.t.Fatalf("CreateEndpoint %s on %s: %v", name, n.Name(), err)
		}
		if err := ep.Join(sb); err != nil {
			e.t.Fatalf("Join %s to %s: %v", name, n.Name(), err)
		}
		c.eps[n.Name()] = ep
	}
	return c
}

func (c *dnsCtr) ip(network string) string {
	return c.eps[network].Info().Iface().Address().IP.String()
}

// dnsAsk sends one query to the embedded DNS server from inside h.
func dnsAsk(t testing.TB, h netns.NsHandle, netw, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	var r *dns.Msg
	err := ns.WithNetNS(h, func() error {
		var err error
		r, _, err = (&dns.Client{Net: netw, Timeout: 5 * time.Second}).Exchange(m, "127.0.0.11:53")
		return err
	})
	if err != nil {
		t.Fatalf("query %s over %s: %v", name, netw, err)
	}
	return r
}

// dnsExpect checks a query's reply code and answers.
func dnsExpect(t testing.TB, h netns.NsHandle, netw, name string, qtype uint16, rcode int, want ...string) {
	t.Helper()
	r := dnsAsk(t, h, netw, name, qtype)
	var got []string
	for _, rr := range r.Answer {
		switch x := rr.(type) {
		case *dns.A:
			got = append(got, x.A.String())
		case *dns.AAAA:
			got = append(got, x.AAAA.String())
		case *dns.PTR:
			got = append(got, x.Ptr)
		}
	}
	if r.Rcode != rcode || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s %s over %s: %s %v, want %s %v", name, dns.TypeToString[qtype], netw,
			dns.RcodeToString[r.Rcode], got, dns.RcodeToString[rcode], want)
	}
}

// dnsUpstream is the test's upstream DNS server: it answers A queries for
// the names it knows with their address and NXDOMAIN for the others, and
// remembers what it was asked.
type dnsUpstream struct {
	mu      sync.Mutex
	asked   []string
	answers map[string]string
	udp     *dns.Server
	tcp     *dns.Server
}

// startDNSUpstream serves answers (name -> IPv4) on addr, UDP and TCP,
// inside h.
func startDNSUpstream(t testing.TB, h netns.NsHandle, addr string, answers map[string]string) *dnsUpstream {
	t.Helper()
	u := &dnsUpstream{answers: answers}
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
	started := make(chan struct{}, 2)
	u.udp = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(u.serve), NotifyStartedFunc: func() { started <- struct{}{} }}
	u.tcp = &dns.Server{Listener: l, Handler: dns.HandlerFunc(u.serve), NotifyStartedFunc: func() { started <- struct{}{} }}
	go func() { _ = u.udp.ActivateAndServe() }()
	go func() { _ = u.tcp.ActivateAndServe() }()
	<-started
	<-started
	t.Cleanup(func() {
		_ = u.udp.Shutdown()
		_ = u.tcp.Shutdown()
	})
	return u
}

func (u *dnsUpstream) serve(w dns.ResponseWriter, r *dns.Msg) {
	q := r.Question[0]
	u.mu.Lock()
	u.asked = append(u.asked, q.Name)
	u.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(r)
	if ip, ok := u.answers[q.Name]; ok && q.Qtype == dns.TypeA {
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: net.ParseIP(ip)})
	} else if !ok {
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

func (u *dnsUpstream) wasAsked(name string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, a := range u.asked {
		if a == name {
			return true
		}
	}
	return false
}

func dnsReadFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
