package nftables

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/firewall"
	"github.com/cnmkit/libnetwork/internal/testutils"
)

// BenchmarkBridgeNetwork adds and deletes one network's rules (one
// transaction each) with n other networks in the table, and reports p50
// and p99 of each: the cost must not grow with n.
func BenchmarkBridgeNetwork(b *testing.B) {
	for _, n := range []int{1, 1000} {
		b.Run(fmt.Sprintf("others=%d", n), func(b *testing.B) {
			testutils.RequireRoot(b)
			h := testutils.SetupTestOSContext(b)
			br, err := NewBridge(h)
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			var nets []firewall.Network
			for i := 0; i < n; i++ {
				nets = append(nets, firewall.Network{Bridge: fmt.Sprintf("bg%d", i), ICC: i%2 == 0, Masquerade: true,
					PoolIPv4: &net.IPNet{IP: net.IPv4(10, byte(i>>8), byte(i), 0), Mask: net.CIDRMask(24, 32)}})
			}
			if err := br.Rebuild(nets); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = br.Rebuild(nil) }()
			var add, del []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				nw := firewall.Network{Bridge: "bench", ICC: true, Masquerade: true,
					PoolIPv4: &net.IPNet{IP: net.IPv4(172, 30, 0, 0), Mask: net.CIDRMask(16, 32)}}
				t0 := time.Now()
				if err := br.AddNetwork(nw); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := br.DelNetwork(nw); err != nil {
					b.Fatal(err)
				}
				add, del = append(add, t1.Sub(t0)), append(del, time.Since(t1))
			}
			b.StopTimer()
			testutils.ReportPercentilesMicro(b, "add", add)
			testutils.ReportPercentilesMicro(b, "del", del)
		})
	}
}
