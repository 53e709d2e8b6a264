package libnetwork

import (
	"fmt"
	"github.com/cnmkit/libnetwork/internal/testutils"
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
	testutils.ReportPercentiles(b, "attach", attach)
	testutils.ReportPercentiles(b, "detach", detach)
}
