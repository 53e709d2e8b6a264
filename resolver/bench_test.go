package resolver

import (
	"fmt"
	"net"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/miekg/dns"
	"github.com/vishvananda/netns"
)

const benchClients = 4

// udpClients opens n UDP sockets inside h connected to addr.
func udpClients(b *testing.B, h netns.NsHandle, n int, addr string) []*net.UDPConn {
	b.Helper()
	conns := make([]*net.UDPConn, n)
	testutils.InNS(b, h, func() error {
		ra, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return err
		}
		for i := range conns {
			if conns[i], err = net.DialUDP("udp", nil, ra); err != nil {
				return err
			}
		}
		return nil
	})
	b.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// runClients sends b.N queries for name, split over the clients, each
// waiting for its reply, and reports queries/s and p50/p99 latency.
func runClients(b *testing.B, conns []*net.UDPConn, name string, qtype uint16) {
	queries := make([][]byte, len(conns))
	for i := range conns {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.Id = uint16(i + 1)
		queries[i], _ = m.Pack()
	}
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	errc := make(chan error, len(conns))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i, c := range conns {
		lo, hi := b.N*i/len(conns), b.N*(i+1)/len(conns)
		wg.Go(func() {
			buf := make([]byte, 1500)
			for j := lo; j < hi; j++ {
				t0 := time.Now()
				if _, err := c.Write(queries[i]); err != nil {
					errc <- err
					return
				}
				_ = c.SetReadDeadline(t0.Add(5 * time.Second))
				n, err := c.Read(buf)
				if err != nil {
					errc <- err
					return
				}
				if n < headerLen || buf[0] != queries[i][0] || buf[1] != queries[i][1] || buf[3]&0x0f != 0 {
					errc <- fmt.Errorf("bad reply %x", buf[:n])
					return
				}
				lat[j] = time.Since(t0)
			}
		})
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

// BenchmarkLocalQuery: A queries for a local name from clients inside the
// sandbox, each waiting for its reply.
func BenchmarkLocalQuery(b *testing.B) {
	for _, mode := range []Mode{ModeDNAT, ModeDirect} {
		b.Run(mode.String(), func(b *testing.B) {
			sb := sandbox(b)
			startResolver(b, sb, localBackend(), Config{Mode: mode, Upstreams: []string{"10.53.0.1"}})
			runClients(b, udpClients(b, sb, benchClients, "127.0.0.11:53"), "web.", dns.TypeA)
		})
	}
}

// BenchmarkForwardQuery: A queries for a remote name, forwarded to an
// upstream in another namespace through a veth.
func BenchmarkForwardQuery(b *testing.B) {
	sb := sandbox(b)
	startUpstream(b, linkedNS(b, sb), "10.53.0.1:53", answerA("192.0.2.1"))
	startResolver(b, sb, localBackend(), Config{Upstreams: []string{"10.53.0.1"}})
	runClients(b, udpClients(b, sb, benchClients, "127.0.0.11:53"), "far.example.", dns.TypeA)
}

// BenchmarkLocalQueryFreshSocket: one client that opens a new socket for
// every query, as a stub resolver does; in ModeDNAT each query then sets
// up a conntrack entry.
func BenchmarkLocalQueryFreshSocket(b *testing.B) {
	for _, mode := range []Mode{ModeDNAT, ModeDirect} {
		b.Run(mode.String(), func(b *testing.B) {
			sb := sandbox(b)
			startResolver(b, sb, localBackend(), Config{Mode: mode})
			m := new(dns.Msg)
			m.SetQuestion("web.", dns.TypeA)
			q, _ := m.Pack()
			lat := make([]time.Duration, b.N)
			b.ResetTimer()
			start := time.Now()
			testutils.InNS(b, sb, func() error {
				ra := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 11), Port: 53}
				buf := make([]byte, 1500)
				for j := range lat {
					t0 := time.Now()
					c, err := net.DialUDP("udp", nil, ra)
					if err != nil {
						return err
					}
					if _, err := c.Write(q); err != nil {
						return err
					}
					_ = c.SetReadDeadline(t0.Add(5 * time.Second))
					if _, err := c.Read(buf); err != nil {
						return err
					}
					c.Close()
					lat[j] = time.Since(t0)
				}
				return nil
			})
			elapsed := time.Since(start)
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "qps")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkIdleResolver: the heap an idle, started resolver holds, over K
// resolvers in K namespaces, and the time to start and to stop one.
func BenchmarkIdleResolver(b *testing.B) {
	const k = 32
	for _, mode := range []Mode{ModeDNAT, ModeDirect} {
		b.Run(mode.String(), func(b *testing.B) {
			handles := make([]netns.NsHandle, k)
			for i := range handles {
				_, handles[i] = testutils.NewNS(b, fmt.Sprintf("sb%d", i))
			}
			backend := localBackend()
			var heap, goroutines float64
			var startT, stopT time.Duration
			for n := 0; n < b.N; n++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.GC()
				runtime.ReadMemStats(&before)
				g0 := runtime.NumGoroutine()
				rs := make([]*Resolver, k)
				t0 := time.Now()
				for i, h := range handles {
					r, err := New(backend, Config{Mode: mode, Upstreams: []string{"10.53.0.1"}})
					if err != nil {
						b.Fatal(err)
					}
					if err := r.Start(h); err != nil {
						b.Fatal(err)
					}
					rs[i] = r
				}
				startT += time.Since(t0)
				runtime.GC()
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap += float64(after.HeapAlloc) - float64(before.HeapAlloc)
				goroutines += float64(runtime.NumGoroutine() - g0)
				t0 = time.Now()
				for _, r := range rs {
					r.Stop()
				}
				stopT += time.Since(t0)
			}
			per := float64(b.N * k)
			b.ReportMetric(heap/per/1024, "heapKiB/resolver")
			b.ReportMetric(goroutines/per, "goroutines/resolver")
			b.ReportMetric(float64(startT.Microseconds())/per, "start-µs")
			b.ReportMetric(float64(stopT.Microseconds())/per, "stop-µs")
		})
	}
}
