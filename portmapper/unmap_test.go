package portmapper

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/types"
)

// faultyIPT returns an IPv4 IPTable whose commands go through wrappers of
// the system's iptables. While the file at the returned path exists, any
// iptables command or restore input containing one of its lines fails.
func faultyIPT(t testing.TB) (*iptables.IPTable, string) {
	t.Helper()
	dir := t.TempDir()
	fault := filepath.Join(dir, "fault")
	real := map[string]string{}
	for _, name := range []string{"iptables", "iptables-restore", "iptables-save"} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("no %s: %v", name, err)
		}
		real[name] = p
	}
	check := `if [ -f '` + fault + `' ] && printf '%s\n' "$in" | grep -qF -f '` + fault + `'; then
	echo "injected failure" >&2; exit 1
fi
`
	scripts := map[string]string{
		"ipt":         "#!/bin/sh\nin=\"$*\"\n" + check + "exec '" + real["iptables"] + "' \"$@\"\n",
		"ipt-restore": "#!/bin/sh\nin=$(cat)\n" + check + "printf '%s\\n' \"$in\" | '" + real["iptables-restore"] + "' \"$@\"\n",
		"ipt-save":    "#!/bin/sh\nexec '" + real["iptables-save"] + "' \"$@\"\n",
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ipt, err := iptables.New(iptables.IPv4, iptables.WithPrefix(fmt.Sprintf("CNMKITT%d", topoSeq.Add(1))),
		iptables.WithCommand(filepath.Join(dir, "ipt")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(fault); _ = ipt.RemoveAll(ipt.Prefix()) })
	return ipt, fault
}

func mustMap(t testing.TB, pm *PortMapper, ctr net.Addr, hostIP net.IP, port int, proxy bool) net.Addr {
	t.Helper()
	h, err := pm.MapRange(ctr, hostIP, port, 0, proxy)
	if err != nil {
		t.Fatalf("map %v on %v:%d: %v", ctr, hostIP, port, err)
	}
	return h
}

func addrPort(a net.Addr) int {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.Port
	case *net.UDPAddr:
		return a.Port
	}
	return a.(*SCTPAddr).Port
}

// keys returns the sorted "proto/ip:port" of addrs.
func keys(addrs []net.Addr) []string {
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, a.Network()+"/"+a.String())
	}
	sort.Strings(out)
	return out
}

// portFree reports whether the allocator hands out port (and gives it back).
func portFree(t testing.TB, pm *PortMapper, h net.Addr) bool {
	t.Helper()
	_, ip, port, _ := splitAddr(h)
	if _, err := pm.Allocator.RequestPort(ip, h.Network(), port); err != nil {
		return false
	}
	if err := pm.Allocator.ReleasePort(ip, h.Network(), port); err != nil {
		t.Fatal(err)
	}
	return true
}

func stateRecords(t testing.TB, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	var recs []proxyRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

// TestUnmapMany unmaps several mappings (TCP and UDP, two sharing a
// container port, one sharing its container port with a mapping that
// stays) in one call, with the proxy off and on: the rules are those of the
// mapping that stays, it still forwards, the proxies and ports are let go,
// and mapping the same ports again works.
func TestUnmapMany(t *testing.T) {
	testutils.RequireRoot(t)
	bin := buildProxy(t)
	for _, proxy := range []bool{false, true} {
		t.Run(fmt.Sprintf("proxy=%v", proxy), func(t *testing.T) {
			tp := newTopo(t, nil, false)
			tp.serve(t, 80)
			tp.serve(t, 81)
			ipt := newIPT(t, nil, false)
			runDir := t.TempDir()
			pm, err := newPM(Options{IPTable4: ipt, UserlandProxy: proxy, ProxyPath: bin, RunDir: runDir, Allocator: newAlloc(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer pm.Close()
			record := filepath.Join(runDir, "portmapper-"+ipt.ChainName(DefaultChainSuffix)+".json")
			localnet := "/proc/sys/net/ipv4/conf/" + tp.ctrIface + "/route_localnet"
			before := save(t, nil, false)
			c80 := &net.TCPAddr{IP: tp.ctrIP, Port: 80}
			c81 := &net.TCPAddr{IP: tp.ctrIP, Port: 81}
			u80 := &net.UDPAddr{IP: tp.ctrIP, Port: 80}

			stay := mustMap(t, pm, c81, nil, 7300, true)
			withStay := save(t, nil, false)
			specs := []struct {
				ctr    net.Addr
				hostIP net.IP
				port   int
			}{
				{c80, nil, 7301},
				{c80, tp.hostOutIP, 7302}, // same container port: shared rules
				{u80, nil, 7303},
				{c81, nil, 7304}, // shares its container port with stay
			}
			mapAll := func() []net.Addr {
				var hosts []net.Addr
				for _, s := range specs {
					h := mustMap(t, pm, s.ctr, s.hostIP, s.port, true)
					mustAsk(t, &tp.out, h.Network(), hostPort(tp.hostOutIP, s.port), tp.outIP)
					hosts = append(hosts, h)
				}
				return hosts
			}
			hosts := mapAll()
			if n := len(proxyPIDs(t, bin)); proxy && n != 5 || !proxy && n != 0 {
				t.Fatalf("%d proxies running", n)
			}

			// The first by its address without IP (the default host IP),
			// the second twice, plus an address never mapped.
			list := []net.Addr{&net.TCPAddr{Port: 7301}, hosts[1], hosts[2], hosts[3], hosts[1],
				&net.TCPAddr{IP: net.IPv4zero, Port: 7399}}
			if err := pm.UnmapMany(list); err != nil {
				t.Fatal(err)
			}
			if got := save(t, nil, false); got != withStay {
				t.Fatalf("rules after UnmapMany:\nwant:\n%s\ngot:\n%s", withStay, got)
			}
			if got, want := keys(pm.Mappings()), keys([]net.Addr{stay}); !slices.Equal(got, want) {
				t.Fatalf("mappings %v, want %v", got, want)
			}
			if n := len(proxyPIDs(t, bin)); proxy && n != 1 || !proxy && n != 0 {
				t.Fatalf("%d proxies running after UnmapMany", n)
			}
			if n := stateRecords(t, record); proxy && n != 1 || !proxy && n != 0 {
				t.Fatalf("%d proxies recorded after UnmapMany", n)
			}
			if got := readSysctl(t, nil, localnet); got != map[bool]string{true: "0", false: "1"}[proxy] {
				t.Fatalf("route_localnet %s while a mapping stays", got)
			}
			// The mapping that stays: from outside, hairpin, loopback.
			mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 7300), tp.outIP)
			mustAsk(t, &tp.ctr, "tcp", hostPort(tp.hostCtrIP, 7300), tp.hostCtrIP)
			mustAsk(t, nil, "tcp", hostPort(net.IPv4(127, 0, 0, 1), 7300), tp.hostCtrIP)
			if _, err := ask(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 7301), "hi"); err == nil {
				t.Fatal("an unmapped port still forwards")
			}
			for _, h := range hosts {
				if !portFree(t, pm, h) {
					t.Fatalf("port of %v not released", h)
				}
			}

			// The same ports map again; a bad address changes nothing.
			hosts = mapAll()
			withAll := save(t, nil, false)
			if err := pm.UnmapMany([]net.Addr{hosts[0], &net.IPAddr{IP: tp.ctrIP}}); !types.IsBadRequest(err) {
				t.Fatalf("bad address: got %v, want BadRequest", err)
			}
			if len(pm.Mappings()) != 5 || save(t, nil, false) != withAll {
				t.Fatal("a refused UnmapMany changed something")
			}
			if err := pm.UnmapMany(append(hosts, stay)); err != nil {
				t.Fatal(err)
			}
			if got := save(t, nil, false); got != before {
				t.Fatalf("rules left:\nwant:\n%s\ngot:\n%s", before, got)
			}
			if n := len(proxyPIDs(t, bin)); n != 0 {
				t.Fatalf("%d proxies left", n)
			}
			if _, err := os.Stat(record); !os.IsNotExist(err) {
				t.Fatalf("proxy record left: %v", err)
			}
			if got := readSysctl(t, nil, localnet); got != "0" {
				t.Fatalf("route_localnet not restored: %s", got)
			}
			if err := pm.UnmapMany(nil); err != nil {
				t.Fatalf("empty UnmapMany: %v", err)
			}
		})
	}
}

// TestUnmapManyFailure makes the deletion of one rule fail: the mappings
// with rules left stay (proxy, port and shared counts included), the
// others are gone, the error is typed and names the kept; once the fault is
// gone, unmapping them again leaves the firewall as before.
func TestUnmapManyFailure(t *testing.T) {
	testutils.RequireRoot(t)
	bin := buildProxy(t)
	tests := []struct {
		name             string
		fault            string // text of the rule whose deletion fails
		mustKeep, mustGo []int
	}{
		// The forward rule of the last mapping: only it stays.
		{"own rule", "--dport 82 -j ACCEPT", []int{3}, []int{0, 1, 2}},
		// The forward rule shared by 0 and 1, deleted for 1 (the last
		// holder): 1 stays and holds it; 0 goes.
		{"shared rule", "--dport 80 -j ACCEPT", []int{1}, []int{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tp := newTopo(t, nil, false)
			tp.serve(t, 80)
			ipt, fault := faultyIPT(t)
			// The fault is in an iptables rule.
			pm, err := NewWithOptions(Options{IPTable4: ipt, UserlandProxy: true, ProxyPath: bin, Allocator: newAlloc(t), IPTablesRules: true})
			if err != nil {
				t.Fatal(err)
			}
			defer pm.Close()
			before := save(t, nil, false)
			c80 := &net.TCPAddr{IP: tp.ctrIP, Port: 80}
			specs := []struct {
				ctr  net.Addr
				port int
			}{{c80, 7401}, {c80, 7402}, {&net.TCPAddr{IP: tp.ctrIP, Port: 81}, 7403}, {&net.TCPAddr{IP: tp.ctrIP, Port: 82}, 7404}}
			var hosts []net.Addr
			for _, s := range specs {
				hosts = append(hosts, mustMap(t, pm, s.ctr, nil, s.port, true))
			}
			if err := os.WriteFile(fault, []byte(tc.fault+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			err = pm.UnmapMany(hosts)
			if err == nil {
				t.Fatal("UnmapMany succeeded despite the fault")
			}
			if !types.IsInternal(err) {
				t.Fatalf("error %v is not typed Internal", err)
			}
			kept := map[string]bool{}
			for _, k := range keys(pm.Mappings()) {
				kept[k] = true
			}
			for _, i := range tc.mustKeep {
				if !kept[keys(hosts[i : i+1])[0]] {
					t.Fatalf("mapping %d not kept; kept %v", i, kept)
				}
			}
			for _, i := range tc.mustGo {
				if kept[keys(hosts[i : i+1])[0]] {
					t.Fatalf("mapping %d kept; its rules were removed", i)
				}
			}
			// Each mapping is either kept whole (named in the error, port
			// held, proxy running) or gone (port free, no DNAT rule).
			rules := save(t, nil, false)
			running := len(proxyPIDs(t, bin))
			for _, h := range hosts {
				k := keys([]net.Addr{h})[0]
				if kept[k] != strings.Contains(err.Error(), k) {
					t.Fatalf("error %q and kept %v disagree on %s", err, kept, k)
				}
				if portFree(t, pm, h) == kept[k] {
					t.Fatalf("%s: kept %v but port free %v", k, kept[k], !kept[k])
				}
				if !kept[k] && strings.Contains(rules, fmt.Sprintf("--dport %d -j DNAT", addrPort(h))) {
					t.Fatalf("%s gone but its DNAT stays:\n%s", k, rules)
				}
			}
			if running != len(kept) {
				t.Fatalf("%d proxies running for %d kept mappings", running, len(kept))
			}

			// The gone ones map again; with the fault gone all unmap cleanly,
			// so the shared counts were right.
			for i, h := range hosts {
				if !kept[keys([]net.Addr{h})[0]] {
					hosts[i] = mustMap(t, pm, specs[i].ctr, nil, specs[i].port, true)
				}
			}
			if err := os.Remove(fault); err != nil {
				t.Fatal(err)
			}
			if err := pm.UnmapMany(hosts); err != nil {
				t.Fatal(err)
			}
			if got := save(t, nil, false); got != before {
				t.Fatalf("rules left:\nwant:\n%s\ngot:\n%s", before, got)
			}
			if n := len(proxyPIDs(t, bin)); n != 0 {
				t.Fatalf("%d proxies left", n)
			}
		})
	}
}

// TestUnmapManyConcurrent runs, under -race, rounds of two UnmapMany calls
// whose mappings differ but share container ports, listed in opposite
// orders (their container locks must not deadlock), while other goroutines
// Map and unmap other container ports.
func TestUnmapManyConcurrent(t *testing.T) {
	testutils.RequireRoot(t)
	tp := newTopo(t, nil, false)
	const mappers, rounds = 4, 5
	for w := 0; w < mappers; w++ {
		tp.serve(t, 200+w)
	}
	ipt := newIPT(t, nil, false)
	pm, err := newPM(Options{IPTable4: ipt, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pm.Close()
	before := save(t, nil, false)

	var wg sync.WaitGroup
	errc := make(chan error, 2*rounds+mappers)
	var unmapped []net.Addr
	wg.Go(func() {
		for range rounds {
			var asc, desc []net.Addr
			for p := 100; p < 110; p++ {
				ctr := &net.TCPAddr{IP: tp.ctrIP, Port: p}
				a, err := pm.MapRange(ctr, nil, 0, 0, false)
				if err != nil {
					errc <- err
					return
				}
				b, err := pm.MapRange(ctr, nil, 0, 0, false)
				if err != nil {
					errc <- err
					return
				}
				asc = append(asc, a)
				desc = append([]net.Addr{b}, desc...)
			}
			unmapped = append(append(unmapped, asc...), desc...)
			var round sync.WaitGroup
			start := make(chan struct{})
			for _, list := range [][]net.Addr{asc, desc} {
				round.Go(func() {
					<-start
					if err := pm.UnmapMany(list); err != nil {
						errc <- err
					}
				})
			}
			close(start)
			round.Wait()
		}
	})
	kept := make([]net.Addr, mappers)
	for w := range mappers {
		wg.Go(func() {
			ctr := &net.TCPAddr{IP: tp.ctrIP, Port: 200 + w}
			for i := range 3 {
				h, err := pm.MapRange(ctr, nil, 0, 0, false)
				if err != nil {
					errc <- err
					return
				}
				if i < 2 {
					if err := pm.UnmapMany([]net.Addr{h}); err != nil {
						errc <- err
						return
					}
				}
				kept[w] = h
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("concurrent maps and unmaps did not finish (deadlock?)")
	}
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if got, want := keys(pm.Mappings()), keys(kept); !slices.Equal(got, want) {
		t.Fatalf("mappings %v, want %v", got, want)
	}
	for _, h := range kept {
		mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, addrPort(h)), tp.outIP)
	}
	for _, h := range unmapped {
		if !portFree(t, pm, h) {
			t.Fatalf("port of %v not released", h)
		}
	}
	if err := pm.UnmapAll(); err != nil {
		t.Fatal(err)
	}
	if got := save(t, nil, false); got != before {
		t.Fatalf("rules left:\n%s", got)
	}
}

// TestUnmapManyLockOrder holds the container lock of port 105 so that a
// batch over ports 100-109 stops there with 100-104 locked, then starts a
// batch of other mappings of the same ports listed from 109 down. Taking
// the locks in list order would deadlock once 105 is let go; in key order
// both finish.
func TestUnmapManyLockOrder(t *testing.T) {
	testutils.RequireRoot(t)
	tp := newTopo(t, nil, false)
	ipt := newIPT(t, nil, false)
	pm, err := newPM(Options{IPTable4: ipt, Allocator: newAlloc(t)})
	if err != nil {
		t.Fatal(err)
	}
	// No deferred Close: after a deadlock it would wait forever.
	before := save(t, nil, false)
	var asc, desc []net.Addr
	ctrKey := func(p int) string { return "tcp/" + hostPort(tp.ctrIP, p) }
	for p := 100; p < 110; p++ {
		ctr := &net.TCPAddr{IP: tp.ctrIP, Port: p}
		asc = append(asc, mustMap(t, pm, ctr, nil, 0, false))
		desc = append([]net.Addr{mustMap(t, pm, ctr, nil, 0, false)}, desc...)
	}
	refs := func(key string) int {
		pm.mu.Lock()
		defer pm.mu.Unlock()
		if l := pm.ctrLocks[key]; l != nil {
			return l.refs
		}
		return 0
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(time.Millisecond) // polling interval
		}
	}
	unlock := pm.lockCtr(ctrKey(105))
	errc := make(chan error, 2)
	go func() { errc <- pm.UnmapMany(asc) }()
	waitFor("the ascending batch to wait for port 105", func() bool { return refs(ctrKey(105)) == 2 })
	go func() { errc <- pm.UnmapMany(desc) }()
	// Listed order: it waits for 105 too; key order: it waits for 100.
	waitFor("the descending batch to wait", func() bool { return refs(ctrKey(105)) == 3 || refs(ctrKey(100)) == 2 })
	unlock()
	for range 2 {
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("UnmapMany batches deadlocked on container locks")
		}
	}
	if n := len(pm.Mappings()); n != 0 {
		t.Fatalf("%d mappings left", n)
	}
	if got := save(t, nil, false); got != before {
		t.Fatalf("rules left:\n%s", got)
	}
	if err := pm.Close(); err != nil {
		t.Fatal(err)
	}
}
