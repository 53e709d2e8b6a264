package portmapper

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/iptables"
)

// TestRestartAdoptAndPrune: a restarted process (fresh IPTable and
// PortMapper) adopts the chains, re-maps the mapping that stayed without
// duplicating rules, and Prune removes the rules of the one that left.
func TestRestartAdoptAndPrune(t *testing.T) {
	testutils.RequireRoot(t)
	tp := newTopo(t, nil, false)
	tp.serve(t, 80)
	tp.serve(t, 81)
	ipt := newIPT(t, nil, false)
	pm1, err := newPM(Options{IPTable4: ipt, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	stay := &net.TCPAddr{IP: tp.ctrIP, Port: 80}
	gone := &net.TCPAddr{IP: tp.ctrIP, Port: 81}
	if _, err := pm1.MapRange(stay, nil, 8180, 0, false); err != nil {
		t.Fatal(err)
	}
	if _, err := pm1.MapRange(gone, nil, 8181, 0, false); err != nil {
		t.Fatal(err)
	}
	withBoth := save(t, nil, false)

	// "Restart": pm1 is abandoned with its rules in place. Its sockets stay
	// open, as a host process taking the ports meanwhile would hold them:
	// pm2 keeps the adopted mapping all the same (see hold.go).
	ipt2, err := iptables.New(iptables.IPv4, iptables.WithPrefix(ipt.Prefix()))
	if err != nil {
		t.Fatal(err)
	}
	pm2, err := newPM(Options{IPTable4: ipt2, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pm2.Close()
	if _, err := pm2.MapRange(stay, nil, 8180, 0, false); err != nil {
		t.Fatal(err)
	}
	if got := save(t, nil, false); got != withBoth {
		t.Fatalf("re-mapping after restart changed the rules:\nwant:\n%s\ngot:\n%s", withBoth, got)
	}
	if err := pm2.Prune(); err != nil {
		t.Fatal(err)
	}
	after := save(t, nil, false)
	if strings.Contains(after, "--dport 8181") || strings.Contains(after, "--dport 81 ") {
		t.Fatalf("rules of the gone mapping survived Prune:\n%s", after)
	}
	mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 8180), tp.outIP)
	mustAsk(t, nil, "tcp", "127.0.0.1:8180", tp.hostCtrIP)
	if _, err := ask(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 8181), "hi"); err == nil {
		t.Fatal("the pruned mapping still forwards")
	}
}

// TestConcurrentMaps maps and unmaps many ports in parallel.
func TestConcurrentMaps(t *testing.T) {
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
	const workers = 8
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	hosts := make([]net.Addr, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 3; i++ {
				h, err := pm.MapRange(&net.TCPAddr{IP: tp.ctrIP, Port: 80}, nil, 0, 0, false)
				if err != nil {
					errc <- err
					return
				}
				if i < 2 {
					if err := pm.Unmap(h); err != nil {
						errc <- fmt.Errorf("unmap %v: %w", h, err)
						return
					}
				}
				hosts[w] = h
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for _, h := range hosts {
		mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, h.(*net.TCPAddr).Port), tp.outIP)
	}
	if err := pm.UnmapAll(); err != nil {
		t.Fatal(err)
	}
	if got := save(t, nil, false); got != before {
		t.Fatalf("rules left:\n%s", got)
	}
}

// TestSCTPMapping programs SCTP rules (no proxy for SCTP).
func TestSCTPMapping(t *testing.T) {
	testutils.RequireRoot(t)
	tp := newTopo(t, nil, false)
	ipt := newIPT(t, nil, false)
	pm, err := newPM(Options{IPTable4: ipt, UserlandProxy: true, ProxyPath: "/nonexistent/proxy", Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	before := save(t, nil, false)
	h, err := pm.MapRange(&SCTPAddr{IP: tp.ctrIP, Port: 9}, nil, 9999, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if h.Network() != "sctp" || h.String() != "0.0.0.0:9999" {
		t.Fatalf("host address %s/%s", h.Network(), h)
	}
	want := "-p sctp -m sctp --dport 9999 -j DNAT --to-destination " + tp.ctrIP.String() + ":9"
	if pm.nft != nil {
		want = fmt.Sprintf(" dnat-any 84000000%04x0000 => %x00090000", 9999, []byte(tp.ctrIP.To4()))
	}
	if s := save(t, nil, false); !strings.Contains(s, want) {
		t.Fatalf("no SCTP DNAT:\n%s", s)
	}
	if err := pm.Unmap(h); err != nil {
		t.Fatal(err)
	}
	if got := save(t, nil, false); got != before {
		t.Fatalf("rules left:\n%s", got)
	}
}
