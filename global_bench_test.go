package libnetwork

import (
	"fmt"
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
