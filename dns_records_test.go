package libnetwork

import (
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/config"
	"github.com/miekg/dns"
)

// TestServiceRecordsTable: records are kept per endpoint, found by name
// (case-insensitively) and by address (primary name only), replaced by a
// later record of the same endpoint, and removed by endpoint or by source.
func TestServiceRecordsTable(t *testing.T) {
	n := &network{name: "net1"}
	ip := func(s string) net.IP { return net.ParseIP(s) }
	n.addSvcRecord(svcRecord{EID: "e1", Names: []string{"Web", "www"}, PTR: true, IP: ip("10.0.0.2"), IP6: ip("fd00::2")})
	n.addSvcRecord(svcRecord{EID: "e2", Names: []string{"db"}, PTR: true, IP: ip("10.0.0.3")})
	n.addSvcRecord(svcRecord{EID: "r1", Source: "host2", Names: []string{"far", "www"}, PTR: true, IP: ip("10.0.0.9")})

	lookup := func(name string, fam int) string {
		ips, ok := n.lookupName(name, fam)
		var s []string
		for _, x := range ips {
			s = append(s, x.String())
		}
		return fmt.Sprintf("%v %v", s, ok)
	}
	for _, tc := range []struct {
		name string
		fam  int
		want string
	}{
		{"web", 4, "[10.0.0.2] true"},
		{"web", 6, "[fd00::2] true"},
		{"www", 4, "[10.0.0.2 10.0.0.9] true"},
		{"db", 6, "[] true"},
		{"nope", 4, "[] false"},
		{"far", 4, "[10.0.0.9] true"},
	} {
		if got := lookup(tc.name, tc.fam); got != tc.want {
			t.Errorf("lookup %s/%d = %s, want %s", tc.name, tc.fam, got, tc.want)
		}
	}
	if got := n.lookupIP(ip("10.0.0.2")); got != "Web" {
		t.Errorf("lookupIP 10.0.0.2 = %q", got)
	}
	if got := n.lookupIP(ip("fd00::2")); got != "Web" {
		t.Errorf("lookupIP fd00::2 = %q", got)
	}
	// Replacing e1's record drops its old names and address.
	n.addSvcRecord(svcRecord{EID: "e1", Names: []string{"web2"}, PTR: true, IP: ip("10.0.0.4")})
	if got := lookup("web", 4); got != "[] false" {
		t.Errorf("old name after replace: %s", got)
	}
	if got := lookup("www", 4); got != "[10.0.0.9] true" {
		t.Errorf("shared alias after replace: %s", got)
	}
	if got := n.lookupIP(ip("10.0.0.2")); got != "" {
		t.Errorf("old address after replace: %q", got)
	}
	if !n.deleteSvcRecord("e2") || n.deleteSvcRecord("e2") {
		t.Error("deleteSvcRecord: want true then false")
	}
	if got := n.deleteSvcRecordsFrom("host2"); got != 1 {
		t.Errorf("deleteSvcRecordsFrom = %d", got)
	}
	if got := lookup("far", 4) + lookup("www", 4) + n.lookupIP(ip("10.0.0.9")); got != "[] false[] false" {
		t.Errorf("after deleting host2's records: %s", got)
	}
	if recs := n.svcRecords(); len(recs) != 1 || recs[0].EID != "e1" {
		t.Errorf("records left: %+v", recs)
	}
}

// TestSandboxResolve: Sandbox.ResolveName and ResolveIP answer names,
// aliases, link aliases and name.network of the networks the sandbox
// shares, nothing of the others, nothing after Leave, and the new name
// after Rename.
func TestSandboxResolve(t *testing.T) {
	e := newTestEnv(t, config.OptionDefaultNetwork("defnet"), config.OptionDefaultDriver(fakeType))
	net1 := e.fakeNetwork("net1", "10.10.0.0/24")
	net2 := e.fakeNetwork("net2", "10.20.0.0/24")
	defnet := e.fakeNetwork("defnet", "10.30.0.0/24")

	join := func(n Network, sbName, epName string, opts ...EndpointOption) (Sandbox, Endpoint) {
		t.Helper()
		var sb Sandbox
		e.c.WalkSandboxes(SandboxContainerWalker(&sb, sbName))
		if sb == nil {
			sb = must(e.c.NewSandbox(sbName))(t)
		}
		ep := must(n.CreateEndpoint(epName, opts...))(t)
		check(t, ep.Join(sb))
		return sb, ep
	}
	a, _ := join(net1, "A", "a", CreateOptionMyAlias("web"), CreateOptionAlias("b", "bee"))
	b, epB := join(net1, "B", "b")
	c, _ := join(net2, "C", "c")
	_, anon := join(net1, "D", "anon1", CreateOptionAnonymous(), CreateOptionMyAlias("ghost"))
	join(defnet, "A", "a-def")
	join(defnet, "E", "e-def")

	resolve := func(sb Sandbox, name string, iplen int) string {
		ips, miss := sb.ResolveName(name, iplen)
		return fmt.Sprintf("%v %v", ips, miss)
	}
	for _, tc := range []struct {
		sb    Sandbox
		name  string
		iplen int
		want  string
	}{
		{a, "b", 4, "[10.10.0.3] false"},
		{a, "B.", 4, "[10.10.0.3] false"},
		{a, "bee", 4, "[10.10.0.3] false"}, // A's link alias
		{b, "bee", 4, "[] false"},          // not B's
		{b, "web", 4, "[10.10.0.2] false"},
		{b, "a.net1", 4, "[10.10.0.2] false"},
		{b, "a.net2", 4, "[] false"},
		{a, "b", 16, "[] true"}, // exists, no IPv6
		{a, "c", 4, "[] false"}, // only on net2
		{c, "a", 4, "[] false"},
		{a, "ghost", 4, "[10.10.0.4] false"},
		{a, "anon1", 4, "[] false"},
		{a, "e-def", 4, "[] false"}, // the default network has no DNS
		{a, "b", 5, "[] false"},
	} {
		if got := resolve(tc.sb, tc.name, tc.iplen); got != tc.want {
			t.Errorf("%s: ResolveName(%q, %d) = %s, want %s", tc.sb.ContainerID(), tc.name, tc.iplen, got, tc.want)
		}
	}
	for ip, want := range map[string]string{"10.10.0.2": "a.net1", "10.10.0.3": "b.net1", "10.10.0.4": "ghost.net1", "10.20.0.2": "", "bogus": ""} {
		if got := b.ResolveIP(ip); got != want {
			t.Errorf("ResolveIP(%s) = %q, want %q", ip, got, want)
		}
	}
	if got := anon.Info().Iface().Address().IP.String(); got != "10.10.0.4" {
		t.Fatalf("anonymous endpoint address %s", got)
	}

	check(t, epB.Leave(b))
	if got := resolve(a, "b", 4); got != "[] false" {
		t.Fatalf("after Leave: %s", got)
	}
	check(t, epB.Join(b))
	check(t, b.Rename("bnew"))
	if got := resolve(a, "bnew", 4) + resolve(a, "b", 4); got != "[10.10.0.3] false[] false" {
		t.Fatalf("after Rename: %s", got)
	}
	if got := a.ResolveIP("10.10.0.3"); got != "bnew.net1" {
		t.Fatalf("ResolveIP after Rename: %q", got)
	}
	// The returned addresses are the caller's.
	ips, _ := a.ResolveName("bnew", 4)
	ips[0][3] = 99
	if got := resolve(a, "bnew", 4); got != "[10.10.0.3] false" {
		t.Fatalf("records changed through a returned address: %s", got)
	}
}

// TestConcurrentPeerHosts: sandboxes that join one network at once, each
// keeping its peers in its hosts file, all end with every peer's line.
func TestConcurrentPeerHosts(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	const k = 8
	sbs := make([]Sandbox, k)
	eps := make([]Endpoint, k)
	for i := range sbs {
		sbs[i] = must(e.c.NewSandbox(fmt.Sprintf("c%d", i), OptionHostsPeers(true), OptionHostname(fmt.Sprintf("h%d", i))))(t)
		eps[i] = must(n.CreateEndpoint(fmt.Sprintf("p%d", i)))(t)
	}
	var wg sync.WaitGroup
	errs := make([]error, k)
	for i := range sbs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = eps[i].Join(sbs[i])
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		check(t, err)
	}
	for i, sb := range sbs {
		hosts, _ := sbFiles(sb)
		got := peerLines(readFile(t, hosts))
		var want []string
		for j, ep := range eps {
			if j != i {
				want = append(want, ep.Info().Iface().Address().IP.String()+"\t"+ep.Name())
			}
		}
		if !sameSet(got, want) {
			t.Errorf("sandbox %d peers %q, want %q", i, got, want)
		}
	}
	// Half leave at once: the others lose exactly their lines.
	for i := 0; i < k/2; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = eps[i].Leave(sbs[i])
		}(i)
	}
	wg.Wait()
	for i := k / 2; i < k; i++ {
		hosts, _ := sbFiles(sbs[i])
		got := peerLines(readFile(t, hosts))
		var want []string
		for j := k / 2; j < k; j++ {
			if j != i {
				want = append(want, eps[j].Info().Iface().Address().IP.String()+"\t"+eps[j].Name())
			}
		}
		if !sameSet(got, want) {
			t.Errorf("sandbox %d peers after leaves %q, want %q", i, got, want)
		}
	}
}

// peerLines returns the lines of a hosts file naming peers ("p<n>").
func peerLines(content string) []string {
	var out []string
	for _, l := range strings.Split(content, "\n") {
		if f := strings.Split(l, "\t"); len(f) == 2 && strings.HasPrefix(f[1], "p") {
			out = append(out, l)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	ma, mb := map[string]int{}, map[string]int{}
	for _, x := range a {
		ma[x]++
	}
	for _, x := range b {
		mb[x]++
	}
	return reflect.DeepEqual(ma, mb)
}

// TestRemoteSvcRecords: records published by another host resolve like
// local ones (by name and over DNS inside the sandbox), appear in hosts
// files that list peers, and go when their host goes.
func TestRemoteSvcRecords(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	sb := must(e.c.NewSandbox("c1", OptionHostsPeers(true)))(t)
	check(t, must(n.CreateEndpoint("local"))(t).Join(sb))
	nw := n.(*network)
	nw.putRemoteSvcRecord(svcRecord{EID: "r1", Source: "host2", Names: []string{"remote-web", "rw"}, PTR: true, IP: net.ParseIP("10.10.0.200")})
	nw.putRemoteSvcRecord(svcRecord{EID: "r2", Source: "host2", Names: []string{"remote-db"}, PTR: true, IP: net.ParseIP("10.10.0.201")})
	nw.putRemoteSvcRecord(svcRecord{EID: "r3", Source: "host3", Names: []string{"other"}, PTR: true, IP: net.ParseIP("10.10.0.202")})
	hosts, _ := sbFiles(sb)
	h := sbNS(t, sb)
	expectAnswer(t, h, "udp", "rw", dns.TypeA, dns.RcodeSuccess, "10.10.0.200")
	expectAnswer(t, h, "udp", "200.0.10.10.in-addr.arpa", dns.TypePTR, dns.RcodeSuccess, "remote-web.net1.")
	expectFile(t, "with remote peers", hosts, defaultHostsLines+"10.10.0.200\tremote-web rw\n10.10.0.201\tremote-db\n10.10.0.202\tother\n")
	nw.dropRemoteSvcRecord("r3")
	nw.dropSvcRecordsFrom("host2")
	if ips, miss := sb.ResolveName("rw", net.IPv4len); ips != nil || miss {
		t.Fatalf("remote name after its host left: %v %v", ips, miss)
	}
	if got := readFile(t, hosts); strings.Contains(got, "10.10.0.20") {
		t.Fatalf("hosts file after the remote host left:\n%s", got)
	}
}
