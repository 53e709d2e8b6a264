package integration

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/vishvananda/netlink"
)

// hostSnapshot is what a namespace holds that the demo must not touch:
// links, routes, firewall rules and the namespaces mounted anywhere.
type hostSnapshot struct {
	links, routes, ipt, ip6t, nsMounts string
}

var iptCounters = regexp.MustCompile(`\[\d+:\d+\]`)

// takeHostSnapshot reads the namespace of the calling (locked) test
// goroutine through nl; the iptables tools run as children of this thread,
// in the same namespace.
func takeHostSnapshot(t *testing.T, nl *netlink.Handle) hostSnapshot {
	t.Helper()
	var s hostSnapshot
	links, err := nl.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var l []string
	for _, x := range links {
		a := x.Attrs()
		l = append(l, fmt.Sprintf("%d:%s:%s:%v", a.Index, a.Name, a.HardwareAddr, a.Flags))
	}
	sort.Strings(l)
	s.links = strings.Join(l, "\n")
	routes, err := nl.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: 0}, netlink.RT_FILTER_TABLE)
	if err != nil {
		t.Fatal(err)
	}
	var r []string
	for _, x := range routes {
		r = append(r, x.String())
	}
	sort.Strings(r)
	s.routes = strings.Join(r, "\n")
	save := func(tool string) string {
		out, err := exec.Command(tool).Output()
		if err != nil {
			return "unavailable"
		}
		var keep []string
		for _, line := range strings.Split(string(out), "\n") {
			if line != "" && !strings.HasPrefix(line, "#") {
				keep = append(keep, iptCounters.ReplaceAllString(line, ""))
			}
		}
		return strings.Join(keep, "\n")
	}
	s.ipt, s.ip6t = save("iptables-save"), save("ip6tables-save")
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var m []string
	for _, line := range strings.Split(string(mi), "\n") {
		if strings.Contains(line, " - nsfs ") {
			f := strings.Fields(line)
			m = append(m, f[4])
		}
	}
	sort.Strings(m)
	s.nsMounts = strings.Join(m, "\n")
	return s
}

// testDnetDemo runs `dnet demo` and checks that it passes and leaves the
// namespace it was started from (the test's) as it was.
func testDnetDemo(t *testing.T, bins dnetBinaries) {
	testutils.RequireRoot(t)
	e := newDnetEnv(t, bins)
	before := takeHostSnapshot(t, e.nl)
	out, errOut, code := dnetRun(t, bins.cli, "demo")
	t.Logf("dnet demo:\n%s", out)
	if code != 0 || !strings.Contains(out, "demo passed") {
		t.Fatalf("dnet demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, step := range []string{"ICMP echo", "TCP exchange", "published port", "name resolution", "nothing left behind"} {
		if !regexp.MustCompile(`(?m)^\s*\d+\s+(ok|skip)\s.*` + regexp.QuoteMeta(step)).MatchString(out) {
			t.Errorf("the demo's summary has no passed step %q", step)
		}
	}
	if strings.Contains(out, "FAIL") {
		t.Errorf("a demo step failed:\n%s", out)
	}
	if m := regexp.MustCompile(`work dir (\S+)`).FindStringSubmatch(out); m == nil {
		t.Errorf("the demo names no work dir")
	} else if _, err := os.Stat(m[1]); !os.IsNotExist(err) {
		t.Errorf("the demo left its work dir %s: %v", m[1], err)
	}
	after := takeHostSnapshot(t, e.nl)
	for _, c := range []struct{ what, a, b string }{
		{"links", before.links, after.links},
		{"routes", before.routes, after.routes},
		{"iptables", before.ipt, after.ipt},
		{"ip6tables", before.ip6t, after.ip6t},
		{"namespace mounts", before.nsMounts, after.nsMounts},
	} {
		if c.a != c.b {
			t.Errorf("the demo changed the host's %s:\nbefore:\n%s\nafter:\n%s", c.what, c.a, c.b)
		}
	}
}
