package portmapper

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/iptables"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// TestHeldPortRestored: a PortMapper adopting the mappings of an earlier
// one (Release, then Map again) holds their ports again; a mapping whose
// port a host process took meanwhile is kept, still forwarding, without a
// socket, and the portmapper logs a warning naming it.
func TestHeldPortRestored(t *testing.T) {
	testutils.RequireRoot(t)
	nsPath, h := testutils.NewNS(t, "host")
	tp := newTopo(t, &h, false)
	tp.serve(t, 80)
	ipt := newIPT(t, &h, false)
	alloc := newAlloc(t)
	pm1, err := newPM(Options{IPTable4: ipt, NetNSPath: nsPath, Allocator: alloc})
	if err != nil {
		t.Fatal(err)
	}
	before := save(t, &h, false)
	tcp := &net.TCPAddr{IP: tp.ctrIP, Port: 80}
	udp := &net.UDPAddr{IP: tp.ctrIP, Port: 80}
	mustMap(t, pm1, tcp, nil, 7981, false)
	mustMap(t, pm1, udp, nil, 7982, false)
	withMaps := save(t, &h, false)
	if err := pm1.Release(); err != nil {
		t.Fatal(err)
	}
	occupy(t, h, "tcp4", "0.0.0.0:7981") // a host process takes the port

	ipt2, err := iptables.New(iptables.IPv4, iptables.WithPrefix(ipt.Prefix()), iptables.WithNetNS(h))
	if err != nil {
		t.Fatal(err)
	}
	pm2, err := newPM(Options{IPTable4: ipt2, NetNSPath: nsPath, Allocator: alloc})
	if err != nil {
		t.Fatal(err)
	}
	defer pm2.Close()
	hook := logtest.NewGlobal()
	defer logrus.StandardLogger().ReplaceHooks(logrus.LevelHooks{})
	mustMap(t, pm2, tcp, nil, 7981, false)
	mustMap(t, pm2, udp, nil, 7982, false)
	var warned bool
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && strings.Contains(e.Message, "kept without holding") && strings.Contains(e.Data["host"].(string), ":7981") {
			warned = true
		}
	}
	if !warned {
		t.Fatalf("no warning about the taken port of a restored mapping: %v", hook.AllEntries())
	}
	pm2.mu.Lock()
	kept, held := pm2.mappings["tcp/0.0.0.0:7981"], pm2.mappings["udp/0.0.0.0:7982"]
	pm2.mu.Unlock()
	if kept == nil || kept.hold != nil || held == nil || held.hold == nil {
		t.Fatalf("restored mappings %+v %+v: want the taken one without a socket, the other with", kept, held)
	}
	if got := save(t, &h, false); got != withMaps {
		t.Fatalf("adoption changed the rules:\nwant:\n%s\ngot:\n%s", withMaps, got)
	}
	if err := bindIn(t, &h, "udp4", "0.0.0.0:7982", true); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("restored udp port not held: %v", err)
	}
	mustAsk(t, &tp.out, "tcp", hostPort(tp.hostOutIP, 7981), tp.outIP)
	mustAsk(t, &tp.out, "udp", hostPort(tp.hostOutIP, 7982), tp.outIP)

	// A new mapping (no rules of an earlier run) of a taken port fails.
	occupy(t, h, "tcp4", "0.0.0.0:7983")
	_, err = pm2.MapRange(tcp, nil, 7983, 0, false)
	wantInUse(t, err, 7983)
	if err := pm2.Close(); err != nil {
		t.Fatal(err)
	}
	if got := save(t, &h, false); got != before {
		t.Fatalf("rules left after Close:\n%s", got)
	}
}
