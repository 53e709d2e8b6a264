package integration

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/types"
)

// BenchmarkBridgeAttachDetach measures attach (NewSandbox + CreateEndpoint
// + Join) and detach (Leave + endpoint Delete + sandbox Delete) on a bridge
// network with the firewall on (the default backend: nf_tables), with n
// containers already attached, without and with one published TCP port per
// container (dynamic host port, no userland proxy), and with 5,000
// unrelated iptables rules already installed. It
// reports p50 and p99 per container. Addresses are allocated serially.
func BenchmarkBridgeAttachDetach(b *testing.B) {
	for _, c := range []struct {
		n     int
		port  bool
		rules int
	}{
		{100, false, 0}, {100, true, 0}, {1000, false, 0}, {1000, true, 0}, {100, true, 5000}, {1000, true, 5000},
	} {
		name := fmt.Sprintf("N=%d/port=%t", c.n, c.port)
		if c.rules > 0 {
			name += fmt.Sprintf("/rules=%d", c.rules)
		}
		b.Run(name, func(b *testing.B) { benchAttachDetach(b, c.n, c.port, c.rules) })
	}
}

func benchAttachDetach(b *testing.B, n int, port bool, rules int) {
	e := newBridgeEnv(b, fullBridge())
	net := e.network("bench", "10.200.0.0/16", nil)
	if rules > 0 {
		fillRules(b, e, rules)
	}
	var opts []libnetwork.SandboxOption
	if port {
		opts = append(opts, portMap(types.PortBinding{Proto: types.TCP, Port: 80}))
	}
	for i := 0; i < n; i++ {
		e.run(net, fmt.Sprintf("bg%d", i), opts...)
	}
	benchLifecycles(b, e, net, opts...)
}

// benchLifecycles times b.N container lifecycles on net, reporting p50/p99
// of attach (sandbox, endpoint, join) and detach (leave, delete, sandbox
// delete) with the sandbox options opts.
func benchLifecycles(b *testing.B, e *bridgeEnv, net libnetwork.Network, opts ...libnetwork.SandboxOption) {
	b.Helper()
	attach := make([]time.Duration, 0, b.N)
	detach := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		sb, err := e.c.NewSandbox(fmt.Sprintf("c%d", i), opts...)
		if err != nil {
			b.Fatal(err)
		}
		ep, err := net.CreateEndpoint(fmt.Sprintf("ep%d", i), serial)
		if err != nil {
			b.Fatal(err)
		}
		if err := ep.Join(sb); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := ep.Leave(sb); err != nil {
			b.Fatal(err)
		}
		if err := ep.Delete(false); err != nil {
			b.Fatal(err)
		}
		if err := sb.Delete(); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		attach, detach = append(attach, t1.Sub(t0)), append(detach, t2.Sub(t1))
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "attach", attach)
	testutils.ReportPercentiles(b, "detach", detach)
}

// serial asks IPAM for the address after the last one handed out, as
// container runtimes do, rather than the lowest free one: an address is not
// reused while the rules of its previous holder may still be going.
var serial = libnetwork.CreateOptionIpam(nil, nil, map[string]string{ipamapi.AllocSerialPrefix: "true"})

// fillRules installs rules unrelated to ours in the host namespace, half
// in a nat chain and half in a filter chain, with one iptables-restore.
func fillRules(b *testing.B, e *bridgeEnv, rules int) {
	var in strings.Builder
	for _, table := range []string{"nat", "filter"} {
		fmt.Fprintf(&in, "*%s\n:BENCH-FILL - [0:0]\n", table)
		for i := 0; i < rules/2; i++ {
			target := "ACCEPT"
			if table == "nat" {
				target = "RETURN"
			}
			fmt.Fprintf(&in, "-A BENCH-FILL -s 192.0.2.%d/32 -p tcp --dport %d -j %s\n", i%250+1, 1000+i, target)
		}
		in.WriteString("COMMIT\n")
	}
	testutils.InNS(b, e.host, func() error {
		cmd := exec.Command("iptables-restore", "--noflush", "-w")
		cmd.Stdin = strings.NewReader(in.String())
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
}
