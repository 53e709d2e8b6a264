package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/crashpoint"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// crashEnv is one dnet daemon environment reused by many crash cases:
// each case starts from the empty state, proven by a snapshot.
type crashEnv struct {
	*dnetEnv
}

func newCrashEnv(t *testing.T, bins dnetBinaries) *crashEnv {
	e := &crashEnv{dnetEnv: newDnetEnv(t, bins)}
	e.start()
	return e
}

// spawnCrash starts the daemon with the crash step crash (none when empty).
func (e *crashEnv) spawnCrash(crash string) *dnetProc {
	e.t.Helper()
	return e.spawnEnv([]string{crashpoint.EnvVar + "=" + crash},
		"--data-dir", e.dataDir, "--exec-root", e.execRoot, "--log-level", "warn")
}

// restartWith stops the running daemon (SIGTERM) and starts one that dies
// at crash.
func (e *crashEnv) restartWith(crash string) {
	e.t.Helper()
	e.stop()
	e.d = e.spawnCrash(crash)
	e.waitReady(e.d)
}

// stop ends the running daemon: SIGTERM, or nothing when it is dead.
func (e *crashEnv) stop() {
	e.t.Helper()
	select {
	case <-e.d.done:
		return
	default:
	}
	_ = e.d.cmd.Process.Signal(syscall.SIGTERM)
	e.d.wait(e.t, 30*time.Second)
}

// killed reports whether the daemon died of SIGKILL.
func (p *dnetProc) killed() bool {
	select {
	case <-p.done:
	default:
		return false
	}
	ee, ok := p.err.(*exec.ExitError)
	if !ok {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// crashSnap is the state a crash case compares: the API's objects by
// name, and the kernel's — links, addresses, routes, neighbours/FDB and
// sockets of the daemon's namespace, the namespaces pinned under the exec
// root with their mounts, links and addresses, the daemon's child
// processes — and the whole nf_tables ruleset (iptables-nft's rules are in
// it), with generated names (of IDs) replaced by their prefix.
type crashSnap struct {
	api, links, pins, mounts, procs string
	files                           string // sandbox file dirs and intents left under the exec root
	net                             testutils.NetState
}

var genName = regexp.MustCompile(`\b(cnm-|cnmv|cnmc)[0-9a-f]{6,}`)

// genNameHex and genNameBytes are a generated bridge name as nftdump shows
// it in a set element or verdict (in hex) and in a rule's compared data
// (decimal bytes).
var (
	genNameHex   = regexp.MustCompile(`636e6d2d(?:3[0-9]|6[1-6]){6,}`)
	genNameBytes = regexp.MustCompile(`99 110 109 45(?: (?:4[89]|5[0-7]|9[7-9]|10[0-2])){6,}`)
)

// hostEndMAC is the (random) MAC of a veth host end in its FDB entry.
var hostEndMAC = regexp.MustCompile(`(dev cnmv\* \S+ )[0-9a-f:]{17}`)

// normalize replaces generated names (and the random MACs of veth host
// ends) in the lines of s and sorts them.
func normalize(s string) string {
	s = hostEndMAC.ReplaceAllString(genName.ReplaceAllString(s, "$1*"), "${1}mac")
	l := strings.Split(s, "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}

func (e *crashEnv) snap() crashSnap {
	e.t.Helper()
	var s crashSnap
	s.api = e.apiNames()
	ls, err := e.nl.LinkList()
	if err != nil {
		e.t.Fatal(err)
	}
	names := map[int]string{}
	for _, l := range ls {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	var links []string
	for _, l := range ls {
		a := l.Attrs()
		links = append(links, fmt.Sprintf("%s/%s master=%s up=%v", a.Name, l.Type(), names[a.MasterIndex], a.Flags&net.FlagUp != 0))
	}
	s.links = normalize(strings.Join(links, "\n"))
	var pins []string
	_ = filepath.Walk(e.execRoot, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && ns.IsNetNS(p) {
			pins = append(pins, "ns "+nsContent(e.t, p))
		}
		return nil
	})
	s.pins = normalize(strings.Join(pins, "\n"))
	s.mounts = fmt.Sprint(len(strings.Fields(mountsUnder(e.t, e.execRoot))))
	sbFiles, _ := filepath.Glob(filepath.Join(e.execRoot, "files", "*"))
	intents, _ := filepath.Glob(filepath.Join(e.execRoot, "intents", "*"))
	s.files = fmt.Sprintf("sandbox file dirs: %d, intents: %v", len(sbFiles), intents)
	s.net = testutils.SnapNetState(e.t, e.ns)
	s.net.Addrs, s.net.Routes, s.net.Neighs = normalize(s.net.Addrs), normalize(s.net.Routes), normalize(s.net.Neighs)
	s.net.Ruleset = normalize(genNameBytes.ReplaceAllString(genNameHex.ReplaceAllString(s.net.Ruleset, "cnm-*"), "cnm-*"))
	s.procs = daemonChildren(e.d)
	return s
}

// nsContent is the links (name, type, up) and addresses of the namespace
// pinned at path.
func nsContent(t testing.TB, path string) string {
	h, err := netns.GetFromPath(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer h.Close()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	ls, err := nl.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		as, _ := nl.AddrList(l, netlink.FAMILY_V4)
		var addrs []string
		for _, a := range as {
			addrs = append(addrs, a.IPNet.String())
		}
		out = append(out, fmt.Sprintf("%s/%s up=%v %s", l.Attrs().Name, l.Type(), l.Attrs().Flags&net.FlagUp != 0, strings.Join(addrs, ",")))
	}
	sort.Strings(out)
	return strings.Join(out, ";")
}

// apiNames lists the daemon's networks, endpoints (with their network,
// address and sandbox) and sandboxes by name.
func (e *crashEnv) apiNames() string {
	e.t.Helper()
	var nets []api.Network
	e.rawJSON("GET", "/v1/networks", "", 200, &nets)
	var eps []api.Endpoint
	e.rawJSON("GET", "/v1/endpoints", "", 200, &eps)
	var sbs []api.Sandbox
	e.rawJSON("GET", "/v1/sandboxes", "", 200, &sbs)
	var out []string
	for _, n := range nets {
		out = append(out, "network "+n.Name)
	}
	for _, ep := range eps {
		out = append(out, fmt.Sprintf("endpoint %s net=%s ip=%s sb=%s ports=%d", ep.Name, ep.Network, ep.IPv4Address, ep.Sandbox, len(ep.PortBindings)))
	}
	for _, sb := range sbs {
		out = append(out, fmt.Sprintf("sandbox %s endpoints=%d", sb.Name, len(sb.Endpoints)))
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// daemonChildren lists the live child processes of the daemon ("comm").
func daemonChildren(p *dnetProc) string {
	select {
	case <-p.done:
		return ""
	default:
	}
	var out []string
	for _, c := range testutils.ChildrenOf(p.cmd.Process.Pid) {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// diff names what differs between s and o.
func (s crashSnap) diff(o crashSnap) string {
	var d []string
	for _, f := range []struct{ name, now, was string }{
		{"api", s.api, o.api}, {"links", s.links, o.links}, {"namespaces", s.pins, o.pins},
		{"mounts", s.mounts, o.mounts}, {"child processes", s.procs, o.procs}, {"files", s.files, o.files},
	} {
		if f.now != f.was {
			d = append(d, fmt.Sprintf("%s:\n%s\nwere:\n%s", f.name, f.now, f.was))
		}
	}
	if nd := s.net.Diff(o.net); nd != "" {
		d = append(d, nd)
	}
	return strings.Join(d, "\n")
}
