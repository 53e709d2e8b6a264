package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netns"
)

// mhBenchBuild builds cmd/dnet (without the race detector) for a
// benchmark.
func mhBenchBuild(b *testing.B) dnetBinaries {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "dnet")
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "../../cmd/dnet").CombinedOutput(); err != nil {
		b.Fatalf("build dnet: %v\n%s", err, out)
	}
	return dnetBinaries{daemon: bin, cli: bin}
}

var mhBenchNet = mhNet{id: "mhbench01", name: "bench", subnet: "10.78.0.0/16", vni: "4343"}

// BenchmarkMultiHostJoinReach measures the time from the attach request
// (the Join) of a new container on host 2 until a container on host 1
// completes a TCP handshake with it: the API call, the controller's and
// the overlay driver's join, the gossip carrying the entry to host 1
// and its FDB and neighbour entries. "attach" is the API call alone.
func BenchmarkMultiHostJoinReach(b *testing.B) {
	testutils.RequireRoot(b)
	c := newMHCluster(b, mhBenchBuild(b), 2)
	c.createNetwork(mhBenchNet)
	h1, h2 := c.host(1), c.host(2)
	prober := h1.run(mhBenchNet, "prober", "10.78.255.1")
	var attach, total []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		name := fmt.Sprintf("t%d", i)
		ip := net.ParseIP(fmt.Sprintf("10.78.%d.%d", 1+i/250, 1+i%250))
		ctx, cancel := mhCtx()
		sb, err := h2.cl.CreateSandbox(ctx, api.SandboxCreate{Name: name})
		must(b, err)
		_, err = h2.cl.CreateEndpoint(ctx, mhBenchNet.id, api.EndpointCreate{Name: name, IPv4Address: ip.String()})
		must(b, err)
		// The server listens in the container before it joins.
		sbns, err := netns.GetFromPath(sb.Key)
		must(b, err)
		addr := net.JoinHostPort(ip.String(), "7000")
		var ln net.Listener
		testutils.InNS(b, sbns, func() (err error) { ln, err = net.Listen("tcp", ":7000"); return err })
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				conn.Close()
			}
		}()
		b.StartTimer()
		start := time.Now()
		_, err = h2.cl.Attach(ctx, name, mhBenchNet.id, name)
		attached := time.Since(start)
		must(b, err)
		deadline := start.Add(30 * time.Second)
		for {
			err := connectFrom(prober.ns, addr, 2*time.Second)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s never reached: %v", addr, err)
			}
		}
		total = append(total, time.Since(start))
		attach = append(attach, attached)
		b.StopTimer()
		ln.Close()
		sbns.Close()
		must(b, h2.cl.DeleteSandbox(ctx, name))
		cancel()
		b.StartTimer()
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "join-reach", total)
	testutils.ReportPercentiles(b, "attach", attach)
	c.removeAll(mhBenchNet)
}

// connectFrom completes one TCP handshake from inside h with addr.
func connectFrom(h netns.NsHandle, addr string, timeout time.Duration) error {
	return ns.WithNetNS(h, func() error {
		c, err := net.DialTimeout("tcp", addr, timeout)
		if err != nil {
			return err
		}
		return c.Close()
	})
}

// BenchmarkMultiHostThroughput measures TCP throughput with iperf3 (-t 2)
// between containers on two hosts over the overlay, and between the same
// two hosts over the underlay, in the same run.
func BenchmarkMultiHostThroughput(b *testing.B) {
	testutils.RequireRoot(b)
	if _, err := exec.LookPath("iperf3"); err != nil {
		b.Skip("skipped: iperf3 is not installed")
	}
	c := newMHCluster(b, mhBenchBuild(b), 2)
	c.createNetwork(mhOverlay)
	h1, h2 := c.host(1), c.host(2)
	c1 := h1.run(mhOverlay, "c1", "10.77.0.11")
	c2 := h2.run(mhOverlay, "c2", "10.77.0.12")
	mhPoll(b, "c1 reaches c2", mhBound, func() error { return testutils.Ping(c1.ns, c2.ip, 500*time.Millisecond) })
	srvOverlay := startIperfServer(b, c2.ns, c2.ip, 5201)
	srvUnderlay := startIperfServer(b, h2.ns, h2.ip, 5202)
	var over, under float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		over += iperfClient(b, c1.ns, c2.ip, 5201)
		under += iperfClient(b, h1.ns, h2.ip, 5202)
	}
	b.StopTimer()
	over, under = over/float64(b.N), under/float64(b.N)
	b.ReportMetric(over/1e9, "overlay-Gbit/s")
	b.ReportMetric(under/1e9, "underlay-Gbit/s")
	b.ReportMetric(100*over/under, "overlay-%-of-underlay")
	srvOverlay()
	srvUnderlay()
	c.removeAll(mhOverlay)
}

// startIperfServer starts an iperf3 server inside h on ip:port and
// returns its stop function (it ends the server by its PID).
func startIperfServer(b *testing.B, h netns.NsHandle, ip net.IP, port int) func() {
	b.Helper()
	cmd := exec.Command("iperf3", "-s", "-B", ip.String(), "-p", itoa(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	testutils.InNS(b, h, cmd.Start)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop := func() {
		select {
		case <-done:
		default:
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	b.Cleanup(stop)
	mhPoll(b, "iperf3 server on "+ip.String(), 10*time.Second, func() error {
		select {
		case <-done:
			return fmt.Errorf("iperf3 server exited: %s", out.String())
		default:
		}
		return connectFrom(h, net.JoinHostPort(ip.String(), itoa(port)), time.Second)
	})
	return stop
}

// iperfClient runs a 2-second iperf3 test from inside h against ip:port
// and returns the received bits per second.
func iperfClient(b *testing.B, h netns.NsHandle, ip net.IP, port int) float64 {
	b.Helper()
	var out []byte
	err := ns.WithNetNS(h, func() (err error) {
		out, err = exec.Command("iperf3", "-c", ip.String(), "-p", itoa(port), "-t", "2", "-J").Output()
		return err
	})
	var res struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if jerr := json.Unmarshal(out, &res); jerr != nil || err != nil || res.Error != "" {
		b.Fatalf("iperf3 to %s:%d: %v %v %s: %s", ip, port, err, jerr, res.Error, strings.TrimSpace(string(out)))
	}
	return res.End.SumReceived.BitsPerSecond
}
