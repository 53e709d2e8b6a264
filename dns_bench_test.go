package libnetwork

import (
	"fmt"
	"net"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/miekg/dns"
)

// BenchmarkSandboxDNS measures the embedded DNS server end to end, through
// the controller's service records:
//   - query: A queries for a peer's name from 4 clients inside a sandbox's
//     namespace, each waiting for its reply: queries/s, p50 and p99;
//   - idle: the heap and goroutines an idle server holds (K sandboxes
//     joined to a network with DNS, measured with their servers running
//     and then stopped), and the time of a sandbox's first join to such a
//     network, which starts its server.
func BenchmarkSandboxDNS(b *testing.B) {
	for _, direct := range []bool{false, true} {
		mode := "dnat"
		if direct {
			mode = "direct"
		}
		b.Run("query-"+mode, func(b *testing.B) { benchDNSQuery(b, direct) })
		b.Run("idle-"+mode, func(b *testing.B) { benchDNSIdle(b, direct) })
	}
}

func benchDNSQuery(b *testing.B, direct bool) {
	e := newTestEnv(b, config.OptionDNSDirectBind(direct))
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	var client Sandbox
	for _, name := range []string{"client", "peer", "other1", "other2"} {
		sb := must(e.c.NewSandbox(name))(b)
		check(b, must(n.CreateEndpoint(name))(b).Join(sb))
		if client == nil {
			client = sb
		}
	}
	h := sbNS(b, client)
	const clients = 4
	conns := make([]*net.UDPConn, clients)
	testutils.InNS(b, h, func() error {
		ra := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 11), Port: 53}
		for i := range conns {
			var err error
			if conns[i], err = net.DialUDP("udp", nil, ra); err != nil {
				return err
			}
		}
		return nil
	})
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	queries := make([][]byte, clients)
	for i := range queries {
		m := new(dns.Msg)
		m.SetQuestion("peer.", dns.TypeA)
		m.Id = uint16(i + 1)
		queries[i], _ = m.Pack()
	}
	lat := make([]time.Duration, b.N)
	errc := make(chan error, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i, c := range conns {
		lo, hi := b.N*i/clients, b.N*(i+1)/clients
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1500)
			for j := lo; j < hi; j++ {
				t0 := time.Now()
				if _, err := c.Write(queries[i]); err != nil {
					errc <- err
					return
				}
				_ = c.SetReadDeadline(t0.Add(5 * time.Second))
				k, err := c.Read(buf)
				if err != nil {
					errc <- err
					return
				}
				var m dns.Msg
				if err := m.Unpack(buf[:k]); err != nil || m.Rcode != dns.RcodeSuccess || len(m.Answer) != 1 {
					errc <- fmt.Errorf("bad reply %v: %v", err, m.String())
					return
				}
				lat[j] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	select {
	case err := <-errc:
		b.Fatal(err)
	default:
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "qps")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func benchDNSIdle(b *testing.B, direct bool) {
	const k = 16
	e := newTestEnv(b, config.OptionDNSDirectBind(direct))
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	var heap, goroutines float64
	var joins []time.Duration
	for i := 0; i < b.N; i++ {
		sbs := make([]*sandbox, k)
		eps := make([]Endpoint, k)
		for j := range sbs {
			name := fmt.Sprintf("c%d-%d", i, j)
			sbs[j] = must(e.c.NewSandbox(name))(b).(*sandbox)
			eps[j] = must(n.CreateEndpoint(name))(b)
			t0 := time.Now()
			check(b, eps[j].Join(sbs[j]))
			joins = append(joins, time.Since(t0))
			if sbs[j].dns.resolver == nil {
				b.Fatal("no embedded DNS server")
			}
		}
		running, g1 := heapNow(), runtime.NumGoroutine()
		for _, sb := range sbs {
			sb.stopResolver(false)
		}
		stopped, g0 := heapNow(), runtime.NumGoroutine()
		heap += (running - stopped) / k
		goroutines += float64(g1-g0) / k
		for j, sb := range sbs {
			check(b, eps[j].Leave(sb))
			check(b, eps[j].Delete(false))
			check(b, sb.Delete())
		}
	}
	b.ReportMetric(heap/float64(b.N), "heap-B/resolver")
	b.ReportMetric(goroutines/float64(b.N), "goroutines/resolver")
	slices.Sort(joins)
	b.ReportMetric(float64(joins[len(joins)/2].Microseconds())/1000, "first-join-p50-ms")
	b.ReportMetric(float64(joins[len(joins)*99/100].Microseconds())/1000, "first-join-p99-ms")
}

func heapNow() float64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc)
}
