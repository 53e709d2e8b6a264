package nft

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

// BenchmarkMapElem adds and deletes one element of a DNAT map that holds
// n others, each in its own transaction, and reports p50 and p99 of each.
func BenchmarkMapElem(b *testing.B) {
	for _, n := range []int{0, 5000} {
		b.Run(fmt.Sprintf("others=%d", n), func(b *testing.B) {
			testutils.RequireRoot(b)
			h := testutils.SetupTestOSContext(b)
			c, err := Open(h)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			if err := c.Commit(dnatTable()); err != nil {
				b.Fatal(err)
			}
			fill := &Batch{}
			for i := 0; i < n; i++ {
				fill.AddElems(IPv4, testTable, "ports", portElem(net.IPv4(10, 0, byte(i>>8), byte(i)), 80, net.IPv4(127, 0, 0, 1), 80))
			}
			if err := c.Commit(fill); err != nil {
				b.Fatal(err)
			}
			var add, del []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e := portElem(net.IPv4(127, 0, 0, 2), 1+i%60000, net.IPv4(127, 0, 0, 1), 80)
				t0 := time.Now()
				if err := c.Commit((&Batch{}).AddElems(IPv4, testTable, "ports", e)); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := c.Commit((&Batch{}).DelElems(IPv4, testTable, "ports", e)); err != nil {
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
