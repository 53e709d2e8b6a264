package portmapper

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

// BenchmarkMapUnmap measures Map and Unmap of a TCP port (proxy off) with 0
// and with 5,000 unrelated rules installed in a test chain of the nat table:
// the cost per mapping must stay flat.
func BenchmarkMapUnmap(b *testing.B) {
	testutils.RequireRoot(b)
	for _, n := range []int{0, 5000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			tp := newTopo(b, nil, false)
			ipt := newIPT(b, nil, false)
			if n > 0 {
				installUnrelated(b, ipt.ChainName("BENCH"), n)
			}
			pm, err := newPM(Options{IPTable4: ipt, Allocator: newAlloc(b)})
			if err != nil {
				b.Fatal(err)
			}
			defer pm.Close()
			ctr := &net.TCPAddr{IP: tp.ctrIP, Port: 80}
			mapT := make([]time.Duration, 0, b.N)
			unmapT := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				h, err := pm.MapRange(ctr, nil, 8080, 0, false)
				t1 := time.Now()
				if err != nil {
					b.Fatal(err)
				}
				if err := pm.Unmap(h); err != nil {
					b.Fatal(err)
				}
				mapT = append(mapT, t1.Sub(t0))
				unmapT = append(unmapT, time.Since(t1))
			}
			b.StopTimer()
			testutils.ReportPercentiles(b, "map", mapT)
			testutils.ReportPercentiles(b, "unmap", unmapT)
		})
	}
}

// BenchmarkUnmapMany measures removing n mappings (TCP, proxy off, each on
// its own container port) with one UnmapMany call ("many"), against n Unmap
// calls ("loop"). Metrics: p50/p99 per call (all n mappings) and p50 per
// mapping.
func BenchmarkUnmapMany(b *testing.B) {
	testutils.RequireRoot(b)
	for _, n := range []int{1, 10, 50} {
		for _, mode := range []string{"many", "loop"} {
			b.Run(fmt.Sprintf("n=%d/%s", n, mode), func(b *testing.B) {
				tp := newTopo(b, nil, false)
				ipt := newIPT(b, nil, false)
				pm, err := newPM(Options{IPTable4: ipt, Allocator: newAlloc(b)})
				if err != nil {
					b.Fatal(err)
				}
				defer pm.Close()
				calls := make([]time.Duration, 0, b.N)
				hosts := make([]net.Addr, n)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					for j := range hosts {
						if hosts[j], err = pm.MapRange(&net.TCPAddr{IP: tp.ctrIP, Port: 1000 + j}, nil, 0, 0, false); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
					t0 := time.Now()
					if mode == "many" {
						err = pm.UnmapMany(hosts)
					} else {
						for _, h := range hosts {
							if err = pm.Unmap(h); err != nil {
								break
							}
						}
					}
					calls = append(calls, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				per := make([]time.Duration, len(calls))
				for i, d := range calls {
					per[i] = d / time.Duration(n)
				}
				testutils.ReportPercentiles(b, "call", calls)
				testutils.ReportPercentiles(b, "mapping", per)
			})
		}
	}
}

func installUnrelated(b *testing.B, chain string, n int) {
	b.Helper()
	var in strings.Builder
	in.WriteString("*nat\n:" + chain + " - [0:0]\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&in, "-A %s -s 10.200.%d.%d/32 -p tcp -m tcp --dport %d -j RETURN\n", chain, i/250, i%250+1, 1000+i%1000)
	}
	in.WriteString("COMMIT\n")
	cmd := exec.Command("iptables-restore", "--noflush", "-w")
	cmd.Stdin = strings.NewReader(in.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("install %d rules: %v: %s", n, err, out)
	}
}
