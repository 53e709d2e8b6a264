package portmapper

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

func hostPort(ip net.IP, port int) string { return net.JoinHostPort(ip.String(), strconv.Itoa(port)) }

// TestMapRealTraffic publishes a TCP and a UDP server of a container and
// reaches them from an outside namespace, from the host's loopback and from
// the container itself (hairpin), with the proxy on and off, in the test's
// namespace and in a namespace given to the portmapper.
func TestMapRealTraffic(t *testing.T) {
	testutils.RequireRoot(t)
	bin := buildProxy(t)
	for _, tc := range []struct {
		name    string
		proxy   bool
		ownHost bool
	}{
		{"proxy-off", false, false},
		{"proxy-on", true, false},
		{"netns-proxy-off", false, true},
		{"netns-proxy-on", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var host *netns.NsHandle
			nsPath := ""
			if tc.ownHost {
				p, h := testutils.NewNS(t, "host")
				host, nsPath = &h, p
			}
			tp := newTopo(t, host, false)
			tp.serve(t, 80)
			ipt := newIPT(t, host, false)
			instantiate(t, host, false)
			pristine := save(t, host, false)
			testBefore := save(t, nil, false)
			runDir := t.TempDir()
			pm, err := newPM(Options{IPTable4: ipt, UserlandProxy: tc.proxy, ProxyPath: bin,
				NetNSPath: nsPath, RunDir: runDir, Allocator: newAlloc(t)})
			if err != nil {
				t.Fatal(err)
			}
			before := save(t, host, false)
			localnet := "/proc/sys/net/ipv4/conf/" + tp.ctrIface + "/route_localnet"

			tcpHost, err := pm.MapRange(&net.TCPAddr{IP: tp.ctrIP, Port: 80}, nil, 8080, 0, true)
			if err != nil {
				t.Fatal(err)
			}
			udpHost, err := pm.MapRange(&net.UDPAddr{IP: tp.ctrIP, Port: 80}, nil, 8053, 0, true)
			if err != nil {
				t.Fatal(err)
			}
			if tcpHost.String() != "0.0.0.0:8080" || tcpHost.Network() != "tcp" {
				t.Fatalf("host address %s/%s", tcpHost.Network(), tcpHost)
			}
			for _, c := range []struct {
				proto string
				port  int
			}{{"tcp", 8080}, {"udp", 8053}} {
				// From outside: DNAT, the container sees the real client.
				mustAsk(t, &tp.out, c.proto, hostPort(tp.hostOutIP, c.port), tp.outIP)
				// From the host's loopback: proxy, or route_localnet + masquerade.
				mustAsk(t, host, c.proto, hostPort(net.IPv4(127, 0, 0, 1), c.port), tp.hostCtrIP)
				// Hairpin: the container reaches itself through the host.
				mustAsk(t, &tp.ctr, c.proto, hostPort(tp.hostCtrIP, c.port), tp.hostCtrIP)
			}
			if got := readSysctl(t, host, localnet); got != map[bool]string{true: "0", false: "1"}[tc.proxy] {
				t.Fatalf("route_localnet on %s = %s", tp.ctrIface, got)
			}
			pids := proxyPIDs(t, bin)
			if tc.proxy && len(pids) != 2 || !tc.proxy && len(pids) != 0 {
				t.Fatalf("proxies running: %v", pids)
			}
			if tc.ownHost && save(t, nil, false) != testBefore {
				t.Fatal("a portmapper bound to a namespace changed the test's namespace")
			}
			if tc.ownHost && readSysctl(t, nil, "/proc/sys/net/ipv4/conf/all/route_localnet") != "0" {
				t.Fatal("route_localnet changed outside the portmapper's namespace")
			}
			if _, err := os.Stat(runDir + "/portmapper-" + ipt.ChainName(DefaultChainSuffix) + ".json"); (err == nil) != tc.proxy {
				t.Fatalf("proxy record: %v", err)
			}

			for _, h := range []net.Addr{tcpHost, udpHost} {
				if err := pm.Unmap(h); err != nil {
					t.Fatal(err)
				}
			}
			if err := pm.Unmap(tcpHost); !types.IsNotFound(err) {
				t.Fatalf("second Unmap: %v", err)
			}
			if after := save(t, host, false); after != before {
				t.Fatalf("rules left after Unmap:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if pids := proxyPIDs(t, bin); len(pids) != 0 {
				t.Fatalf("proxies still running after Unmap: %v", pids)
			}
			if got := readSysctl(t, host, localnet); got != "0" {
				t.Fatalf("route_localnet not restored: %s", got)
			}
			if _, err := ask(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 8080), "hi"); err == nil {
				t.Fatal("the port is still published after Unmap")
			}
			if err := pm.RemoveChains(); err != nil {
				t.Fatal(err)
			}
			if after := save(t, host, false); after != pristine {
				t.Fatalf("chains left after RemoveChains:\nbefore:\n%s\nafter:\n%s", pristine, after)
			}
			if err := pm.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTakenPortsAndRanges(t *testing.T) {
	testutils.RequireRoot(t)
	bin := buildProxy(t)
	tp := newTopo(t, nil, false)
	tp.serve(t, 80)
	ipt := newIPT(t, nil, false)
	pm, err := newPM(Options{IPTable4: ipt, UserlandProxy: true, ProxyPath: bin, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	ctr := &net.TCPAddr{IP: tp.ctrIP, Port: 80}
	if _, err := pm.MapRange(ctr, nil, 9000, 0, true); err != nil {
		t.Fatal(err)
	}
	mid := save(t, nil, false)
	for _, hostIP := range []net.IP{nil, tp.hostCtrIP} {
		_, err := pm.MapRange(ctr, hostIP, 9000, 0, true)
		if !types.IsConflict(err) || !strings.Contains(err.Error(), ":9000/tcp") {
			t.Fatalf("taken port on %v: got %v, want a conflict naming it", hostIP, err)
		}
	}
	// A range picks the next free port.
	h, err := pm.MapRange(ctr, nil, 9000, 9002, true)
	if err != nil || h.(*net.TCPAddr).Port != 9001 {
		t.Fatalf("range: %v, %v; want port 9001", h, err)
	}
	mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 9001), tp.outIP)
	mustAsk(t, nil, "tcp", "127.0.0.1:9001", tp.hostCtrIP)

	// A port held by a foreign process: explicit is a conflict, a range skips it.
	foreign, err := net.Listen("tcp4", "0.0.0.0:9005")
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	if _, err := pm.MapRange(ctr, nil, 9005, 0, true); !types.IsConflict(err) || !strings.Contains(err.Error(), "9005") {
		t.Fatalf("foreign port: %v", err)
	}
	h, err = pm.MapRange(ctr, nil, 9005, 9007, true)
	if err != nil || h.(*net.TCPAddr).Port != 9006 {
		t.Fatalf("range over a foreign port: %v, %v; want 9006", h, err)
	}
	if p, err := pm.Allocator.RequestPort(nil, "tcp", 9005); err != nil || p != 9005 {
		t.Fatalf("port 9005 not released after the failed bind: %v", err)
	}
	_ = pm.Allocator.ReleasePort(nil, "tcp", 9005)
	if err := pm.Unmap(h); err != nil {
		t.Fatal(err)
	}
	if err := pm.Unmap(&net.TCPAddr{IP: net.IPv4zero, Port: 9001}); err != nil {
		t.Fatal(err)
	}
	if got := save(t, nil, false); got != mid {
		t.Fatalf("failed maps left rules behind:\nwant:\n%s\ngot:\n%s", mid, got)
	}
	// A dynamic port comes from the allocator's range.
	h, err = pm.MapRange(&net.UDPAddr{IP: tp.ctrIP, Port: 80}, nil, 0, 0, true)
	if err != nil || h.(*net.UDPAddr).Port < 45000 || h.(*net.UDPAddr).Port > 45999 {
		t.Fatalf("dynamic: %v, %v", h, err)
	}
	mustAsk(t, &tp.out, "udp", hostPort(tp.hostOutIP, h.(*net.UDPAddr).Port), tp.outIP)
}

func TestSharedContainerPort(t *testing.T) {
	testutils.RequireRoot(t)
	tp := newTopo(t, nil, false)
	tp.serve(t, 80)
	ipt := newIPT(t, nil, false)
	pm, err := newPM(Options{IPTable4: ipt, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	before := save(t, nil, false)
	ctr := &net.TCPAddr{IP: tp.ctrIP, Port: 80}
	a, err := pm.MapRange(ctr, nil, 7001, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pm.MapRange(ctr, tp.hostOutIP, 7002, 0, false); err != nil {
		t.Fatal(err)
	}
	if err := pm.Unmap(a); err != nil {
		t.Fatal(err)
	}
	// The second mapping keeps its forward, hairpin and loopback rules.
	mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 7002), tp.outIP)
	mustAsk(t, &tp.ctr, "tcp", hostPort(tp.hostOutIP, 7002), tp.hostCtrIP)
	if err := pm.UnmapAll(); err != nil {
		t.Fatal(err)
	}
	if got := save(t, nil, false); got != before {
		t.Fatalf("rules left:\n%s", got)
	}
}

func TestIPv6Mapping(t *testing.T) {
	testutils.RequireRoot(t)
	bin := buildProxy(t)
	tp := newTopo(t, nil, true)
	tp.serve(t, 80)
	ipt6 := newIPT(t, nil, true)
	pm, err := newPM(Options{IPTable6: ipt6, UserlandProxy: true, ProxyPath: bin, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	before := save(t, nil, true)
	h, err := pm.MapRange(&net.TCPAddr{IP: tp.ctrIP, Port: 80}, nil, 8080, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if !h.(*net.TCPAddr).IP.Equal(net.IPv6unspecified) {
		t.Fatalf("host address %v, want [::]", h)
	}
	want := "--to-destination [" + tp.ctrIP.String() + "]:80"
	if pm.nft != nil {
		want = fmt.Sprintf(" dnat-any 06000000%04x0000 => %x00500000", 8080, []byte(tp.ctrIP.To16()))
	}
	if s := save(t, nil, true); !strings.Contains(s, want) {
		t.Fatalf("no IPv6 DNAT:\n%s", s)
	}
	mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 8080), tp.outIP)
	mustAsk(t, nil, "tcp", "[::1]:8080", tp.hostCtrIP)
	if err := pm.Unmap(h); err != nil {
		t.Fatal(err)
	}
	if got := save(t, nil, true); got != before {
		t.Fatalf("rules left:\n%s", got)
	}
	// A v4 host IP for an IPv6 container is refused.
	if _, err := pm.MapRange(&net.TCPAddr{IP: tp.ctrIP, Port: 80}, net.IPv4(10, 0, 0, 1), 8081, 0, true); !types.IsBadRequest(err) {
		t.Fatalf("family mismatch: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	testutils.RequireRoot(t)
	ipt := newIPT(t, nil, false)
	pm, err := newPM(Options{IPTable4: ipt, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	before := save(t, nil, false)
	ctr := net.IPv4(10, 99, 0, 2)
	tests := []struct {
		name       string
		addr       net.Addr
		hostIP     net.IP
		start, end int
	}{
		{"unknown protocol", &net.IPAddr{IP: ctr}, nil, 80, 0},
		{"nil address", nil, nil, 80, 0},
		{"host port too big", &net.TCPAddr{IP: ctr, Port: 80}, nil, 70000, 0},
		{"negative host port", &net.TCPAddr{IP: ctr, Port: 80}, nil, -1, 0},
		{"reversed range", &net.TCPAddr{IP: ctr, Port: 80}, nil, 9000, 8000},
		{"range end too big", &net.TCPAddr{IP: ctr, Port: 80}, nil, 9000, 70000},
		{"container port 0", &net.TCPAddr{IP: ctr, Port: 0}, nil, 80, 0},
		{"no container IP", &net.TCPAddr{Port: 80}, nil, 80, 0},
		{"family mismatch", &net.TCPAddr{IP: ctr, Port: 80}, net.ParseIP("fd00::1"), 80, 0},
	}
	for _, tc := range tests {
		if _, err := pm.MapRange(tc.addr, tc.hostIP, tc.start, tc.end, false); !types.IsBadRequest(err) {
			t.Errorf("%s: got %v, want BadRequest", tc.name, err)
		}
	}
	if len(pm.Mappings()) != 0 {
		t.Fatalf("mappings after bad input: %v", pm.Mappings())
	}
	if got := save(t, nil, false); got != before {
		t.Fatalf("bad input changed the rules:\n%s", got)
	}
	if _, err := newPM(Options{UserlandProxy: true}); !types.IsBadRequest(err) {
		t.Errorf("proxy without path: %v", err)
	}
	if _, err := newPM(Options{IPTable4: ipt, ChainName: "OTHER"}); !types.IsBadRequest(err) {
		t.Errorf("unprefixed chain: %v", err)
	}
	if err := pm.Unmap(&net.IPAddr{IP: ctr}); !types.IsBadRequest(err) {
		t.Errorf("unmap of unknown protocol: %v", err)
	}
}

// TestFailedRulesLeaveNothing breaks the portmapper's filter chain (with
// iptables rules; its nf_tables table otherwise) behind its back: Map
// fails, and its proxy, port and NAT rules are gone.
func TestFailedRulesLeaveNothing(t *testing.T) {
	testutils.RequireRoot(t)
	bin := buildProxy(t)
	tp := newTopo(t, nil, false)
	ipt := newIPT(t, nil, false)
	pm, err := newPM(Options{IPTable4: ipt, UserlandProxy: true, ProxyPath: bin, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	chain := ipt.ChainName(DefaultChainSuffix)
	if pm.nft != nil {
		if delTables(t, nil, func(name string) bool { return name == chain }) != 1 {
			t.Fatalf("no table %s", chain)
		}
	} else {
		if err := ipt.Delete("filter", "FORWARD", "-j", chain); err != nil {
			t.Fatal(err)
		}
		if err := runIPT("-t", "filter", "-X", chain); err != nil {
			t.Fatal(err)
		}
	}
	before := save(t, nil, false)
	_, err = pm.MapRange(&net.TCPAddr{IP: tp.ctrIP, Port: 80}, nil, 8088, 0, true)
	if err == nil {
		t.Fatal("Map succeeded without its filter chain")
	}
	if got := save(t, nil, false); got != before {
		t.Fatalf("failed Map left rules:\nbefore:\n%s\nafter:\n%s", before, got)
	}
	if pids := proxyPIDs(t, bin); len(pids) != 0 {
		t.Fatalf("failed Map left its proxy: %v", pids)
	}
	if p, err := pm.Allocator.RequestPort(nil, "tcp", 8088); err != nil || p != 8088 {
		t.Fatalf("failed Map kept its port: %v", err)
	}
	if len(pm.Mappings()) != 0 {
		t.Fatal("failed Map was recorded")
	}
}

// TestLeftoverProxies: a new portmapper on the same run dir ends the proxies
// of the previous one, and CleanupLeftovers signals only recorded proxies.
func TestLeftoverProxies(t *testing.T) {
	testutils.RequireRoot(t)
	bin := buildProxy(t)
	tp := newTopo(t, nil, false)
	runDir := t.TempDir()
	pm1, err := newPM(Options{UserlandProxy: true, ProxyPath: bin, RunDir: runDir, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pm1.MapRange(&net.TCPAddr{IP: tp.ctrIP, Port: 80}, nil, 8099, 0, true); err != nil {
		t.Fatal(err)
	}
	if pids := proxyPIDs(t, bin); len(pids) != 1 {
		t.Fatalf("proxies: %v", pids)
	}
	// A "restarted" portmapper on the same run dir ends the leftover.
	pm2, err := newPM(Options{UserlandProxy: true, ProxyPath: bin, RunDir: runDir, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pm2.Close()
	if pids := proxyPIDs(t, bin); len(pids) != 0 {
		t.Fatalf("leftover proxy not ended: %v", pids)
	}
	// pm1's bookkeeping still works: its proxy was reaped.
	if err := pm1.Close(); err != nil {
		t.Fatal(err)
	}

	// A record whose PID runs something else must not be signalled.
	other := startSleeper(t)
	recs := []proxyRecord{
		{PID: other, Argv: []string{bin, "-proto", "tcp"}},
		{PID: 999999999, Argv: []string{bin}},
	}
	if err := writeState(runDir+"/portmapper-X.json", recs); err != nil {
		t.Fatal(err)
	}
	if err := CleanupLeftovers(runDir); err != nil {
		t.Fatal(err)
	}
	if !isRunning(other) {
		t.Fatal("CleanupLeftovers killed a process that is not a recorded proxy")
	}
	if _, err := os.Stat(runDir + "/portmapper-X.json"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("record not removed: %v", err)
	}
}
