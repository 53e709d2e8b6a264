package libnetwork

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/miekg/dns"
)

// testUpstream is the test's upstream DNS server: "far." has an A record,
// "big.example." answers only over TCP (its UDP reply is truncated), any
// other name is NXDOMAIN. It counts the queries it gets by name and
// transport.
type testUpstream struct {
	mu   sync.Mutex
	seen map[string]int // "name/udp" or "name/tcp"
}

func (u *testUpstream) count(key string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.seen[key]
}

func (u *testUpstream) serve(w dns.ResponseWriter, r *dns.Msg) {
	q := r.Question[0]
	transport := w.RemoteAddr().Network()
	u.mu.Lock()
	u.seen[q.Name+"/"+transport]++
	u.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(r)
	a := func(ip string) {
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: net.ParseIP(ip)})
	}
	switch {
	case q.Name == "far." && q.Qtype == dns.TypeA:
		a("192.0.2.77")
	case q.Name == "big.example." && transport == "udp":
		m.Truncated = true
	case q.Name == "big.example." && q.Qtype == dns.TypeA:
		a("192.0.2.88")
	default:
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

// dnsTopology is a client sandbox and peers on fake networks, the client's
// veth linked to the test's namespace where the upstream server listens on
// 10.10.0.1.
type dnsTopology struct {
	e                     *testEnv
	net1, net2, net3      Network
	client, peer, far, v4 Sandbox
	cliEp, peerEp         Endpoint
	up                    *testUpstream
	srv                   *upstream
}

func newDNSTopology(t *testing.T, opts ...config.Option) *dnsTopology {
	opts = append([]config.Option{hostResolvConf(t, "search corp.example\nnameserver 10.10.0.1\n"),
		config.OptionDNSForwardTimeout(time.Second)}, opts...)
	e := newTestEnv(t, opts...)
	d := &dnsTopology{e: e, up: &testUpstream{seen: map[string]int{}}}
	d.net1 = must(e.c.NewNetwork(fakeType, "net1", "", NetworkOptionEnableIPv6(true),
		NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.10.0.0/24"}}, []*IpamConf{{PreferredPool: "fd00:10::/64"}}, nil)))(t)
	d.net2 = e.fakeNetwork("net2", "10.20.0.0/24")
	d.net3 = e.fakeNetwork("net3", "10.30.0.0/24")
	run := func(n Network, name string, opts ...EndpointOption) (Sandbox, Endpoint) {
		sb := must(e.c.NewSandbox(name, OptionHostsPeers(true)))(t)
		ep := must(n.CreateEndpoint(name, opts...))(t)
		check(t, ep.Join(sb))
		return sb, ep
	}
	d.client, d.cliEp = run(d.net1, "client")
	d.peer, d.peerEp = run(d.net1, "peer", CreateOptionMyAlias("peer-alias"))
	d.far, _ = run(d.net2, "far")
	d.v4, _ = run(d.net3, "v4only")
	check(t, must(d.net3.CreateEndpoint("client-3"))(t).Join(d.client))
	e.linkHost(d.cliEp, "10.10.0.1/24")
	d.srv = startUpstream(t, e.hostNS, "10.10.0.1:53", d.up.serve)
	return d
}

// TestEmbeddedDNSQueries: real queries from inside a sandbox's namespace
// to its embedded DNS server: local names, aliases and name.network over
// UDP and TCP, PTR, the empty answer of a local name's missing family, a
// name of an unshared network forwarded to the test's upstream, TCP retry
// of a truncated upstream reply, NXDOMAIN at once after Leave, SERVFAIL
// when the upstream is down.
func TestEmbeddedDNSQueries(t *testing.T) {
	d := newDNSTopology(t)
	h := sbNS(t, d.client)
	peer4 := d.peerEp.Info().Iface().Address().IP.String()
	peer6 := d.peerEp.Info().Iface().AddressIPv6().IP.String()
	rev4, _ := dns.ReverseAddr(peer4)
	rev6, _ := dns.ReverseAddr(peer6)
	for _, netw := range []string{"udp", "tcp"} {
		expectAnswer(t, h, netw, "peer", dns.TypeA, dns.RcodeSuccess, peer4)
		expectAnswer(t, h, netw, "PEER.", dns.TypeAAAA, dns.RcodeSuccess, peer6)
		expectAnswer(t, h, netw, "peer-alias", dns.TypeA, dns.RcodeSuccess, peer4)
		expectAnswer(t, h, netw, "peer.net1", dns.TypeA, dns.RcodeSuccess, peer4)
		expectAnswer(t, h, netw, rev4, dns.TypePTR, dns.RcodeSuccess, "peer.net1.")
		expectAnswer(t, h, netw, rev6, dns.TypePTR, dns.RcodeSuccess, "peer.net1.")
		expectAnswer(t, h, netw, "v4only", dns.TypeA, dns.RcodeSuccess, d.v4.(*sandbox).endpoints[0].Info().Iface().Address().IP.String())
		// A local name without IPv6: empty NOERROR, not forwarded.
		expectAnswer(t, h, netw, "v4only", dns.TypeAAAA, dns.RcodeSuccess)
		// "far" lives on net2 only: the upstream's answer comes back.
		expectAnswer(t, h, netw, "far", dns.TypeA, dns.RcodeSuccess, "192.0.2.77")
		if got := d.up.count("far./" + netw); got != 1 {
			t.Fatalf("upstream saw far. over %s %d times", netw, got)
		}
	}
	if n := d.up.count("v4only./udp") + d.up.count("v4only./tcp") + d.up.count("peer./udp"); n != 0 {
		t.Fatalf("local names forwarded %d times", n)
	}
	// A truncated UDP reply is retried over TCP.
	expectAnswer(t, h, "udp", "big.example", dns.TypeA, dns.RcodeSuccess, "192.0.2.88")
	if d.up.count("big.example./udp") != 1 || d.up.count("big.example./tcp") != 1 {
		t.Fatalf("upstream saw big.example over udp %d, tcp %d times", d.up.count("big.example./udp"), d.up.count("big.example./tcp"))
	}
	// After Leave the name is gone at once: forwarded, NXDOMAIN.
	check(t, d.peerEp.Leave(d.peer))
	expectAnswer(t, h, "udp", "peer", dns.TypeA, dns.RcodeNameError)
	expectAnswer(t, h, "udp", "peer-alias.net1", dns.TypeA, dns.RcodeNameError)
	// Upstream down: SERVFAIL within the forward timeout.
	d.srv.stop()
	expectAnswer(t, h, "udp", "gone.example", dns.TypeA, dns.RcodeServerFailure)
	expectAnswer(t, h, "tcp", "gone.example", dns.TypeA, dns.RcodeServerFailure)
}

// TestEmbeddedDNSExternalKey: a sandbox whose namespace comes with SetKey
// gets its embedded DNS server there.
func TestEmbeddedDNSExternalKey(t *testing.T) {
	d := newDNSTopology(t)
	sb := must(d.e.c.NewSandbox("ext", OptionUseExternalKey()))(t)
	ep := must(d.net1.CreateEndpoint("ext"))(t)
	check(t, ep.Join(sb))
	if sb.(*sandbox).dns.resolver != nil {
		t.Fatal("embedded DNS started without a namespace")
	}
	path, h := testutils.NewNS(t, "ext")
	check(t, sb.SetKey(path))
	expectAnswer(t, h, "udp", "peer", dns.TypeA, dns.RcodeSuccess, d.peerEp.Info().Iface().Address().IP.String())
	_, rc := sbFiles(sb)
	expectFile(t, "external key", rc, "search corp.example\nnameserver 127.0.0.11\noptions ndots:0\n")
	check(t, sb.Delete())
	// The runtime's namespace outlives the sandbox, without our server.
	if _, err := tryQuery(h, "udp", "peer", dns.TypeA); err == nil {
		t.Fatal("embedded DNS still answers after the sandbox's delete")
	}
}

// TestEmbeddedDNSRestart: after a controller restart the live sandboxes'
// servers answer again from rebuilt records; the names and hosts lines of
// sandboxes that did not survive are gone with their files; a resolv.conf
// the user edited is still left alone while the others follow the host's.
func TestEmbeddedDNSRestart(t *testing.T) {
	d := newDNSTopology(t)
	e := d.e
	h := sbNS(t, d.client)
	clientHosts, clientRC := sbFiles(d.client)
	_, peerRC := sbFiles(d.peer)
	farDir := filepath.Join(e.execRoot, "files", d.far.ID())
	v4Addr := d.v4.(*sandbox).endpoints[0].Info().Iface().Address().IP.String()
	if !strings.Contains(readFile(t, clientHosts), v4Addr+"\tv4only\n") {
		t.Fatalf("client's hosts file lacks v4only:\n%s", readFile(t, clientHosts))
	}
	edited := readFile(t, clientRC) + "# mine\n"
	check(t, os.WriteFile(clientRC, []byte(edited), 0o644))
	d.srv.stop()

	// v4only and far are not active any more; the host's file changed.
	e.restart(configActive("client", "peer"), config.OptionDNSForwardTimeout(time.Second),
		hostResolvConf(t, "search new.example\nnameserver 10.10.0.1\n"))
	d.srv = startUpstream(t, e.hostNS, "10.10.0.1:53", d.up.serve)
	peer4 := d.peerEp.Info().Iface().Address().IP.String()
	expectAnswer(t, h, "udp", "peer", dns.TypeA, dns.RcodeSuccess, peer4)
	expectAnswer(t, h, "tcp", "peer-alias", dns.TypeA, dns.RcodeSuccess, peer4)
	expectAnswer(t, h, "udp", "v4only", dns.TypeA, dns.RcodeNameError)
	expectAnswer(t, h, "udp", "far", dns.TypeA, dns.RcodeSuccess, "192.0.2.77")
	if strings.Contains(readFile(t, clientHosts), "v4only") {
		t.Fatalf("hosts line of a removed sandbox kept:\n%s", readFile(t, clientHosts))
	}
	if _, err := os.Stat(farDir); !os.IsNotExist(err) {
		t.Fatalf("files of a removed sandbox: %v", err)
	}
	expectFile(t, "edited resolv.conf after restart", clientRC, edited)
	expectFile(t, "resolv.conf after restart", peerRC, "search new.example\nnameserver 127.0.0.11\noptions ndots:0\n")
	sb, err := e.c.SandboxByID(d.client.ID())
	check(t, err)
	if ips, _ := sb.ResolveName("peer", net.IPv4len); len(ips) != 1 || ips[0].String() != peer4 {
		t.Fatalf("ResolveName after restart: %v", ips)
	}
}
