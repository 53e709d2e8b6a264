package osl

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// pair makes two sandboxes joined by a veth whose ends are born inside them,
// adopted as eth0 with 10.2.0.1/24, fd00:2::1/64 and 10.2.0.2/24, fd00:2::2/64.
func pair(t *testing.T, root string) (Sandbox, Sandbox) {
	t.Helper()
	a, b := newSandbox(t, root, "peer-a"), newSandbox(t, root, "peer-b")
	// The ends get different ifindexes: the kernel treats a carrier change
	// on a veth whose ifindex equals its peer's as not urgent and may delay
	// making the link operational by up to a second.
	la := netlink.NewLinkAttrs()
	la.Name, la.Index, la.Namespace = "pa-tmp", 100, netlink.NsFd(int(nsOf(t, a.Key())))
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: "pb-tmp", PeerNamespace: netlink.NsFd(int(nsOf(t, b.Key())))}); err != nil {
		t.Fatal(err)
	}
	if err := a.AddInterface("pa-tmp", "eth", WithAddress(cidr(t, "10.2.0.1/24")), WithIPv6Address(cidr(t, "fd00:2::1/64"))); err != nil {
		t.Fatal(err)
	}
	if err := b.AddInterface("pb-tmp", "eth", WithAddress(cidr(t, "10.2.0.2/24")), WithIPv6Address(cidr(t, "fd00:2::2/64"))); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// v6Ready waits until IPv6 on sb's eth0 is operational. The kernel marks a
// link ready (and installs its ff00::/8 route, without which incoming
// neighbour solicitations are dropped) asynchronously after both veth ends
// are up; a first IPv6 exchange before then waits for an ND retransmit (1 s).
func v6Ready(t *testing.T, sb Sandbox) {
	t.Helper()
	h := nlIn(t, sb.Key())
	idx := sb.Interfaces()[0].(*nwIface).index
	eventually(t, "IPv6 multicast route on eth0", func() bool {
		rs, err := h.RouteListFiltered(netlink.FAMILY_V6, &netlink.Route{Table: unix.RT_TABLE_LOCAL, LinkIndex: idx},
			netlink.RT_FILTER_TABLE|netlink.RT_FILTER_OIF)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Type == unix.RTN_MULTICAST {
				return true
			}
		}
		return false
	})
}

// echo starts a TCP echo server inside srv on addr and dials it from cli.
func echo(t *testing.T, srv, cli Sandbox, addr string) {
	t.Helper()
	var ln net.Listener
	if err := srv.InvokeFuncErr(func() (err error) { ln, err = net.Listen("tcp", addr); return err }); err != nil {
		t.Fatalf("listen on %s inside server sandbox: %v", addr, err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.CopyN(c, c, 5)
	}()
	err := cli.InvokeFuncErr(func() error {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("hello")); err != nil {
			return err
		}
		got := make([]byte, 5)
		if _, err := io.ReadFull(c, got); err != nil {
			return err
		}
		if !bytes.Equal(got, []byte("hello")) {
			return fmt.Errorf("echo returned %q", got)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("TCP echo to %s: %v", addr, err)
	}
}

func TestTrafficAndStatistics(t *testing.T) {
	root := setup(t)
	a, b := pair(t, root)
	i0 := a.Interfaces()[0]
	before, err := i0.Statistics()
	if err != nil {
		t.Fatal(err)
	}
	echo(t, a, b, "10.2.0.1:0")
	v6Ready(t, a)
	v6Ready(t, b)
	echo(t, b, a, "[fd00:2::2]:0")
	after, err := i0.Statistics()
	if err != nil {
		t.Fatal(err)
	}
	if after.RxPackets <= before.RxPackets || after.TxPackets <= before.TxPackets || after.RxBytes <= before.RxBytes {
		t.Fatalf("counters did not grow: before %v after %v", before, after)
	}
	all, err := b.Statistics()
	if err != nil {
		t.Fatal(err)
	}
	if s := all["eth0"]; s == nil || s.TxPackets == 0 || len(all) != 1 {
		t.Fatalf("sandbox statistics %v", all)
	}
}

func TestNeighbors(t *testing.T) {
	root := setup(t)
	a, _ := pair(t, root)
	h := nlIn(t, a.Key())
	idx := a.Interfaces()[0].(*nwIface).index
	m1, m2 := mac(t, "02:00:00:00:00:99"), mac(t, "02:00:00:00:00:98")
	find := func(dst net.IP) *netlink.Neigh {
		list, err := h.NeighList(idx, netlink.FAMILY_ALL)
		if err != nil {
			t.Fatal(err)
		}
		for k := range list {
			if list[k].IP.Equal(dst) {
				return &list[k]
			}
		}
		return nil
	}
	for _, dst := range []net.IP{ip("10.2.0.99"), ip("fd00:2::99")} {
		// By source name (the name the driver knows) and by name in the sandbox.
		if err := a.AddNeighborForce(dst, m1, false, WithNeighLinkName("pa-tmp")); err != nil {
			t.Fatal(err)
		}
		nh := find(dst)
		if nh == nil || !bytes.Equal(nh.HardwareAddr, m1) || nh.State&netlink.NUD_PERMANENT == 0 {
			t.Fatalf("neighbour %s not permanent with %s: %+v", dst, m1, nh)
		}
		mustClass(t, a.AddNeighborForce(dst, m1, false, WithNeighLinkName("eth0")), "conflict", types.IsConflict)
		if err := a.AddNeighborForce(dst, m1, true, WithNeighLinkName("eth0")); err != nil {
			t.Fatalf("forced re-add: %v", err)
		}
		if err := a.DeleteNeighborOS(dst, m1, true); err != nil {
			t.Fatal(err)
		}
		if nh := find(dst); nh != nil && nh.State&netlink.NUD_PERMANENT != 0 {
			t.Fatalf("neighbour %s still in the kernel", dst)
		}
		mustClass(t, a.DeleteNeighborOS(dst, m1, true), "not found", types.IsNotFound)
	}
	// osDelete false forgets the entry but leaves the kernel's.
	if err := a.AddNeighborForce(ip("10.2.0.98"), m2, false, WithNeighLinkName("eth0"), WithNeighFamily(unix.AF_INET)); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteNeighborOS(ip("10.2.0.98"), m2, false); err != nil {
		t.Fatal(err)
	}
	if find(ip("10.2.0.98")) == nil {
		t.Fatal("osDelete=false removed the kernel entry")
	}
	mustClass(t, a.AddNeighborForce(ip("10.2.0.97"), m1, false), "bad request", types.IsBadRequest)
	mustClass(t, a.AddNeighborForce(nil, m1, false, WithNeighLinkName("eth0")), "bad request", types.IsBadRequest)
	mustClass(t, a.AddNeighborForce(ip("10.2.0.97"), net.HardwareAddr{1, 2}, false, WithNeighLinkName("eth0")), "bad request", types.IsBadRequest)
	mustClass(t, a.AddNeighborForce(ip("10.2.0.97"), m1, false, WithNeighLinkName("nosuch")), "not found", types.IsNotFound)
}

func TestSysctl(t *testing.T) {
	root := setup(t)
	a, _ := pair(t, root)
	readCaller := func(name string) string {
		out, err := readProc("/proc/sys/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	callerFwd := readCaller("net/ipv4/ip_forward")
	want := "1"
	if callerFwd == "1" {
		want = "0"
	}
	for _, name := range []string{"net.ipv4.ip_forward", "net/ipv4/conf/eth0/forwarding"} {
		if err := a.SetSysctl(name, want); err != nil {
			t.Fatal(err)
		}
		got, err := a.GetSysctl(name)
		if err != nil || got != want {
			t.Fatalf("GetSysctl(%s) = %q, %v; want %q", name, got, err, want)
		}
	}
	var inside string
	if err := a.InvokeFuncErr(func() (err error) { inside, err = readProc("/proc/sys/net/ipv4/ip_forward"); return err }); err != nil || inside != want {
		t.Fatalf("ip_forward read inside = %q, %v", inside, err)
	}
	if readCaller("net/ipv4/ip_forward") != callerFwd {
		t.Fatal("SetSysctl changed the caller's namespace")
	}
	for _, bad := range []string{"", "kernel.hostname", "net", "net..ipv4.ip_forward", "net/../kernel/hostname", "net.ipv4.ip_forward.", "/net/ipv4/ip_forward"} {
		mustClass(t, a.SetSysctl(bad, "1"), "bad request", types.IsBadRequest)
		_, err := a.GetSysctl(bad)
		mustClass(t, err, "bad request", types.IsBadRequest)
	}
	mustClass(t, a.SetSysctl("net.ipv4.no_such_knob", "1"), "not found", types.IsNotFound)
	mustClass(t, a.SetSysctl("net.ipv4.ip_forward", "abc"), "bad request", types.IsBadRequest)
}
