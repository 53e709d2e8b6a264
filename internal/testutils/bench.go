package testutils

import (
	"sort"
	"testing"
	"time"
)

// ReportPercentiles reports the p50 and p99 of ds (sorted in place) as the
// metrics name-p50-ms and name-p99-ms (p50-ms and p99-ms without a name).
func ReportPercentiles(b *testing.B, name string, ds []time.Duration) {
	reportIn(b, name, ds, time.Millisecond, "ms")
}

// ReportPercentilesMicro is ReportPercentiles in microseconds (-µs).
func ReportPercentilesMicro(b *testing.B, name string, ds []time.Duration) {
	reportIn(b, name, ds, time.Microsecond, "µs")
}

func reportIn(b *testing.B, name string, ds []time.Duration, unit time.Duration, unitName string) {
	if len(ds) == 0 {
		return
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	prefix := ""
	if name != "" {
		prefix = name + "-"
	}
	for _, p := range []struct {
		q    float64
		name string
	}{{0.5, "p50"}, {0.99, "p99"}} {
		d := ds[int(p.q*float64(len(ds)-1))]
		b.ReportMetric(float64(d)/float64(unit), prefix+p.name+"-"+unitName)
	}
}
