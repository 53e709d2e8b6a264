package portmapper

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/types"
)

// TestReleaseKeepsRules: Release leaves every rule in place (traffic from
// outside still forwards) and lets go of the rest: proxies, their record,
// host ports, route_localnet, handles. A new PortMapper adopts the mappings
// without changing the rules. Close after Release removes nothing.
func TestReleaseKeepsRules(t *testing.T) {
	testutils.RequireRoot(t)
	bin := buildProxy(t)
	for _, proxy := range []bool{false, true} {
		t.Run(fmt.Sprintf("proxy=%v", proxy), func(t *testing.T) {
			tp := newTopo(t, nil, false)
			tp.serve(t, 80)
			ipt := newIPT(t, nil, false)
			runDir := t.TempDir()
			alloc := newAlloc(t)
			opts := Options{IPTable4: ipt, UserlandProxy: proxy, ProxyPath: bin, RunDir: runDir, Allocator: alloc}
			pm1, err := NewWithOptions(opts)
			if err != nil {
				t.Fatal(err)
			}
			before := save(t, nil, false)
			record := filepath.Join(runDir, "portmapper-"+ipt.ChainName(DefaultChainSuffix)+".json")
			localnet := "/proc/sys/net/ipv4/conf/" + tp.ctrIface + "/route_localnet"
			tcp := &net.TCPAddr{IP: tp.ctrIP, Port: 80}
			udp := &net.UDPAddr{IP: tp.ctrIP, Port: 80}
			hosts := []net.Addr{mustMap(t, pm1, tcp, nil, 7501, true), mustMap(t, pm1, udp, nil, 7502, true)}
			mustAsk(t, nil, "tcp", "127.0.0.1:7501", tp.hostCtrIP)
			withMaps := save(t, nil, false)

			if err := pm1.Release(); err != nil {
				t.Fatal(err)
			}
			if got := save(t, nil, false); got != withMaps {
				t.Fatalf("Release changed the rules:\nwant:\n%s\ngot:\n%s", withMaps, got)
			}
			mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 7501), tp.outIP)
			mustAsk(t, &tp.out, "udp", hostPort(tp.hostOutIP, 7502), tp.outIP)
			if n := len(proxyPIDs(t, bin)); n != 0 {
				t.Fatalf("%d proxies outlived Release", n)
			}
			if _, err := os.Stat(record); !os.IsNotExist(err) {
				t.Fatalf("proxy record after Release: %v", err)
			}
			if got := readSysctl(t, nil, localnet); got != "0" {
				t.Fatalf("route_localnet not restored by Release: %s", got)
			}
			for _, h := range hosts {
				if !portFree(t, pm1, h) {
					t.Fatalf("port of %v held after Release", h)
				}
			}
			if len(pm1.Mappings()) != 0 {
				t.Fatalf("mappings after Release: %v", pm1.Mappings())
			}
			if _, err := pm1.MapRange(tcp, nil, 7503, 0, false); !types.IsNoService(err) {
				t.Fatalf("Map after Release: got %v, want NoService", err)
			}
			if err := pm1.Unmap(hosts[0]); !types.IsNotFound(err) {
				t.Fatalf("Unmap after Release: got %v, want NotFound", err)
			}
			if err := pm1.Prune(); !types.IsNoService(err) {
				t.Fatalf("Prune after Release: got %v, want NoService", err)
			}
			if err := pm1.Release(); err != nil {
				t.Fatal(err)
			}
			if err := pm1.Close(); err != nil {
				t.Fatal(err)
			}
			if got := save(t, nil, false); got != withMaps {
				t.Fatal("Close after Release removed rules")
			}

			// The next "run" adopts the mappings.
			ipt2, err := iptables.New(iptables.IPv4, iptables.WithPrefix(ipt.Prefix()))
			if err != nil {
				t.Fatal(err)
			}
			opts.IPTable4 = ipt2
			pm2, err := NewWithOptions(opts)
			if err != nil {
				t.Fatal(err)
			}
			mustMap(t, pm2, tcp, nil, 7501, true)
			mustMap(t, pm2, udp, nil, 7502, true)
			if err := pm2.Prune(); err != nil {
				t.Fatal(err)
			}
			if got := save(t, nil, false); got != withMaps {
				t.Fatalf("adoption changed the rules:\nwant:\n%s\ngot:\n%s", withMaps, got)
			}
			mustAsk(t, nil, "tcp", "127.0.0.1:7501", tp.hostCtrIP)
			if err := pm2.Close(); err != nil {
				t.Fatal(err)
			}
			if got := save(t, nil, false); got != before {
				t.Fatalf("rules left after Close:\n%s", got)
			}
			if got := readSysctl(t, nil, localnet); got != "0" {
				t.Fatalf("route_localnet left: %s", got)
			}
		})
	}
}
