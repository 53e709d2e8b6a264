package libnetwork

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// hostResolvConf writes content as the test's host resolv.conf and
// returns the controller option naming it.
func hostResolvConf(t testing.TB, content string) config.Option {
	t.Helper()
	p := filepath.Join(t.TempDir(), "host-resolv.conf")
	check(t, os.WriteFile(p, []byte(content), 0o644))
	return config.OptionHostResolvConf(p)
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	check(t, err)
	return string(b)
}

// sbFiles returns the paths of a sandbox's hosts file and resolv.conf.
func sbFiles(sb Sandbox) (string, string) {
	s := sb.(*sandbox)
	s.mu.Lock()
	cfg := s.config
	s.mu.Unlock()
	return s.ctrl.hostsPath(s.id, &cfg), s.ctrl.resolvConfPath(s.id, &cfg)
}

// sbNS opens the namespace of a sandbox.
func sbNS(t testing.TB, sb Sandbox) netns.NsHandle {
	t.Helper()
	h, err := netns.GetFromPath(sb.Key())
	check(t, err)
	t.Cleanup(func() { h.Close() })
	return h
}

// query sends one query for name to the embedded DNS server from inside
// h, over "udp" or "tcp".
func query(t testing.TB, h netns.NsHandle, netw, name string, qtype uint16) *dns.Msg {
	t.Helper()
	r, err := tryQuery(h, netw, name, qtype)
	if err != nil {
		t.Fatalf("query %s %s over %s: %v", name, dns.TypeToString[qtype], netw, err)
	}
	return r
}

func tryQuery(h netns.NsHandle, netw, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	var r *dns.Msg
	err := ns.WithNetNS(h, func() error {
		c := &dns.Client{Net: netw, Timeout: 5 * time.Second}
		var err error
		r, _, err = c.Exchange(m, "127.0.0.11:53")
		return err
	})
	return r, err
}

// answers renders the answer section's data ("10.0.0.2", "fd00::2",
// "web.net1.").
func answers(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		switch x := rr.(type) {
		case *dns.A:
			out = append(out, x.A.String())
		case *dns.AAAA:
			out = append(out, x.AAAA.String())
		case *dns.PTR:
			out = append(out, x.Ptr)
		default:
			out = append(out, rr.String())
		}
	}
	return out
}

// expectAnswer checks the reply code and answers of a query.
func expectAnswer(t testing.TB, h netns.NsHandle, netw, name string, qtype uint16, rcode int, want ...string) {
	t.Helper()
	r := query(t, h, netw, name, qtype)
	got := answers(r)
	if r.Rcode != rcode || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s %s over %s: %s %v, want %s %v", name, dns.TypeToString[qtype], netw,
			dns.RcodeToString[r.Rcode], got, dns.RcodeToString[rcode], want)
	}
}

// linkHost gives the host end of a fake endpoint's veth the network's
// gateway address and brings it up: the sandbox then reaches the test's
// namespace (where upstream servers listen) through its default route.
func (e *testEnv) linkHost(ep Endpoint, gw string) {
	e.t.Helper()
	nlh, err := netlink.NewHandleAt(e.hostNS)
	check(e.t, err)
	defer nlh.Close()
	l, err := nlh.LinkByName("fvh" + ep.ID()[:8])
	check(e.t, err)
	a, err := netlink.ParseAddr(gw)
	check(e.t, err)
	check(e.t, nlh.AddrAdd(l, a))
	check(e.t, nlh.LinkSetUp(l))
}

// upstream is a DNS server of the test's, in the test's namespace.
type upstream struct {
	udp, tcp *dns.Server
}

// startUpstream serves handler on addr (UDP and TCP) inside h.
func startUpstream(t testing.TB, h netns.NsHandle, addr string, handler dns.HandlerFunc) *upstream {
	t.Helper()
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
	u := &upstream{
		udp: &dns.Server{PacketConn: pc, Handler: handler},
		tcp: &dns.Server{Listener: l, Handler: handler},
	}
	started := make(chan struct{}, 2)
	u.udp.NotifyStartedFunc = func() { started <- struct{}{} }
	u.tcp.NotifyStartedFunc = func() { started <- struct{}{} }
	go func() { _ = u.udp.ActivateAndServe() }()
	go func() { _ = u.tcp.ActivateAndServe() }()
	<-started
	<-started
	t.Cleanup(u.stop)
	return u
}

func (u *upstream) stop() {
	_ = u.udp.Shutdown()
	_ = u.tcp.Shutdown()
}
