package libnetwork

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/types"
)

const testHostResolvConf = `# the test's host file
search corp.example
nameserver 127.0.0.53
nameserver 192.0.2.1
nameserver 2001:db8::1
options ndots:2
`

const defaultHostsLines = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n" +
	"ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"

func expectFile(t testing.TB, what, path, want string) {
	t.Helper()
	if got := readFile(t, path); got != want {
		t.Fatalf("%s %s:\n%s\nwant:\n%s", what, path, got, want)
	}
}

// TestResolvConfContents: a sandbox's resolv.conf through creation, the
// first join to a network with DNS, joins to networks without, Refresh,
// user edits, DNS options, fallback servers and the host's namespace.
func TestResolvConfContents(t *testing.T) {
	e := newTestEnv(t, hostResolvConf(t, testHostResolvConf),
		config.OptionDefaultNetwork("defnet"), config.OptionDefaultDriver(fakeType))
	net1 := e.fakeNetwork("net1", "10.10.0.0/24")
	defnet := must(e.c.NewNetwork(fakeType, "defnet", "", NetworkOptionEnableIPv6(true),
		NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.30.0.0/24"}}, []*IpamConf{{PreferredPool: "fd00:30::/64"}}, nil)))(t)
	upstreamConf := "# the test's host file\nsearch corp.example\nnameserver 192.0.2.1\noptions ndots:2\n"
	embeddedConf := "# the test's host file\nsearch corp.example\nnameserver 127.0.0.11\noptions ndots:2\n"

	// Created: the host's file without loopback and (no IPv6 yet) IPv6 servers.
	sb := must(e.c.NewSandbox("c1"))(t)
	_, rc := sbFiles(sb)
	if want := filepath.Join(e.execRoot, "files", sb.ID(), "resolv.conf"); rc != want {
		t.Fatalf("default resolv.conf path %s, want %s", rc, want)
	}
	expectFile(t, "new sandbox", rc, upstreamConf)
	// The default network has no DNS; with its IPv6 the host's IPv6
	// servers are usable.
	ep0 := must(defnet.CreateEndpoint("d1"))(t)
	check(t, ep0.Join(sb))
	expectFile(t, "joined to the default network", rc,
		"# the test's host file\nsearch corp.example\nnameserver 192.0.2.1\nnameserver 2001:db8::1\noptions ndots:2\n")
	if sb.(*sandbox).dns.resolver != nil {
		t.Fatal("embedded DNS started for the default network")
	}
	// The first join to a user-defined network starts the embedded server.
	ep1 := must(net1.CreateEndpoint("e1"))(t)
	check(t, ep1.Join(sb))
	expectFile(t, "joined to net1", rc, embeddedConf)
	check(t, ep1.Leave(sb))
	expectFile(t, "left net1 (the server stays)", rc, embeddedConf)

	// Refresh applies new options to a file nobody edited...
	check(t, sb.Refresh(OptionDNSSearch("new.example"), OptionDNSOptions("ndots:3 timeout:1")))
	expectFile(t, "refreshed", rc, "# the test's host file\nsearch new.example\nnameserver 127.0.0.11\noptions ndots:3 timeout:1\n")
	// ...but never overwrites one the user edited.
	edited := readFile(t, rc) + "nameserver 10.9.9.9\n"
	check(t, os.WriteFile(rc, []byte(edited), 0o644))
	check(t, sb.Refresh(OptionDNSSearch("other.example")))
	expectFile(t, "edited, then refreshed", rc, edited)

	// DNS options replace the host's lists; the user's servers are kept as given.
	sb2 := must(e.c.NewSandbox("c2", OptionDNS("192.0.2.7"), OptionDNS("fd00::53"), OptionDNSSearch("a.example"), OptionDNSOptions("rotate")))(t)
	_, rc2 := sbFiles(sb2)
	expectFile(t, "with DNS options", rc2, "# the test's host file\nsearch a.example\nnameserver 192.0.2.7\nnameserver fd00::53\noptions rotate\n")
	ep2 := must(net1.CreateEndpoint("e2"))(t)
	check(t, ep2.Join(sb2))
	expectFile(t, "with DNS options, joined", rc2, "# the test's host file\nsearch a.example\nnameserver 127.0.0.11\noptions rotate ndots:0\n")

	// The host's namespace takes the host's file as it is.
	sb4 := must(e.c.NewSandbox("c4", OptionUseDefaultSandbox()))(t)
	_, rc4 := sbFiles(sb4)
	expectFile(t, "host namespace", rc4, testHostResolvConf)

	// Deleting the sandbox removes its files.
	check(t, sb.Delete())
	if _, err := os.Stat(filepath.Dir(rc)); !os.IsNotExist(err) {
		t.Fatalf("files of a deleted sandbox: %v", err)
	}
}

// TestResolvConfFallback: only the servers the embedder configured are
// added when the host has none a sandbox can use; otherwise none.
func TestResolvConfFallback(t *testing.T) {
	hostOnlyLoopback := hostResolvConf(t, "nameserver 127.0.0.53\nsearch x.example\n")
	for _, tc := range []struct {
		name string
		opts []config.Option
		want string
	}{
		{"no fallback", nil, "search x.example\n"},
		{"fallback", []config.Option{config.OptionFallbackDNS([]string{"192.0.2.53", "2001:db8::53"})}, "search x.example\nnameserver 192.0.2.53\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, append([]config.Option{hostOnlyLoopback}, tc.opts...)...)
			sb := must(e.c.NewSandbox("c1"))(t)
			_, rc := sbFiles(sb)
			expectFile(t, tc.name, rc, tc.want)
		})
	}
	e := newTestEnv(t)
	e.c.Stop()
	e.c = nil
	if _, err := New(e.options(config.OptionFallbackDNS([]string{"8.8.8.x"}))...); !types.IsBadRequest(err) || !strings.Contains(err.Error(), "8.8.8.x") {
		t.Fatalf("bad fallback server: %v", err)
	}
}

// TestHostsFileContents: a sandbox's hosts file through creation, joins,
// a peer's join, rename and leave, and a user's edit.
func TestHostsFileContents(t *testing.T) {
	e := newTestEnv(t)
	net1 := e.fakeNetwork("net1", "10.10.0.0/24")
	userPath := filepath.Join(t.TempDir(), "etc", "hosts")
	sb1 := must(e.c.NewSandbox("c1", OptionHostname("web"), OptionDomainname("example.org"),
		OptionExtraHost("db", "10.1.2.3"), OptionExtraHost("v6host", "fd00::9"), OptionHostsPeers(true), OptionHostsPath(userPath)))(t)
	hosts, _ := sbFiles(sb1)
	if hosts != userPath {
		t.Fatalf("hosts path %s, want %s", hosts, userPath)
	}
	base := defaultHostsLines + "10.1.2.3\tdb\nfd00::9\tv6host\n"
	expectFile(t, "created", hosts, base)

	ep1 := must(net1.CreateEndpoint("w"))(t)
	check(t, ep1.Join(sb1))
	own := "10.10.0.2\tweb.example.org web\n"
	expectFile(t, "joined", hosts, base+own)

	sb2 := must(e.c.NewSandbox("c2", OptionHostname("api")))(t)
	hosts2, _ := sbFiles(sb2)
	ep2 := must(net1.CreateEndpoint("api-ep", CreateOptionMyAlias("api-alias")))(t)
	check(t, ep2.Join(sb2))
	expectFile(t, "peer joined", hosts, base+own+"10.10.0.3\tapi-ep api-alias\n")
	expectFile(t, "peer's own file (no peers)", hosts2, defaultHostsLines+"10.10.0.3\tapi\n")

	// A line the user adds stays through every change.
	user := "192.0.2.99\tmanual # mine\n"
	check(t, os.WriteFile(hosts, []byte(readFile(t, hosts)+user), 0o644))
	check(t, sb2.Rename("api2"))
	expectFile(t, "peer renamed", hosts, base+own+user+"10.10.0.3\tapi2 api-alias\n")
	check(t, ep2.Leave(sb2))
	expectFile(t, "peer left", hosts, base+own+user)
	expectFile(t, "peer's own file after leave", hosts2, defaultHostsLines)
	check(t, ep1.Leave(sb1))
	expectFile(t, "left", hosts, base+user)

	// Refresh with a new host name and extra hosts edits the file in place.
	check(t, ep1.Join(sb1))
	check(t, sb1.Refresh(OptionHostname("web2"), OptionExtraHost("cache", "10.1.2.4"), OptionHostsPath(userPath)))
	expectFile(t, "refreshed", hosts, defaultHostsLines+user+"10.1.2.4\tcache\n10.10.0.2\tweb2\n")
	check(t, sb1.Delete())
	if _, err := os.Stat(hosts); err != nil {
		t.Fatalf("a hosts file at the embedder's path is the embedder's: %v", err)
	}
}

// TestDNSBadInput: invalid DNS servers, search domains, options, names and
// extra hosts are BadRequest errors naming the value; nothing is created
// or written, and a Refresh with them changes nothing.
func TestDNSBadInput(t *testing.T) {
	e := newTestEnv(t, hostResolvConf(t, "nameserver 192.0.2.1\n"))
	dir := t.TempDir()
	paths := []SandboxOption{OptionHostsPath(filepath.Join(dir, "hosts")), OptionResolvConfPath(filepath.Join(dir, "resolv.conf"))}
	cases := []struct {
		opt  SandboxOption
		name string
	}{
		{OptionDNS("192.0.2.300"), "192.0.2.300"},
		{OptionDNS("dns.example"), "dns.example"},
		{OptionDNSSearch("bad domain"), "bad domain"},
		{OptionDNSSearch("-bad.example"), "-bad.example"},
		{OptionDNSOptions("ndots:x"), "ndots:x"},
		{OptionDNSOptions("bogus"), "bogus"},
		{OptionExtraHost("bad name", "10.0.0.1"), "bad name"},
		{OptionExtraHost("bad!name", "10.0.0.1"), "bad!name"},
		{OptionExtraHost("good", "10.0.0.256"), "10.0.0.256"},
		{OptionHostname("bad_host!"), "bad_host!"},
		{OptionDomainname("dom ain"), "dom ain"},
	}
	before := e.snapshot(t)
	for _, tc := range cases {
		_, err := e.c.NewSandbox("c1", append(paths, tc.opt)...)
		if !types.IsBadRequest(err) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%q: want a BadRequest naming it, got %v (%s)", tc.name, err, errClass(err))
		}
	}
	sameSnapshot(t, "bad options", before, e.snapshot(t))
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files written for bad options: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(e.execRoot, "files")); !os.IsNotExist(err) {
		t.Fatalf("files dir for bad options: %v", err)
	}

	sb := must(e.c.NewSandbox("c1", OptionHostname("ok")))(t)
	hosts, rc := sbFiles(sb)
	h0, r0 := readFile(t, hosts), readFile(t, rc)
	for _, tc := range cases {
		if err := sb.Refresh(tc.opt); !types.IsBadRequest(err) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("Refresh %q: want a BadRequest naming it, got %v", tc.name, err)
		}
	}
	if readFile(t, hosts) != h0 || readFile(t, rc) != r0 {
		t.Fatal("a bad Refresh changed the files")
	}
}

// TestHostsFileRestoreOptions: a restart that gives a live sandbox new
// options (config.OptionActiveSandboxes) updates its hosts file in place.
func TestHostsFileRestoreOptions(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	sb := must(e.c.NewSandbox("c1", OptionHostname("one"), OptionExtraHost("x", "10.1.1.1")))(t)
	check(t, must(n.CreateEndpoint("ep"))(t).Join(sb))
	hosts, _ := sbFiles(sb)
	expectFile(t, "before restart", hosts, defaultHostsLines+"10.1.1.1\tx\n10.10.0.2\tone\n")
	e.restart(config.OptionActiveSandboxes(map[string]interface{}{
		"c1": []SandboxOption{OptionHostname("two"), OptionExtraHost("y", "10.1.1.2")},
	}))
	expectFile(t, "after restart with new options", hosts, defaultHostsLines+"10.1.1.2\ty\n10.10.0.2\ttwo\n")
}
