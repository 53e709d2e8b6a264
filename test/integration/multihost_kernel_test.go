package integration

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// mhHostState is what a host namespace holds that a daemon must give back
// when its objects are deleted: links, FDB entries, permanent neighbours,
// routes, rules, firewall rules and the namespaces pinned under its exec
// root. Dynamic ARP entries (the gossip's own) and the kernel's multicast
// and loopback entries are left out.
type mhHostState struct {
	links, fdb, neigh, routes, rules, ipt, pinned string
}

func (h *mhHost) state() mhHostState {
	t := h.c.t
	t.Helper()
	var s mhHostState
	links, err := h.nl.LinkList()
	must(t, err)
	var l []string
	for _, x := range links {
		a := x.Attrs()
		l = append(l, fmt.Sprintf("%s/%s/%s/mtu%d/%v", a.Name, x.Type(), a.HardwareAddr, a.MTU, a.Flags&net.FlagUp))
	}
	s.links = sorted(l)
	fdb, err := h.nl.NeighList(0, unix.AF_BRIDGE)
	must(t, err)
	var f []string
	for _, n := range fdb {
		f = append(f, fmt.Sprintf("%d %s %s", n.LinkIndex, n.HardwareAddr, n.IP))
	}
	s.fdb = sorted(f)
	neigh, err := h.nl.NeighList(0, netlink.FAMILY_ALL)
	must(t, err)
	var nb []string
	for _, n := range neigh {
		// Multicast and unspecified-address (loopback) entries come and go
		// with the kernel's own traffic.
		if n.State&(netlink.NUD_PERMANENT|netlink.NUD_NOARP) != 0 && n.Family != unix.AF_BRIDGE &&
			!n.IP.IsMulticast() && !n.IP.IsUnspecified() {
			nb = append(nb, fmt.Sprintf("%d %s %s", n.LinkIndex, n.IP, n.HardwareAddr))
		}
	}
	s.neigh = sorted(nb)
	routes, err := h.nl.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	must(t, err)
	var r []string
	for _, x := range routes {
		r = append(r, x.String())
	}
	s.routes = sorted(r)
	rules, err := h.nl.RuleList(netlink.FAMILY_ALL)
	must(t, err)
	var ru []string
	for _, x := range rules {
		ru = append(ru, x.String())
	}
	s.rules = sorted(ru)
	for _, tool := range []string{"iptables-save", "ip6tables-save"} {
		var out []byte
		err := ns.WithNetNS(h.ns, func() (err error) { out, err = exec.Command(tool).Output(); return err })
		if err != nil {
			s.ipt += tool + ": unavailable\n"
			continue
		}
		// Tables left with only empty built-in chains (nf_tables keeps a
		// table once used, e.g. by the default gateway network) do not count.
		s.ipt += tool + ":\n" + filterSave(iptCounters.ReplaceAll(out, nil))
	}
	s.pinned = sorted(pinnedUnder(h.execRoot))
	return s
}

func sorted(l []string) string {
	sort.Strings(l)
	return strings.Join(l, "\n")
}

func (s mhHostState) diff(o mhHostState) string {
	var d []string
	for _, f := range []struct{ name, now, was string }{
		{"links", s.links, o.links}, {"fdb", s.fdb, o.fdb}, {"neighbours", s.neigh, o.neigh},
		{"routes", s.routes, o.routes}, {"rules", s.rules, o.rules}, {"firewall", s.ipt, o.ipt},
		{"pinned namespaces", s.pinned, o.pinned},
	} {
		if f.now != f.was {
			d = append(d, fmt.Sprintf("%s now:\n%s\nwere:\n%s", f.name, f.now, f.was))
		}
	}
	return strings.Join(d, "\n")
}

// overlayNSPath is where the overlay driver of h pins the namespace of
// network nid: <controller exec root>/overlay/<network ID> (a plain ID is
// its own file name).
func (h *mhHost) overlayNSPath(nid string) string {
	return filepath.Join(h.execRoot, "overlay", nid)
}

// mhTables are the remote-endpoint entries of a host's overlay namespace
// for one network: FDB entries of the VXLAN devices (MAC → VTEP) and
// neighbour entries (IP → MAC). built is false while the host has no
// overlay namespace for the network (no endpoint joined there).
type mhTables struct {
	built bool
	fdb   map[string]string // MAC → remote VTEP address
	neigh map[string]string // IP → MAC
}

// overlayTables reads the overlay namespace of network nid on h.
func (h *mhHost) overlayTables(nid string) (mhTables, error) {
	tb := mhTables{fdb: map[string]string{}, neigh: map[string]string{}}
	path := h.overlayNSPath(nid)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return tb, nil
	}
	hd, err := netns.GetFromPath(path)
	if err != nil {
		return tb, err
	}
	defer hd.Close()
	nl, err := netlink.NewHandleAt(hd)
	if err != nil {
		return tb, err
	}
	defer nl.Close()
	tb.built = true
	links, err := nl.LinkList()
	if err != nil {
		return tb, err
	}
	for _, l := range links {
		if l.Type() != "vxlan" {
			continue
		}
		fdb, err := nl.NeighList(l.Attrs().Index, unix.AF_BRIDGE)
		if err != nil {
			return tb, err
		}
		// Entries of the device itself carry the VTEP; the bridge's own
		// entries learnt on the VXLAN port (NTF_MASTER) have none.
		for _, n := range fdb {
			mac := n.HardwareAddr.String()
			if mac == "00:00:00:00:00:00" || mac == "" || mac == l.Attrs().HardwareAddr.String() {
				continue
			}
			if n.IP != nil {
				tb.fdb[mac] = n.IP.String()
			} else if _, ok := tb.fdb[mac]; !ok {
				tb.fdb[mac] = "learnt"
			}
		}
	}
	neigh, err := nl.NeighList(0, netlink.FAMILY_V4)
	if err != nil {
		return tb, err
	}
	for _, n := range neigh {
		if n.HardwareAddr != nil && n.State&(netlink.NUD_FAILED|netlink.NUD_INCOMPLETE) == 0 {
			tb.neigh[n.IP.String()] = n.HardwareAddr.String()
		}
	}
	return tb, nil
}

// holds reports whether the tables have an entry for container c.
func (tb mhTables) holds(c *mhCtr) (string, bool) {
	if v, ok := tb.fdb[c.mac.String()]; ok {
		return "fdb " + c.mac.String() + " → " + v, true
	}
	if v, ok := tb.neigh[c.ip.String()]; ok {
		return "neighbour " + c.ip.String() + " → " + v, true
	}
	return "", false
}

// pointsTo reports whether the tables send container c's MAC to vtep and
// resolve its IP to that MAC.
func (tb mhTables) pointsTo(c *mhCtr, vtep net.IP) error {
	if got := tb.fdb[c.mac.String()]; got != vtep.String() {
		return fmt.Errorf("fdb %s → %q, want %s", c.mac, got, vtep)
	}
	if got := tb.neigh[c.ip.String()]; got != c.mac.String() {
		return fmt.Errorf("neighbour %s → %q, want %s", c.ip, got, c.mac)
	}
	return nil
}
