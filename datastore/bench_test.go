package datastore_test

import (
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/datastore/memkv"
	"github.com/cnmkit/libnetwork/internal/testutils"
)

// latencies records per-op durations and reports p50 and p99.
type latencies []time.Duration

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	b.ReportMetric(float64(l[len(l)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(l[len(l)*99/100].Nanoseconds()), "p99-ns")
}

// benchStores are the stores the benchmarks compare; global-etcd is a
// real etcd on loopback (skipped where etcd is not installed).
var benchStores = []string{"local-boltdb", "global-memkv", "global-etcd"}

func benchStore(b *testing.B, kind string) datastore.DataStore {
	switch kind {
	case "local-boltdb":
		return openLocal(b, b.TempDir())
	case "global-memkv":
		srv := memkv.Serve(b.Name())
		b.Cleanup(srv.Stop)
		return openGlobal(b, b.Name(), 5*time.Second)
	}
	return openEtcd(b, testutils.StartEtcd(b, nil).ClientAddr, 5*time.Second)
}

// BenchmarkPutObjectAtomic updates one object with CAS (a disk write with
// fsync for boltdb; one etcd transaction, fsynced by the member, for etcd).
func BenchmarkPutObjectAtomic(b *testing.B) {
	for _, name := range benchStores {
		b.Run(name, func(b *testing.B) {
			ds := benchStore(b, name)
			o := newObj("a", 0, "tag")
			if err := ds.PutObjectAtomic(o); err != nil {
				b.Fatal(err)
			}
			lat := make(latencies, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				o.Count = i
				start := time.Now()
				if err := ds.PutObjectAtomic(o); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			lat.report(b)
		})
	}
}

// BenchmarkGetObject reads one of 1000 objects (from the cache for the
// local scope).
func BenchmarkGetObject(b *testing.B) {
	for _, name := range benchStores {
		b.Run(name, func(b *testing.B) {
			ds := benchStore(b, name)
			const n = 1000
			keys := make([]string, n)
			for i := 0; i < n; i++ {
				o := newObj(strconv.Itoa(i), i, "tag")
				if err := ds.PutObjectAtomic(o); err != nil {
					b.Fatal(err)
				}
				keys[i] = datastore.Key(o.Key()...)
			}
			o := newObj("", 0)
			lat := make(latencies, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if err := ds.GetObject(keys[i%n], o); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			lat.report(b)
		})
	}
}
