package portmapper

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/portallocator"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// bindIn binds network addr inside h (nil: the test's namespace), with
// SO_REUSEADDR set explicitly when reuse, closes it, and returns the error.
// TCP listens (Go sets SO_REUSEADDR on TCP listeners anyway); UDP binds
// (Go sets no SO_REUSEADDR on it unless asked).
func bindIn(t testing.TB, h *netns.NsHandle, network, addr string, reuse bool) error {
	t.Helper()
	var lc net.ListenConfig
	if reuse {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			}); err != nil {
				return err
			}
			return serr
		}
	}
	var err error
	do := func() error {
		if strings.HasPrefix(network, "tcp") {
			var ln net.Listener
			if ln, err = lc.Listen(t.Context(), network, addr); err == nil {
				ln.Close()
			}
			return nil
		}
		var pc net.PacketConn
		if pc, err = lc.ListenPacket(t.Context(), network, addr); err == nil {
			pc.Close()
		}
		return nil
	}
	if h != nil {
		testutils.InNS(t, *h, do)
	} else {
		_ = do()
	}
	return err
}

// occupy binds network addr inside h until the test ends or the returned
// function is called.
func occupy(t testing.TB, h netns.NsHandle, network, addr string) func() {
	t.Helper()
	var closer interface{ Close() error }
	testutils.InNS(t, h, func() error {
		if strings.HasPrefix(network, "tcp") {
			ln, err := net.Listen(network, addr)
			closer = ln
			return err
		}
		pc, err := net.ListenPacket(network, addr)
		closer = pc
		return err
	})
	t.Cleanup(func() { closer.Close() })
	return func() { closer.Close() }
}

// wantInUse checks that err is the Conflict of a port in use naming port.
func wantInUse(t testing.TB, err error, port int) {
	t.Helper()
	if !types.IsConflict(err) || !errors.Is(err, syscall.EADDRINUSE) ||
		!strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), ":"+strconv.Itoa(port)) {
		t.Fatalf("got %v, want a Conflict wrapping EADDRINUSE naming port %d", err, port)
	}
}

// hostNet is the Go network of proto for the family of v6.
func hostNet(proto string, v6 bool) string {
	if v6 {
		return proto + "6"
	}
	return proto + "4"
}

// TestHeldPort: without proxy, a mapping holds its host port with a socket
// of the portmapper's namespace (here one given by NetNSPath, not the
// test's): a port a host process has cannot be mapped and nothing is left,
// a mapped port cannot be bound by a host process (even with SO_REUSEADDR),
// traffic still reaches the container, and Unmap frees the port.
func TestHeldPort(t *testing.T) {
	testutils.RequireRoot(t)
	for i, tc := range []struct {
		name   string
		proto  string
		v6     bool
		atAddr bool // map on the host's outside address, not the wildcard
	}{
		{"tcp4", "tcp", false, false},
		{"udp4", "udp", false, false},
		{"tcp4-addr", "tcp", false, true},
		{"udp4-addr", "udp", false, true},
		{"tcp6", "tcp", true, false},
		{"udp6", "udp", true, false},
		{"tcp6-addr", "tcp", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nsPath, h := testutils.NewNS(t, "host")
			host := &h
			tp := newTopo(t, host, tc.v6)
			tp.serve(t, 80)
			ipt := newIPT(t, host, tc.v6)
			o := Options{NetNSPath: nsPath, Allocator: newAlloc(t)}
			if tc.v6 {
				o.IPTable6 = ipt
			} else {
				o.IPTable4 = ipt
			}
			pm, err := newPM(o)
			if err != nil {
				t.Fatal(err)
			}
			defer pm.Close()
			port := 7700 + i
			var hostIP net.IP
			wild := "0.0.0.0"
			if tc.v6 {
				wild = "::"
			}
			addr := net.JoinHostPort(wild, strconv.Itoa(port))
			if tc.atAddr {
				hostIP = tp.hostOutIP
				addr = hostPort(hostIP, port)
			}
			network := hostNet(tc.proto, tc.v6)
			ctr := makeAddr(tc.proto, tp.ctrIP, 80)
			before := save(t, host, tc.v6)

			// Taken by a host process: on the same address, and on the
			// wildcard when the mapping is on an address.
			taken := []string{addr}
			if tc.atAddr {
				taken = append(taken, net.JoinHostPort(wild, strconv.Itoa(port)))
			}
			for _, a := range taken {
				free := occupy(t, h, network, a)
				_, err := pm.MapRange(ctr, hostIP, port, 0, false)
				wantInUse(t, err, port)
				if got := save(t, host, tc.v6); got != before {
					t.Fatalf("failed map left rules:\n%s", got)
				}
				if !portFree(t, pm, makeAddr(tc.proto, hostIP, port)) || len(pm.Mappings()) != 0 {
					t.Fatal("failed map kept the port")
				}
				free()
			}

			hm, err := pm.MapRange(ctr, hostIP, port, 0, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, reuse := range []bool{false, true} {
				if err := bindIn(t, host, network, addr, reuse); !errors.Is(err, syscall.EADDRINUSE) {
					t.Fatalf("host bind of the mapped %s (reuse=%v): got %v, want EADDRINUSE", addr, reuse, err)
				}
			}
			if tc.atAddr {
				if err := bindIn(t, host, network, net.JoinHostPort(wild, strconv.Itoa(port)), false); !errors.Is(err, syscall.EADDRINUSE) {
					t.Fatalf("host bind of the wildcard: got %v, want EADDRINUSE", err)
				}
			} else if err := bindIn(t, nil, network, addr, false); err != nil {
				t.Fatalf("the socket is not in the portmapper's namespace only: %v", err)
			}
			if tc.v6 {
				// IPV6_V6ONLY: the IPv4 port stays free.
				if err := bindIn(t, host, hostNet(tc.proto, false), "0.0.0.0:"+strconv.Itoa(port), false); err != nil {
					t.Fatalf("an IPv6 mapping took the IPv4 port: %v", err)
				}
			}
			// The held socket steals nothing: from outside, and from the
			// host itself (its own address; the loopback for IPv4).
			mustAsk(t, &tp.out, tc.proto, hostPort(tp.hostOutIP, port), tp.outIP)
			mustAsk(t, host, tc.proto, hostPort(tp.hostOutIP, port), tp.hostOutIP)
			if !tc.v6 && !tc.atAddr {
				mustAsk(t, host, tc.proto, hostPort(net.IPv4(127, 0, 0, 1), port), tp.hostCtrIP)
			}

			if err := pm.Unmap(hm); err != nil {
				t.Fatal(err)
			}
			if err := bindIn(t, host, network, addr, false); err != nil {
				t.Fatalf("port still held after Unmap: %v", err)
			}
		})
	}
}

// TestHeldPortRanges: a range and a dynamic port skip the ports host
// processes have, and give back the ones they tried.
func TestHeldPortRanges(t *testing.T) {
	testutils.RequireRoot(t)
	nsPath, h := testutils.NewNS(t, "host")
	tp := newTopo(t, &h, false)
	tp.serve(t, 80)
	alloc, err := portallocator.NewWithRange(46100, 46103)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := newPM(Options{IPTable4: newIPT(t, &h, false), NetNSPath: nsPath, Allocator: alloc})
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	for _, p := range []int{7800, 7801, 46100, 46101} {
		occupy(t, h, "tcp4", "0.0.0.0:"+strconv.Itoa(p))
	}
	ctr := &net.TCPAddr{IP: tp.ctrIP, Port: 80}
	for _, c := range []struct {
		name       string
		start, end int
		want       int
		skipped    []int
	}{
		{"range", 7800, 7803, 7802, []int{7800, 7801}},
		{"dynamic", 0, 0, 46102, []int{46100, 46101}},
	} {
		t.Run(c.name, func(t *testing.T) {
			hm, err := pm.MapRange(ctr, nil, c.start, c.end, false)
			if err != nil || hm.(*net.TCPAddr).Port != c.want {
				t.Fatalf("got %v, %v; want port %d", hm, err, c.want)
			}
			mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, c.want), tp.outIP)
			for _, p := range c.skipped {
				if !portFree(t, pm, &net.TCPAddr{Port: p}) {
					t.Fatalf("skipped port %d kept in the allocator", p)
				}
			}
		})
	}
	// Every port of a range taken: the last one's Conflict, nothing kept.
	occupy(t, h, "tcp4", "0.0.0.0:7810")
	occupy(t, h, "tcp4", "0.0.0.0:7811")
	_, err = pm.MapRange(ctr, nil, 7810, 7811, false)
	wantInUse(t, err, 7811)
	if !portFree(t, pm, &net.TCPAddr{Port: 7810}) || !portFree(t, pm, &net.TCPAddr{Port: 7811}) {
		t.Fatal("failed range kept ports")
	}
}

// TestHeldPortReleased: UnmapMany, UnmapAll, Release and Close close the
// held sockets.
func TestHeldPortReleased(t *testing.T) {
	testutils.RequireRoot(t)
	for _, c := range []struct {
		name string
		end  func(*PortMapper, []net.Addr) error
	}{
		{"UnmapMany", func(pm *PortMapper, hs []net.Addr) error { return pm.UnmapMany(hs) }},
		{"UnmapAll", func(pm *PortMapper, _ []net.Addr) error { return pm.UnmapAll() }},
		{"Release", func(pm *PortMapper, _ []net.Addr) error { return pm.Release() }},
		{"Close", func(pm *PortMapper, _ []net.Addr) error { return pm.Close() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			nsPath, h := testutils.NewNS(t, "host")
			tp := newTopo(t, &h, false)
			pm, err := newPM(Options{IPTable4: newIPT(t, &h, false), NetNSPath: nsPath, Allocator: newAlloc(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer pm.Close()
			hs := []net.Addr{
				mustMap(t, pm, &net.TCPAddr{IP: tp.ctrIP, Port: 80}, nil, 7901, false),
				mustMap(t, pm, &net.UDPAddr{IP: tp.ctrIP, Port: 80}, nil, 7901, false),
			}
			if err := bindIn(t, &h, "tcp4", "0.0.0.0:7901", false); !errors.Is(err, syscall.EADDRINUSE) {
				t.Fatalf("tcp port not held: %v", err)
			}
			if err := bindIn(t, &h, "udp4", "0.0.0.0:7901", false); !errors.Is(err, syscall.EADDRINUSE) {
				t.Fatalf("udp port not held: %v", err)
			}
			if err := c.end(pm, hs); err != nil {
				t.Fatal(err)
			}
			for _, n := range []string{"tcp4", "udp4"} {
				if err := bindIn(t, &h, n, "0.0.0.0:7901", false); err != nil {
					t.Fatalf("%s port held after %s: %v", n, c.name, err)
				}
			}
		})
	}
}

// TestHeldPortWithProxy: with the proxy, the proxy holds the port and the
// portmapper keeps no socket of its own.
func TestHeldPortWithProxy(t *testing.T) {
	testutils.RequireRoot(t)
	bin := buildProxy(t)
	nsPath, h := testutils.NewNS(t, "host")
	tp := newTopo(t, &h, false)
	tp.serve(t, 80)
	pm, err := newPM(Options{IPTable4: newIPT(t, &h, false), NetNSPath: nsPath, UserlandProxy: true, ProxyPath: bin, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	hm := mustMap(t, pm, &net.TCPAddr{IP: tp.ctrIP, Port: 80}, nil, 7951, true)
	pm.mu.Lock()
	m := pm.mappings["tcp/0.0.0.0:7951"]
	pm.mu.Unlock()
	if m == nil || m.proxy == nil || m.hold != nil {
		t.Fatalf("mapping %+v: want a proxy and no held socket", m)
	}
	if err := bindIn(t, &h, "tcp4", "0.0.0.0:7951", false); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("proxy does not hold the port: %v", err)
	}
	mustAsk(t, &h, "tcp", "127.0.0.1:7951", tp.hostCtrIP)
	if err := pm.Unmap(hm); err != nil {
		t.Fatal(err)
	}
}

// TestHeldPortSCTP: an SCTP mapping holds an SCTP socket when the kernel
// has SCTP, and goes on without one when it has not.
func TestHeldPortSCTP(t *testing.T) {
	testutils.RequireRoot(t)
	nsPath, h := testutils.NewNS(t, "host")
	tp := newTopo(t, &h, false)
	pm, err := newPM(Options{IPTable4: newIPT(t, &h, false), NetNSPath: nsPath, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	var sctpErr error
	testutils.InNS(t, h, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_SCTP)
		if err == nil {
			unix.Close(fd)
		}
		sctpErr = err
		return nil
	})
	hm, err := pm.MapRange(&SCTPAddr{IP: tp.ctrIP, Port: 9}, nil, 7961, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	pm.mu.Lock()
	m := pm.mappings["sctp/0.0.0.0:7961"]
	pm.mu.Unlock()
	switch {
	case sctpErr != nil && m.hold != nil:
		t.Fatalf("an SCTP socket held though the kernel refuses SCTP (%v)", sctpErr)
	case sctpErr == nil && m.hold == nil:
		t.Fatal("no SCTP socket held though the kernel has SCTP")
	case sctpErr != nil:
		t.Logf("no SCTP in the kernel (%v): the mapping holds no socket", sctpErr)
	}
	if err := pm.Unmap(hm); err != nil {
		t.Fatal(err)
	}
}

// TestHeldPortSocket: the held socket is close-on-exec and lives in the
// portmapper's namespace.
func TestHeldPortSocket(t *testing.T) {
	testutils.RequireRoot(t)
	nsPath, h := testutils.NewNS(t, "host")
	tp := newTopo(t, &h, false)
	pm, err := newPM(Options{IPTable4: newIPT(t, &h, false), NetNSPath: nsPath, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	mustMap(t, pm, &net.TCPAddr{IP: tp.ctrIP, Port: 80}, nil, 7971, false)
	pm.mu.Lock()
	fd := pm.mappings["tcp/0.0.0.0:7971"].hold.fd
	pm.mu.Unlock()
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil || flags&unix.FD_CLOEXEC == 0 {
		t.Fatalf("held socket flags %#x, %v: want FD_CLOEXEC", flags, err)
	}
	// Made in the portmapper's namespace, not the test's.
	nsfd, err := unix.IoctlRetInt(fd, unix.SIOCGSKNS)
	if err != nil {
		t.Fatal(err)
	}
	sockNS := netns.NsHandle(nsfd)
	defer sockNS.Close()
	if !sockNS.Equal(h) {
		t.Fatalf("held socket in namespace %s, want the portmapper's %s", sockNS.UniqueId(), h.UniqueId())
	}
}

// BenchmarkHoldPort measures taking and closing the socket of a TCP host
// port, in the caller's namespace and in one given by NetNSPath (the
// bridge driver's case: a thread enters it for the socket call).
func BenchmarkHoldPort(b *testing.B) {
	testutils.RequireRoot(b)
	for _, inNS := range []bool{false, true} {
		b.Run(map[bool]string{false: "caller-ns", true: "netns-path"}[inNS], func(b *testing.B) {
			var o Options
			if inNS {
				o.NetNSPath, _ = testutils.NewNS(b, "host")
			}
			pm, err := newPM(o)
			if err != nil {
				b.Fatal(err)
			}
			defer pm.Close()
			m := &mapping{proto: "tcp", hostIP: net.IPv4zero, hostPort: 7990}
			m.host = makeAddr(m.proto, m.hostIP, m.hostPort)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h, err := pm.holdPort(m)
				if err != nil {
					b.Fatal(err)
				}
				h.close()
			}
		})
	}
}
