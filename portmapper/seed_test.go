package portmapper

import (
	"errors"
	"net"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/portallocator"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

// runHere runs an iptables command line in the calling thread's namespace.
func runHere(t *testing.T, argv ...string) {
	t.Helper()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", argv, err, out)
	}
}

// seedChain sets up, in the test's own namespace, the chains a seed-era
// bridge driver makes: a nat and a filter chain jumped to for the
// container's interface, a FORWARD policy of DROP, and the accept of the
// container's own traffic.
func seedChain(t *testing.T, tp *topo) *iptables.ChainInfo {
	t.Helper()
	nat, err := iptables.NewChain("SEEDPM", iptables.Nat, false)
	if err != nil {
		t.Fatal(err)
	}
	filter, err := iptables.NewChain("SEEDPM", iptables.Filter, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*iptables.ChainInfo{nat, filter} {
		if err := iptables.ProgramChain(c, tp.ctrIface, false, true); err != nil {
			t.Fatal(err)
		}
	}
	runHere(t, "iptables", "-w", "-P", "FORWARD", "DROP")
	runHere(t, "iptables", "-w", "-A", "FORWARD", "-i", tp.ctrIface, "-j", "ACCEPT")
	return nat
}

func refused(t *testing.T, tp *topo, proto string, port int) {
	t.Helper()
	if _, err := ask(t, &tp.out, proto, hostPort(tp.hostOutIP, port), "hi"); err == nil {
		t.Fatalf("%s port %d still published", proto, port)
	}
}

func TestSeedMapThroughChain(t *testing.T) {
	testutils.SetupTestOSContext(t)
	tp := newTopo(t, nil, false)
	tp.serve(t, 80)
	chain := seedChain(t, tp)
	pm := NewWithPortAllocator(newAlloc(t))
	pm.SetIptablesChain(chain, tp.ctrIface)

	tcpHost, err := pm.Map(&net.TCPAddr{IP: tp.ctrIP, Port: 80}, nil, 8080, false)
	if err != nil {
		t.Fatal(err)
	}
	udpHost, err := pm.Map(&net.UDPAddr{IP: tp.ctrIP, Port: 80}, nil, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	udpPort := udpHost.(*net.UDPAddr).Port
	if tcpHost.String() != "0.0.0.0:8080" || udpPort < 45000 || udpPort > 45999 {
		t.Fatalf("host addresses %v %v", tcpHost, udpHost)
	}
	mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 8080), tp.outIP)
	mustAsk(t, &tp.out, "udp", hostPort(tp.hostOutIP, udpPort), tp.outIP)
	s := save(t, nil, false)
	dnat := "-A SEEDPM ! -i " + tp.ctrIface + " -p tcp -m tcp --dport 8080 -j DNAT --to-destination " + hostPort(tp.ctrIP, 80)
	accept := "-A SEEDPM -d " + tp.ctrIP.String() + "/32 ! -i " + tp.ctrIface + " -o " + tp.ctrIface + " -p tcp -m tcp --dport 80 -j ACCEPT"
	for _, l := range []string{dnat, accept} {
		if countLines(s, l) != 1 {
			t.Fatalf("want one %q in:\n%s", l, s)
		}
	}

	// A second mapping of the same container port shares its accept and
	// masquerade rules: unmapping the first must not cut the second.
	second, err := pm.Map(&net.TCPAddr{IP: tp.ctrIP, Port: 80}, tp.hostOutIP, 8081, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := pm.Unmap(tcpHost); err != nil {
		t.Fatal(err)
	}
	refused(t, tp, "tcp", 8080)
	mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 8081), tp.outIP)
	if err := pm.Unmap(tcpHost); !errors.Is(err, ErrPortNotMapped) || !types.IsNotFound(err) {
		t.Fatalf("second Unmap: %v", err)
	}
	if p, err := pm.Allocator.RequestPort(nil, "tcp", 8080); err != nil || p != 8080 {
		t.Fatalf("Unmap did not give the port back: %d, %v", p, err)
	}
	_ = pm.Allocator.ReleasePort(nil, "tcp", 8080)

	// The port released in the allocator behind the mapping's back.
	if err := pm.Allocator.ReleasePort(tp.hostOutIP, "tcp", 8081); err != nil {
		t.Fatal(err)
	}
	if _, err := pm.Map(&net.TCPAddr{IP: tp.ctrIP, Port: 80}, tp.hostOutIP, 8081, false); !errors.Is(err, ErrPortMappedForIP) || !types.IsConflict(err) {
		t.Fatalf("mapping a mapped address: %v", err)
	}
	mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 8081), tp.outIP)
	if _, err := pm.Allocator.RequestPort(tp.hostOutIP, "tcp", 8081); !types.IsConflict(err) {
		t.Fatalf("the mapped port is free in the allocator: %v", err)
	}

	for _, h := range []net.Addr{second, udpHost} {
		if err := pm.Unmap(h); err != nil {
			t.Fatal(err)
		}
	}
	s = save(t, nil, false)
	if strings.Contains(s, "DNAT") || strings.Contains(s, "MASQUERADE") || strings.Contains(s, "--dport 80 ") {
		t.Fatalf("rules left after Unmap:\n%s", s)
	}
}

func TestSeedReMapAllThroughChain(t *testing.T) {
	testutils.SetupTestOSContext(t)
	tp := newTopo(t, nil, false)
	tp.serve(t, 80)
	chain := seedChain(t, tp)
	pm := NewWithPortAllocator(newAlloc(t))
	pm.SetIptablesChain(chain, tp.ctrIface)
	for _, a := range []net.Addr{&net.TCPAddr{IP: tp.ctrIP, Port: 80}, &net.UDPAddr{IP: tp.ctrIP, Port: 80}} {
		if _, err := pm.Map(a, nil, 8090, false); err != nil {
			t.Fatal(err)
		}
	}
	mapped := sortedSave(t, nil)

	// What a firewalld reload does to the rules: they are gone.
	runHere(t, "iptables", "-w", "-t", "nat", "-F", "SEEDPM")
	runHere(t, "iptables", "-w", "-t", "nat", "-F", "POSTROUTING")
	runHere(t, "iptables", "-w", "-F", "SEEDPM")
	refused(t, tp, "tcp", 8090)

	for i := 0; i < 2; i++ { // the second run adds nothing
		pm.ReMapAll()
		mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 8090), tp.outIP)
		mustAsk(t, &tp.out, "udp", hostPort(tp.hostOutIP, 8090), tp.outIP)
		if got := sortedSave(t, nil); got != mapped {
			t.Fatalf("run %d: ruleset after ReMapAll differs:\nwant:\n%s\ngot:\n%s", i, mapped, got)
		}
	}
}

func TestSeedReMapAllOwnBackend(t *testing.T) {
	testutils.RequireRoot(t)
	p, h := testutils.NewNS(t, "host")
	host := &h
	tp := newTopo(t, host, false)
	tp.serve(t, 80)
	ipt := newIPT(t, host, false)
	pm, err := newPM(Options{IPTable4: ipt, NetNSPath: p, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pm.Close(); _ = pm.RemoveChains() })
	for _, a := range []net.Addr{&net.TCPAddr{IP: tp.ctrIP, Port: 80}, &net.UDPAddr{IP: tp.ctrIP, Port: 80}} {
		if _, err := pm.Map(a, nil, 8095, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pm.Map(&net.TCPAddr{IP: tp.ctrIP, Port: 80}, tp.hostOutIP, 8096, false); err != nil {
		t.Fatal(err)
	}
	mapped := sortedSave(t, host)

	// Wipe every rule and chain of the namespace, and the portmapper's
	// nf_tables tables.
	inHost(t, host, func() error {
		for _, table := range []string{"nat", "filter"} {
			for _, op := range []string{"-F", "-X"} {
				if out, err := exec.Command("iptables", "-w", "-t", table, op).CombinedOutput(); err != nil {
					t.Fatalf("iptables %s %s: %v: %s", table, op, err, out)
				}
			}
		}
		return nil
	})
	delTables(t, host, func(name string) bool { return strings.HasPrefix(name, ipt.Prefix()) })
	refused(t, tp, "tcp", 8095)

	for i := 0; i < 2; i++ {
		pm.ReMapAll()
		mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 8095), tp.outIP)
		mustAsk(t, &tp.out, "udp", hostPort(tp.hostOutIP, 8095), tp.outIP)
		mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 8096), tp.outIP)
		if got := sortedSave(t, host); got != mapped {
			t.Fatalf("run %d: ruleset after ReMapAll differs:\nwant:\n%s\ngot:\n%s", i, mapped, got)
		}
	}
	// The record follows the kernel again: Unmap removes the rules.
	if err := pm.UnmapAll(); err != nil {
		t.Fatal(err)
	}
	refused(t, tp, "tcp", 8096)
}

// sortedSave is save with its lines sorted: ReMapAll may restore rules in
// another order.
func sortedSave(t *testing.T, host *netns.NsHandle) string {
	t.Helper()
	lines := strings.Split(save(t, host, false), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestSeedConstructorsAndErrors(t *testing.T) {
	pm := New()
	if pm.Allocator != portallocator.Get() {
		t.Fatal("New does not use the process-wide allocator")
	}
	pa := newAlloc(t)
	if NewWithPortAllocator(pa).Allocator != pa || NewWithPortAllocator(nil).Allocator != portallocator.Get() {
		t.Fatal("NewWithPortAllocator ignores its allocator")
	}
	pm = NewWithPortAllocator(pa)
	ctr := &net.TCPAddr{IP: net.ParseIP("172.31.0.2"), Port: 80}
	tests := []struct {
		name string
		err  error
		is   error
		cls  func(error) bool
	}{
		{"unknown address type", func() error { _, err := pm.Map(&net.IPAddr{IP: ctr.IP}, nil, 80, false); return err }(), ErrUnknownBackendAddressType, types.IsBadRequest},
		{"no address", func() error { _, err := pm.Map(nil, nil, 80, false); return err }(), ErrUnknownBackendAddressType, types.IsBadRequest},
		{"unmap unknown type", pm.Unmap(&net.IPAddr{IP: ctr.IP}), ErrUnknownBackendAddressType, types.IsBadRequest},
		{"unmap not mapped", pm.Unmap(&net.TCPAddr{IP: net.IPv4zero, Port: 45001}), ErrPortNotMapped, types.IsNotFound},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.is) || !tc.cls(tc.err) {
			t.Errorf("%s: got %v", tc.name, tc.err)
		}
	}
	// Without a chain the seed's PortMapper programs no rules: the mapping
	// is only the reserved port.
	host, err := pm.MapRange(ctr, nil, 45010, 45012, false)
	if err != nil {
		t.Fatal(err)
	}
	if host.String() != "0.0.0.0:45010" {
		t.Fatalf("MapRange took %v", host)
	}
	if _, err := pa.RequestPort(nil, "tcp", 45010); !types.IsConflict(err) {
		t.Fatalf("mapped port free in the allocator: %v", err)
	}
	if err := pm.Unmap(host); err != nil {
		t.Fatal(err)
	}
	// The proxy is looked up in $PATH when a Map needs it.
	t.Setenv("PATH", t.TempDir())
	if _, err := pm.Map(ctr, nil, 45020, true); !types.IsNoService(err) || !strings.Contains(err.Error(), DefaultProxyName) {
		t.Fatalf("Map with a missing proxy: %v", err)
	}
	if _, err := pa.RequestPort(nil, "tcp", 45020); err != nil {
		t.Fatalf("failed Map kept its port: %v", err)
	}
}

func countLines(s, line string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if l == line {
			n++
		}
	}
	return n
}
