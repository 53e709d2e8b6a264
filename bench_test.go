package libnetwork

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

// BenchmarkAttachDetach measures, on the null driver, attach (NewSandbox +
// CreateEndpoint + Join) and detach (Leave + Endpoint.Delete +
// Sandbox.Delete), and reports the p50 and p99 of each in milliseconds.
func BenchmarkAttachDetach(b *testing.B) {
	e := newTestEnv(b)
	n := must(e.c.NewNetwork("null", "none", ""))(b)
	attach := make([]time.Duration, 0, b.N)
	detach := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("c%d", i)
		t0 := time.Now()
		sb, err := e.c.NewSandbox(id)
		if err != nil {
			b.Fatal(err)
		}
		ep, err := n.CreateEndpoint(id)
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
		attach = append(attach, t1.Sub(t0))
		detach = append(detach, t2.Sub(t1))
	}
	b.StopTimer()
	reportPercentiles(b, "attach", attach)
	reportPercentiles(b, "detach", detach)
}

func reportPercentiles(b *testing.B, what string, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	pct := func(p float64) float64 {
		i := int(p * float64(len(d)-1))
		return float64(d[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), what+"-p50-ms")
	b.ReportMetric(pct(0.99), what+"-p99-ms")
}
