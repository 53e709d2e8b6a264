package integration

import (
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/options"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// macvlanEnv is a bridgeEnv (a controller in a host namespace of the
// test's own) whose host namespace has parent link "par0": a veth whose
// peer "rtr0" is in an "external router" namespace holding the gateways
// 10.150.0.1/24, 10.151.0.1/24 and fd00:150::1/64, forwarding between them.
type macvlanEnv struct {
	*bridgeEnv
	rtr netns.NsHandle
}

var (
	mvRouter  = net.ParseIP("10.150.0.1").To4()
	mvRouter2 = net.ParseIP("10.151.0.1").To4()
	mvRouter6 = net.ParseIP("fd00:150::1")
)

func newMacvlanEnv(t testing.TB) *macvlanEnv {
	t.Helper()
	e := &macvlanEnv{bridgeEnv: newBridgeEnv(t, options.Generic{})}
	path := filepath.Join(t.TempDir(), "router")
	must(t, ns.NewPinned(path, true))
	h, err := netns.GetFromPath(path)
	must(t, err)
	rnl, err := netlink.NewHandleAt(h)
	must(t, err)
	t.Cleanup(func() {
		rnl.Close()
		h.Close()
		_ = ns.RemovePinned(path)
	})
	e.rtr = h
	la := netlink.NewLinkAttrs()
	la.Name = "par0"
	must(t, e.hnl.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "rtr0", PeerNamespace: netlink.NsFd(int(h))}))
	t.Cleanup(func() {
		if l, err := e.hnl.LinkByName("par0"); err == nil {
			_ = e.hnl.LinkDel(l)
		}
	})
	pl, err := e.hnl.LinkByName("par0")
	must(t, err)
	must(t, e.hnl.LinkSetUp(pl))
	rl, err := rnl.LinkByName("rtr0")
	must(t, err)
	for _, a := range []string{"10.150.0.1/24", "10.151.0.1/24", "fd00:150::1/64"} {
		must(t, rnl.AddrAdd(rl, &netlink.Addr{IPNet: mustCIDR(t, a), Flags: unix.IFA_F_NODAD}))
	}
	must(t, rnl.LinkSetUp(rl))
	testutils.InNS(t, h, func() error { return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0) })
	return e
}

// macvlan creates a network of driver (macvlan or ipvlan) with driver
// options opts on pool (gateway gw) and, when pool6 is set, on pool6
// (gateway gw6) with IPv6.
func (e *macvlanEnv) macvlan(driver, name string, opts map[string]string, pool, gw, pool6, gw6 string) (libnetwork.Network, error) {
	e.t.Helper()
	v4 := []*libnetwork.IpamConf{{PreferredPool: pool, Gateway: gw}}
	var v6 []*libnetwork.IpamConf
	nopts := []libnetwork.NetworkOption{libnetwork.NetworkOptionDriverOpts(opts)}
	if pool6 != "" {
		v6 = []*libnetwork.IpamConf{{PreferredPool: pool6, Gateway: gw6}}
		nopts = append(nopts, libnetwork.NetworkOptionEnableIPv6(true))
	}
	nopts = append(nopts, libnetwork.NetworkOptionIpam("default", "", v4, v6, nil))
	return e.c.NewNetwork(driver, name, "", nopts...)
}

// hostState is the host namespace's links (with their kind and alias) and
// addresses (link-local ones aside), for "nothing of ours left" checks.
func (e *macvlanEnv) hostState() string {
	e.t.Helper()
	ls, err := e.hnl.LinkList()
	must(e.t, err)
	var out []string
	for _, l := range ls {
		out = append(out, l.Attrs().Name+"/"+l.Type()+"/"+l.Attrs().Alias)
	}
	as, err := e.hnl.AddrList(nil, netlink.FAMILY_ALL)
	must(e.t, err)
	for _, a := range as {
		if !a.IP.IsLinkLocalUnicast() {
			out = append(out, "addr "+a.IPNet.String())
		}
	}
	rs, err := e.hnl.RouteList(nil, netlink.FAMILY_ALL)
	must(e.t, err)
	for _, r := range rs {
		if r.Dst != nil && !r.Dst.IP.IsLinkLocalUnicast() {
			out = append(out, "route "+r.Dst.String())
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ") + "\n" + e.snapshot().netns
}

// watchLinks records the links created or changed in the host namespace
// until the returned stop is called; stop fences with a change of its own
// to par0, so that every earlier event is in.
func (e *macvlanEnv) watchLinks() (stop func() []string) {
	t := e.t
	t.Helper()
	ch := make(chan netlink.LinkUpdate, 256)
	done := make(chan struct{})
	must(t, netlink.LinkSubscribeAt(e.host, ch, done))
	var mu sync.Mutex
	var got []string
	go func() {
		for u := range ch {
			if u.Header.Type == unix.RTM_NEWLINK {
				mu.Lock()
				got = append(got, u.Link.Attrs().Name+"/"+u.Link.Type()+"/"+u.Link.Attrs().Alias)
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		l, err := e.hnl.LinkByName("par0")
		must(t, err)
		must(t, e.hnl.LinkSetAlias(l, "fence"))
		testutils.Eventually(t, "fence event", 5*time.Second, func() error {
			mu.Lock()
			defer mu.Unlock()
			for _, s := range got {
				if s == "par0/veth/fence" {
					return nil
				}
			}
			return errStill
		})
		close(done)
		must(t, e.hnl.LinkSetAlias(l, ""))
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
}
