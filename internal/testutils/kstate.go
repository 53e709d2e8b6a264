package testutils

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/nftdump"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetState is what a "nothing left" check compares in a namespace beyond
// its links: addresses, routes of every table, neighbour and bridge FDB
// entries, bound sockets, the whole nf_tables ruleset (every table,
// iptables-nft's included, with its chains, rules, sets and elements; see
// nftdump), and XFRM (IPsec) states and policies. Each is one sorted line
// per item.
type NetState struct {
	Addrs, Routes, Neighs, Sockets, Ruleset, Xfrm string
}

// SnapNetState reads the NetState of namespace h. What the kernel makes by
// itself is left out: neighbours not PERMANENT, multicast FDB entries, and
// IPv6 link-local addresses with their fe80::/64, ff00::/8 and local routes.
func SnapNetState(t testing.TB, h netns.NsHandle) NetState {
	t.Helper()
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	names := map[int]string{}
	links, err := nl.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	var s NetState
	var addrs, routes, neighs []string
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
		as, err := nl.AddrList(nil, fam)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.IP.IsLinkLocalUnicast() && a.IP.To4() == nil {
				continue
			}
			addrs = append(addrs, names[a.LinkIndex]+" "+a.IPNet.String())
		}
		rs, err := nl.RouteListFiltered(fam, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Dst != nil && r.Dst.IP.To4() == nil && (r.Dst.IP.IsLinkLocalUnicast() || r.Dst.IP.IsMulticast()) {
				continue
			}
			routes = append(routes, fmt.Sprintf("table %d dev %s dst %v gw %v type %d", r.Table, names[r.LinkIndex], r.Dst, r.Gw, r.Type))
		}
	}
	for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6, unix.AF_BRIDGE} {
		ns, err := nl.NeighList(0, fam)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if fam != unix.AF_BRIDGE && n.State&netlink.NUD_PERMANENT == 0 {
				continue
			}
			if fam == unix.AF_BRIDGE && len(n.HardwareAddr) > 0 && n.HardwareAddr[0]&1 == 1 {
				continue
			}
			neighs = append(neighs, fmt.Sprintf("fam %d dev %s %v %v state %#x", fam, names[n.LinkIndex], n.IP, n.HardwareAddr, n.State))
		}
	}
	s.Addrs, s.Routes, s.Neighs = joinSorted(addrs), joinSorted(routes), joinSorted(neighs)
	s.Ruleset = nftdump.State(t, h)
	s.Xfrm = XfrmState(t, h)
	if err := ns.WithNetNS(h, func() error {
		var err error
		s.Sockets, err = boundSockets()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

// Diff names what differs from o ("" when nothing does).
func (s NetState) Diff(o NetState) string {
	var d []string
	for _, f := range []struct{ name, now, was string }{
		{"addresses", s.Addrs, o.Addrs}, {"routes", s.Routes, o.Routes},
		{"neighbours/FDB", s.Neighs, o.Neighs}, {"sockets", s.Sockets, o.Sockets},
		{"nf_tables", s.Ruleset, o.Ruleset}, {"XFRM", s.Xfrm, o.Xfrm},
	} {
		if f.now != f.was {
			d = append(d, fmt.Sprintf("%s:\n%s\nwere:\n%s", f.name, f.now, f.was))
		}
	}
	return strings.Join(d, "\n")
}

// XfrmState lists the XFRM states ("sa SRC DST PROTO SPI REQID") and
// policies ("sp DIR SRC DST PROTO DPORT REQID") of namespace h.
func XfrmState(t testing.TB, h netns.NsHandle) string {
	t.Helper()
	nl, err := netlink.NewHandleAt(h, unix.NETLINK_XFRM)
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	sas, err := nl.XfrmStateList(netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	sps, err := nl.XfrmPolicyList(netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range sas {
		out = append(out, fmt.Sprintf("sa %v %v %v 0x%08x reqid %#x", s.Src, s.Dst, s.Proto, uint32(s.Spi), s.Reqid))
	}
	for _, p := range sps {
		reqid := 0
		if len(p.Tmpls) > 0 {
			reqid = p.Tmpls[0].Reqid
		}
		out = append(out, fmt.Sprintf("sp %v %v %v %v %d reqid %#x", p.Dir, p.Src, p.Dst, p.Proto, p.DstPort, reqid))
	}
	return joinSorted(out)
}

// boundSockets lists the listening TCP and bound UDP sockets of the
// calling thread's namespace.
func boundSockets() (string, error) {
	var out []string
	for _, f := range []string{"tcp", "tcp6", "udp", "udp6"} {
		fh, err := os.Open("/proc/thread-self/net/" + f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return "", err
		}
		sc := bufio.NewScanner(fh)
		sc.Scan() // header
		for sc.Scan() {
			fl := strings.Fields(sc.Text())
			if len(fl) < 4 {
				continue
			}
			// TCP: LISTEN (0A) only; UDP: every bound socket (07).
			if (strings.HasPrefix(f, "tcp") && fl[3] != "0A") || (strings.HasPrefix(f, "udp") && fl[3] != "07") {
				continue
			}
			out = append(out, f+" "+fl[1])
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return "", err
		}
	}
	return joinSorted(out), nil
}

// ChildProcesses lists the live child processes of this process ("pid
// comm"), such as proxies a test's code started.
func ChildProcesses(t testing.TB) string {
	t.Helper()
	var out []string
	for _, c := range ChildrenOf(os.Getpid()) {
		out = append(out, strconv.Itoa(c.PID)+" "+c.Name)
	}
	return joinSorted(out)
}

// Child is a live (not zombie) child process.
type Child struct {
	PID  int
	Name string // comm
}

// ChildrenOf lists the live child processes of pid.
func ChildrenOf(pid int) []Child {
	parent := strconv.Itoa(pid)
	dirs, _ := filepath.Glob("/proc/[0-9]*/status")
	var out []Child
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var name, ppid, state string
		for _, l := range strings.Split(string(b), "\n") {
			k, v, _ := strings.Cut(l, ":")
			switch k {
			case "Name":
				name = strings.TrimSpace(v)
			case "PPid":
				ppid = strings.TrimSpace(v)
			case "State":
				state = strings.TrimSpace(v)
			}
		}
		if ppid != parent || strings.HasPrefix(state, "Z") {
			continue
		}
		if id, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
			out = append(out, Child{PID: id, Name: name})
		}
	}
	return out
}

func joinSorted(l []string) string {
	sort.Strings(l)
	return strings.Join(l, "\n")
}
