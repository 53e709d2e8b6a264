package integration

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/config"
	"github.com/vishvananda/netlink"
)

// hostBridge adds to the test's host namespace an up bridge holding addr,
// as Docker's docker0 holds 172.17.0.1/16.
func (e *bridgeEnv) hostBridge(name, addr string) {
	e.t.Helper()
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}
	must(e.t, e.hnl.LinkAdd(br))
	e.t.Cleanup(func() { _ = e.hnl.LinkDel(br) })
	must(e.t, e.hnl.AddrAdd(br, &netlink.Addr{IPNet: mustCIDR(e.t, addr)}))
	must(e.t, e.hnl.LinkSetUp(br))
}

// autoNetwork creates a bridge network whose pool the default IPAM
// chooses, and returns it with its IPv4 pool and pool ID.
func (e *bridgeEnv) autoNetwork(name string) (libnetwork.Network, string, string) {
	e.t.Helper()
	n, err := e.c.NewNetwork("bridge", name, "", libnetwork.NetworkOptionIpam("default", "", nil, nil, nil))
	if err != nil {
		e.t.Fatalf("NewNetwork %s without a pool: %v", name, err)
	}
	pool, id := poolOf(e.t, n)
	return n, pool, id
}

func poolOf(t testing.TB, n libnetwork.Network) (string, string) {
	t.Helper()
	v4, _ := n.Info().IpamInfo()
	if len(v4) != 1 || v4[0].Pool == nil {
		t.Fatalf("IPv4 IPAM info of %s: %v", n.Name(), v4)
	}
	return v4[0].Pool.String(), v4[0].PoolID
}

func writeResolvConf(t testing.TB, path, content string) {
	t.Helper()
	must(t, os.WriteFile(path, []byte(content), 0o644))
}

// An automatic pool skips the pools of the host's networks (docker0 on
// 172.17.0.1/16) and nameservers, and the chosen pool carries traffic.
func TestBridgeAutoPoolAvoidsHost(t *testing.T) {
	rc := filepath.Join(t.TempDir(), "resolv.conf")
	writeResolvConf(t, rc, "nameserver 10.255.0.53\n")
	e := newBridgeEnvWith(t, fullBridge(), config.OptionHostResolvConf(rc))
	e.hostBridge("docker0", "172.17.0.1/16")

	n1, pool, _ := e.autoNetwork("auto1")
	if pool != "172.18.0.0/16" {
		t.Fatalf("pool beside docker0 = %s, want 172.18.0.0/16", pool)
	}
	a, b := e.run(n1, "a"), e.run(n1, "b")
	if _, p, _ := net.ParseCIDR(pool); !p.Contains(a.ip) {
		t.Fatalf("container address %s is outside %s", a.ip, pool)
	}
	reach(t, a.h, e.host, net.ParseIP("172.18.0.1"), 7201)
	reach(t, a.h, b.h, b.ip, 7202)

	// A host nameserver in the next pool: it is skipped too (the file is
	// read at each choice).
	writeResolvConf(t, rc, "nameserver 172.19.0.53\n")
	_, pool, _ = e.autoNetwork("auto2")
	if pool != "172.20.0.0/16" {
		t.Fatalf("pool beside docker0, auto1 and nameserver 172.19.0.53 = %s, want 172.20.0.0/16", pool)
	}
	// An explicit pool is never refused for overlapping the host.
	e.network("explicit", "172.17.0.0/16", nil)
}

// A restart replays the stored automatic pool (which now overlaps the
// network's own bridge), and the next automatic network gets neither it
// nor the host bridge's.
func TestBridgeAutoPoolRestart(t *testing.T) {
	e := newBridgeEnv(t, fullBridge())
	e.hostBridge("docker0", "172.17.0.1/16")
	n1, pool, id := e.autoNetwork("auto1")
	if pool != "172.18.0.0/16" {
		t.Fatalf("pool beside docker0 = %s, want 172.18.0.0/16", pool)
	}
	e.run(n1, "a")

	e.restart()
	n1, err := e.c.NetworkByName("auto1")
	if err != nil {
		t.Fatal(err)
	}
	if p, pid := poolOf(t, n1); p != pool || pid != id {
		t.Fatalf("after the restart auto1 has pool %s (ID %s), want %s (ID %s)", p, pid, pool, id)
	}
	// The replayed pool gives addresses: the IPAM holds it again.
	b, c := e.run(n1, "b"), e.run(n1, "c")
	reach(t, b.h, c.h, c.ip, 7211)
	reach(t, b.h, e.host, net.ParseIP("172.18.0.1"), 7212)
	_, pool2, _ := e.autoNetwork("auto2")
	if pool2 != "172.19.0.0/16" {
		t.Fatalf("second automatic pool = %s, want 172.19.0.0/16", pool2)
	}
}
