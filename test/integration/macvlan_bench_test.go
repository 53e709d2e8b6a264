package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

// BenchmarkMacvlanAttachDetach measures attach (NewSandbox + CreateEndpoint
// + Join) and detach (Leave + endpoint Delete + sandbox Delete) on a
// bridge-mode macvlan network whose parent is a veth to an external
// router, with n containers already attached, as BenchmarkBridgeAttachDetach
// does for the bridge driver. It reports p50 and p99 per container.
func BenchmarkMacvlanAttachDetach(b *testing.B) {
	for _, n := range []int{100} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { benchMacvlanAttachDetach(b, n) })
	}
}

func benchMacvlanAttachDetach(b *testing.B, n int) {
	e := newMacvlanEnv(b)
	net, err := e.macvlan("macvlan", "bench", map[string]string{"parent": "par0"}, "10.200.0.0/16", "10.200.0.1", "", "")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		e.run(net, fmt.Sprintf("bg%d", i))
	}
	attach := make([]time.Duration, 0, b.N)
	detach := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		sb, err := e.c.NewSandbox(fmt.Sprintf("c%d", i))
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
