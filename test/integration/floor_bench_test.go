package integration

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
)

// projectDeferred is how long after its last detach the project may still
// have work queued on timers (the bridge driver's reaper runs 2 s after a
// leave, the sandbox's removal of left interfaces 1 s after): the
// process's part of a project window stays open that long, so that the
// work is counted where it belongs.
const projectDeferred = 2*time.Second + 200*time.Millisecond

// hostPrefix starts the project's veth host ends (drivers/bridge).
const hostPrefix = "cnmv"

// BenchmarkFloorLifecycle compares, in the same run, the project's
// container lifecycle (NewSandbox + CreateEndpoint + Join, then Leave +
// endpoint Delete + sandbox Delete, one published port) on a bridge
// network with n containers attached, with the floor: the same kernel
// objects made with raw netlink and no bookkeeping (floor). Both are
// timed (attach and detach p50/p99) and CPU-counted: the process's rusage
// plus the kernel threads' run time, until the veth pairs and namespaces
// are gone (and, for the project, its timers have fired). The two run in
// alternating chunks so that the machine's load falls on both alike.
func BenchmarkFloorLifecycle(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { benchFloor(b, n) })
	}
}

// floorBench is a bridge network with n containers and a floor on its bridge.
type floorBench struct {
	e    *bridgeEnv
	net  libnetwork.Network
	opts []libnetwork.SandboxOption
	w    *linkWatch
	f    *floor
	n    int
}

func newFloorBench(b testing.TB, n int) *floorBench {
	e := newBridgeEnv(b, fullBridge())
	fb := &floorBench{e: e, net: e.network("bench", "10.200.0.0/16", nil), n: n,
		opts: []libnetwork.SandboxOption{portMap(types.PortBinding{Proto: types.TCP, Port: 80})}}
	for i := 0; i < n; i++ {
		e.run(fb.net, fmt.Sprintf("bg%d", i), fb.opts...)
	}
	br, err := e.hnl.LinkByName("cnm-" + fb.net.ID()[:11])
	if err != nil {
		b.Fatal(err)
	}
	fb.w = watchLinks(b, e.host)
	fb.f = newFloor(b, e.host, br.Attrs().Index, net.IPv4(10, 200, 0, 1))
	return fb
}

// floorIP is the address of floor container i, far above the project's.
func floorIP(i int) net.IP { return net.IPv4(10, 200, byte(128+i/250%100), byte(2+i%250)) }

func benchFloor(b *testing.B, n int) {
	fb := newFloorBench(b, n)
	var fm, pm cpuMeter
	var fa, fd, pa, pd []time.Duration
	const chunk = 25
	// The process's CPU while idle, for the project's windows that wait
	// for its timers.
	idle := procCPU()
	time.Sleep(projectDeferred)
	idle = procCPU() - idle
	b.ResetTimer()
	for done := 0; done < b.N; done += chunk {
		c := min(chunk, b.N-done)
		fm.begin()
		for i := done; i < done+c; i++ {
			t0 := time.Now()
			ct, err := fb.f.attach(i, floorIP(i))
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if err := fb.f.detach(ct); err != nil {
				b.Fatal(err)
			}
			fa, fd = append(fa, t1.Sub(t0)), append(fd, time.Since(t1))
		}
		if err := fb.w.waitCount(floorPrefix, 0, 10*time.Second); err != nil {
			ls, _ := fb.e.hnl.LinkList()
			for _, l := range ls {
				if strings.HasPrefix(l.Attrs().Name, floorPrefix) {
					b.Log("kernel has", l.Attrs().Name)
				}
			}
			b.Fatal(err)
		}
		fm.stopProc()
		fm.stopKernel()

		pm.begin()
		for i := done; i < done+c; i++ {
			a, d := fb.lifecycle(b, i)
			pa, pd = append(pa, a), append(pd, d)
		}
		last := time.Now()
		if err := fb.w.waitCount(hostPrefix, n, 10*time.Second); err != nil {
			b.Fatal(err)
		}
		pm.stopKernel()
		time.Sleep(time.Until(last.Add(projectDeferred)))
		pm.stopProc()
	}
	b.StopTimer()
	reportFloor(b, b.N, &fm, &pm, fa, fd, pa, pd)
	b.ReportMetric(float64(idle)/float64(time.Millisecond), "idle-proc-cpu-ms")
}

// lifecycle runs the project's lifecycle of container i and returns the
// attach and detach times.
func (fb *floorBench) lifecycle(b *testing.B, i int) (time.Duration, time.Duration) {
	t0 := time.Now()
	ep, sb, err := fb.attach(i)
	if err != nil {
		b.Fatal(err)
	}
	t1 := time.Now()
	if err := fb.detach(ep, sb); err != nil {
		b.Fatal(err)
	}
	return t1.Sub(t0), time.Since(t1)
}

// attach creates the sandbox and the endpoint of container i and joins them.
func (fb *floorBench) attach(i int) (libnetwork.Endpoint, libnetwork.Sandbox, error) {
	sb, err := fb.e.c.NewSandbox(fmt.Sprintf("c%d", i), fb.opts...)
	if err != nil {
		return nil, nil, err
	}
	ep, err := fb.net.CreateEndpoint(fmt.Sprintf("ep%d", i), serial)
	if err != nil {
		return nil, nil, err
	}
	return ep, sb, ep.Join(sb)
}

// detach leaves and deletes the endpoint and deletes the sandbox.
func (fb *floorBench) detach(ep libnetwork.Endpoint, sb libnetwork.Sandbox) error {
	if err := ep.Leave(sb); err != nil {
		return err
	}
	if err := ep.Delete(false); err != nil {
		return err
	}
	return sb.Delete()
}

func reportFloor(b *testing.B, n int, fm, pm *cpuMeter, fa, fd, pa, pd []time.Duration) {
	fproc, fkern, ftot := fm.perLifecycle(n)
	pproc, pkern, ptot := pm.perLifecycle(n)
	b.ReportMetric(fproc, "floor-proc-cpu-ms")
	b.ReportMetric(fkern, "floor-kthread-cpu-ms")
	b.ReportMetric(ftot, "floor-cpu-ms")
	b.ReportMetric(pproc, "proj-proc-cpu-ms")
	b.ReportMetric(pkern, "proj-kthread-cpu-ms")
	b.ReportMetric(ptot, "proj-cpu-ms")
	if ftot > 0 {
		b.ReportMetric(ptot/ftot, "cpu-ratio")
	}
	fa50 := pct(fa, 0.5)
	testutils.ReportPercentiles(b, "floor-attach", fa)
	testutils.ReportPercentiles(b, "floor-detach", fd)
	testutils.ReportPercentiles(b, "proj-attach", pa)
	testutils.ReportPercentiles(b, "proj-detach", pd)
	if fa50 > 0 {
		b.ReportMetric(float64(pct(pa, 0.5))/float64(fa50), "attach-p50-ratio")
	}
}

// pct returns the q-quantile of ds (which it sorts).
func pct(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[int(q*float64(len(s)-1))]
}

// BenchmarkBridgeParallel measures, on one bridge network with 100
// containers, in the same run: attaches per second one at a time and with
// 8 in flight (goroutines), and the lifecycles per second of a churn (each
// container attached then detached) one at a time and with 8 in flight.
// Run it with -benchtime=1000x for the 1,000-container churn.
func BenchmarkBridgeParallel(b *testing.B) {
	fb := newFloorBench(b, 100)
	b.ResetTimer()
	seqA := fb.attachAll(b, b.N, 1, 0)
	parA := fb.attachAll(b, b.N, 8, b.N)
	seqC := fb.churn(b, b.N, 1, 2*b.N)
	parC := fb.churn(b, b.N, 8, 3*b.N)
	b.StopTimer()
	b.ReportMetric(seqA, "attach/s-1")
	b.ReportMetric(parA, "attach/s-8")
	b.ReportMetric(parA/seqA, "attach-speedup")
	b.ReportMetric(seqC, "lifecycle/s-1")
	b.ReportMetric(parC, "lifecycle/s-8")
	b.ReportMetric(parC/seqC, "lifecycle-speedup")
}

// inFlight runs fn(i) for i in [base, base+n) on k goroutines and returns
// the rate per second.
func inFlight(n, k, base int, fn func(i int)) float64 {
	var next atomic.Int64
	next.Store(int64(base))
	var wg sync.WaitGroup
	t0 := time.Now()
	for g := 0; g < k; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= base+n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(t0).Seconds()
}

// attachAll attaches n containers with k in flight, at most maxAttached
// at once (a bridge has at most 1024 ports), and returns the attaches per
// second; the detaches between rounds are not timed.
func (fb *floorBench) attachAll(b *testing.B, n, k, base int) float64 {
	const maxAttached = 400
	var busy time.Duration
	for done := 0; done < n; done += maxAttached {
		m := min(maxAttached, n-done)
		eps := make([]libnetwork.Endpoint, m)
		sbs := make([]libnetwork.Sandbox, m)
		first := base + done
		t0 := time.Now()
		inFlight(m, k, first, func(i int) {
			var err error
			if eps[i-first], sbs[i-first], err = fb.attach(i); err != nil {
				b.Error(err)
			}
		})
		busy += time.Since(t0)
		b.StopTimer()
		inFlight(m, k, 0, func(i int) {
			if eps[i] != nil {
				if err := fb.detach(eps[i], sbs[i]); err != nil {
					b.Error(err)
				}
			}
		})
		if b.Failed() {
			b.FailNow()
		}
		if err := fb.w.waitCount(hostPrefix, fb.n, 30*time.Second); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	return float64(n) / busy.Seconds()
}

// churn runs n lifecycles with k in flight and returns lifecycles per
// second, counted until the kernel has freed their links.
func (fb *floorBench) churn(b *testing.B, n, k, base int) float64 {
	t0 := time.Now()
	inFlight(n, k, base, func(i int) {
		ep, sb, err := fb.attach(i)
		if err == nil {
			err = fb.detach(ep, sb)
		}
		if err != nil {
			b.Error(err)
		}
	})
	if b.Failed() {
		b.FailNow()
	}
	if err := fb.w.waitCount(hostPrefix, fb.n, 30*time.Second); err != nil {
		b.Fatal(err)
	}
	return float64(n) / time.Since(t0).Seconds()
}
