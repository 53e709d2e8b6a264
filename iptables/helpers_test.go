package iptables

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netns"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

var counters = regexp.MustCompile(` \[\d+:\d+\]`)

// saveOut returns iptables-save (or ip6tables-save) output of the test's
// namespace (or of h when given) without comments and counters.
func saveOut(t testing.TB, cmd string, h ...netns.NsHandle) string {
	t.Helper()
	bin := cmd + "-save"
	var out []byte
	run := func() error {
		var err error
		out, err = exec.Command(bin).Output()
		return err
	}
	var err error
	if len(h) > 0 {
		err = ns.WithNetNS(h[0], run)
	} else {
		err = run()
	}
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		keep = append(keep, counters.ReplaceAllString(l, ""))
	}
	return strings.Join(keep, "\n")
}

// sh runs an iptables command line in the test's namespace.
func sh(t testing.TB, argv ...string) {
	t.Helper()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", argv, err, out)
	}
}

// baseline gives the test namespace a foreign ruleset (a Docker-like chain
// and rules) so that tests prove we leave others' rules alone. It is
// idempotent: each test namespace is shared by the package's tests.
func baseline(t testing.TB, bin string) {
	t.Helper()
	if err := exec.Command(bin, "-w", "-t", "nat", "-C", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER").Run(); err == nil {
		return
	}
	sh(t, bin, "-w", "-t", "nat", "-N", "DOCKER")
	sh(t, bin, "-w", "-t", "nat", "-A", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER")
	sh(t, bin, "-w", "-t", "filter", "-N", "DOCKER-USER")
	sh(t, bin, "-w", "-t", "filter", "-A", "FORWARD", "-j", "DOCKER-USER")
	sh(t, bin, "-w", "-t", "filter", "-A", "FORWARD", "-p", "tcp", "--dport", "22", "-j", "ACCEPT")
	for _, table := range []string{"mangle", "raw"} { // instantiate the tables
		sh(t, bin, "-w", "-t", table, "-N", "TMP")
		sh(t, bin, "-w", "-t", table, "-X", "TMP")
	}
}

func newTable(t testing.TB, v IPVersion, opts ...Option) *IPTable {
	t.Helper()
	testutils.RequireRoot(t)
	ipt, err := New(v, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ipt
}

func countLines(s, sub string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if l == sub {
			n++
		}
	}
	return n
}

// variant is an iptables binary to test with.
type variant struct {
	name string
	v    IPVersion
	cmd  string
}

// variants returns the binaries present: iptables, ip6tables and the legacy
// backend when installed.
func variants(t testing.TB, v6 bool) []variant {
	vs := []variant{{"iptables", IPv4, "iptables"}}
	if v6 {
		vs = append(vs, variant{"ip6tables", IPv6, "ip6tables"})
	}
	if _, err := exec.LookPath("iptables-legacy"); err == nil {
		vs = append(vs, variant{"legacy", IPv4, "iptables-legacy"})
	}
	return vs
}
