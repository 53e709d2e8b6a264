package libnetwork

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

// BenchmarkGlobalEndpointCreate: endpoint create (and delete) on a network
// of the cluster store, against a local one-member etcd; goal p50 ≤ 5 ms
// for the create.
func BenchmarkGlobalEndpointCreate(b *testing.B) {
	_, tc := globalCluster(b, "a")
	a := tc.nodes["a"].c
	nw := must(a.NewNetwork(gossipType, "gnet", "", poolOption("10.80.0.0/16")))(b)
	create := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		ep, err := nw.CreateEndpoint(fmt.Sprintf("ep%d", i))
		if err != nil {
			b.Fatal(err)
		}
		create = append(create, time.Since(t0))
		if err := ep.Delete(false); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "create", create)
}

// BenchmarkGlobalNetworkVisible: a network created on one host until it is
// listed on another; goal p50 ≤ 500 ms.
func BenchmarkGlobalNetworkVisible(b *testing.B) {
	_, tc := globalCluster(b, "a", "b")
	a, o := tc.nodes["a"].c, tc.nodes["b"].c
	seen := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("vis%d", i)
		t0 := time.Now()
		nw := must(a.NewNetwork(gossipType, name, "", poolOption("10.81.0.0/24")))(b)
		waitNetwork(b, o, name)
		seen = append(seen, time.Since(t0))
		if err := nw.Delete(); err != nil {
			b.Fatal(err)
		}
		eventually(b, name+" gone from b", func() bool {
			_, err := o.NetworkByName(name)
			return err != nil
		})
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "visible", seen)
}

// BenchmarkGlobalParallelCreate: 50 endpoints created at once on each of
// three controllers on one etcd (150 at once), until all are done; goal
// ≤ 3 s.
func BenchmarkGlobalParallelCreate(b *testing.B) {
	_, tc := globalCluster(b, "a", "b", "c")
	var nws []Network
	nws = append(nws, must(tc.nodes["a"].c.NewNetwork(gossipType, "gnet", "", poolOption("10.85.0.0/22")))(b))
	for _, h := range []string{"b", "c"} {
		nws = append(nws, waitNetwork(b, tc.nodes[h].c, "gnet"))
	}
	const perHost = 50
	total := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		eps := make(chan Endpoint, 3*perHost)
		t0 := time.Now()
		for _, nw := range nws {
			for j := 0; j < perHost; j++ {
				wg.Add(1)
				go func(nw Network, j int) {
					defer wg.Done()
					ep, err := nw.CreateEndpoint(fmt.Sprintf("ep%d-%d", i, j))
					if err != nil {
						b.Error(err)
						return
					}
					eps <- ep
				}(nw, j)
			}
		}
		wg.Wait()
		total = append(total, time.Since(t0))
		close(eps)
		b.StopTimer()
		for ep := range eps {
			if err := ep.Delete(false); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "150-creates", total)
}
