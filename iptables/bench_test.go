package iptables

import (
	"fmt"
	"sort"
	"testing"
	"time"
)

// BenchmarkBatch measures one iptables-restore batch adding (and one
// deleting) three rules in two tables, per backend present.
func BenchmarkBatch(b *testing.B) {
	for _, vr := range variants(b, false) {
		b.Run(vr.name, func(b *testing.B) {
			ipt := newTable(b, IPv4, WithCommand(vr.cmd), WithPrefix("CNMKITBB"))
			defer ipt.RemoveAll("CNMKITBB")
			nat, filt := ipt.ChainName("N"), ipt.ChainName("F")
			if err := ipt.NewBatch().NewChain(Nat, nat).NewChain(Filter, filt).Commit(); err != nil {
				b.Fatal(err)
			}
			var add, del []time.Duration
			for i := 0; i < b.N; i++ {
				port := fmt.Sprint(1000 + i%1000)
				bt := func() *Batch { return ipt.NewBatch() }
				rules := func(x *Batch, f func(*Batch, Table, string, ...string) *Batch) *Batch {
					f(x, Nat, nat, "-p", "tcp", "-m", "tcp", "--dport", port, "-j", "DNAT", "--to-destination", "10.1.0.2:80")
					f(x, Nat, nat, "-s", "10.1.0.2/32", "-d", "10.1.0.2/32", "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "MASQUERADE")
					return f(x, Filter, filt, "-d", "10.1.0.2/32", "-p", "tcp", "-m", "tcp", "--dport", port, "-j", "ACCEPT")
				}
				t0 := time.Now()
				if err := rules(bt(), (*Batch).Append).Commit(); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := rules(bt(), (*Batch).Delete).Commit(); err != nil {
					b.Fatal(err)
				}
				add, del = append(add, t1.Sub(t0)), append(del, time.Since(t1))
			}
			for name, d := range map[string][]time.Duration{"add": add, "delete": del} {
				sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
				b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, name+"-p50-ms")
				b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, name+"-p99-ms")
			}
		})
	}
}
