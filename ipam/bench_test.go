package ipam

import (
	"net"
	"slices"
	"testing"
	"time"
)

// benchFill requests addresses from a /16, starting a fresh pool (outside
// the timer) whenever it is full, so b.N may exceed 65,534.
func benchFill(b *testing.B, opts map[string]string) {
	a := newAlloc(b)
	id := mustPool(b, a, "LocalDefault", "10.10.0.0/16", "", false)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := a.RequestAddress(id, nil, opts); err != nil {
			b.StopTimer()
			if err := a.ReleasePool(id); err != nil {
				b.Fatal(err)
			}
			id = mustPool(b, a, "LocalDefault", "10.10.0.0/16", "", false)
			b.StartTimer()
		}
	}
}

// BenchmarkRequestAddress is the cost of one address while filling a /16.
func BenchmarkRequestAddress(b *testing.B) { benchFill(b, nil) }

// BenchmarkRequestAddressSerial is BenchmarkRequestAddress in serial mode.
func BenchmarkRequestAddressSerial(b *testing.B) { benchFill(b, serialOpt) }

// BenchmarkRequestAddressParallel fills a /16 from GOMAXPROCS goroutines.
func BenchmarkRequestAddressParallel(b *testing.B) {
	a := newAlloc(b)
	id := mustPool(b, a, "LocalDefault", "10.10.0.0/16", "", false)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n, _, err := a.RequestAddress(id, nil, nil)
			if err == nil {
				// Keep the pool from filling up: release every address.
				_ = a.ReleaseAddress(id, n.IP)
			}
		}
	})
}

// BenchmarkRequestReleaseAddress is one request and one release in a pool
// kept half full.
func BenchmarkRequestReleaseAddress(b *testing.B) {
	a := newAlloc(b)
	id := mustPool(b, a, "LocalDefault", "10.10.0.0/16", "", false)
	for range 32767 {
		mustAddr(b, a, id, nil, nil)
	}
	b.ReportAllocs()
	for b.Loop() {
		n, _, err := a.RequestAddress(id, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.ReleaseAddress(id, n.IP); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRequestAddressLatency reports the p50 and p99 latency of one
// request while filling a /16.
func BenchmarkRequestAddressLatency(b *testing.B) {
	a := newAlloc(b)
	id := mustPool(b, a, "LocalDefault", "10.10.0.0/16", "", false)
	lat := make([]time.Duration, 0, 1<<16)
	for b.Loop() {
		t0 := time.Now()
		_, _, err := a.RequestAddress(id, nil, nil)
		d := time.Since(t0)
		if err != nil {
			b.StopTimer()
			_ = a.ReleasePool(id)
			id = mustPool(b, a, "LocalDefault", "10.10.0.0/16", "", false)
			b.StartTimer()
			continue
		}
		if len(lat) < cap(lat) {
			lat = append(lat, d)
		}
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
}

// BenchmarkRequestPool is the cost of an automatic pool from the 65,536
// global /24s, with more and more pools in use (all released, outside the
// timer, when they run out).
func BenchmarkRequestPool(b *testing.B) {
	a := newAlloc(b)
	var ids []string
	b.ReportAllocs()
	for b.Loop() {
		id, _, _, err := a.RequestPool("GlobalDefault", "", "", nil, false)
		if err != nil {
			b.StopTimer()
			for _, id := range ids {
				_ = a.ReleasePool(id)
			}
			ids = ids[:0]
			b.StartTimer()
			continue
		}
		ids = append(ids, id)
	}
}

// BenchmarkRequestPoolExplicit requests and releases an explicit pool next
// to 1,000 pools in use.
func BenchmarkRequestPoolExplicit(b *testing.B) {
	a := newAlloc(b)
	for range 1000 {
		mustPool(b, a, "GlobalDefault", "", "", false)
	}
	_, nw, _ := net.ParseCIDR("10.200.0.0/16")
	b.ReportAllocs()
	for b.Loop() {
		id, _, _, err := a.RequestPool("GlobalDefault", nw.String(), "", nil, false)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.ReleasePool(id); err != nil {
			b.Fatal(err)
		}
	}
}
