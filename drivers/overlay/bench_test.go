package overlay

import (
	"encoding/json"
	"fmt"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// BenchmarkJoinToReachable measures the time from Join on host 2 until a
// container on host 1 completes a TCP handshake with the new container:
// the driver's Join, the sandbox's interface setup (osl), the fake gossip
// delivering the entry to both drivers' EventNotify, and the connection.
// "warm": host 2 already has an endpoint on the network; "cold": the join
// is the network's first on host 2 and builds its overlay namespace (a
// fresh network per iteration, so no VXLAN ID waits for a released one).
func BenchmarkJoinToReachable(b *testing.B) {
	for _, mode := range []string{"warm", "cold"} {
		b.Run(mode, func(b *testing.B) {
			c := newCluster(b, 2, clusterOpts{})
			h1, h2 := c.hosts[0], c.hosts[1]
			var join, ready, total []time.Duration
			var prober *container
			// Warm: one network 10.100.0.0/16, a new address each time.
			// Cold: network i is 10.a.b.0/24 (gateway .1), prober .3, target .2.
			setupNet := func(i int) netSpec {
				sub := "10.100.0.0/16"
				proberIP := "10.100.255.1/16"
				if mode == "cold" {
					sub = fmt.Sprintf("10.%d.%d.0/24", 100+i/250, i%250)
					proberIP = fmt.Sprintf("10.%d.%d.3/24", 100+i/250, i%250)
				}
				n := netSpec{id: fmt.Sprintf("b%s%d", mode, i), vnis: strconv.Itoa(7000 + i), v4: []string{sub}}
				c.createNet(n)
				prober = c.newContainer(h1, fmt.Sprintf("prober%d", i))
				c.endpoint(prober, n.id, fmt.Sprintf("prober%d", i), proberIP, "")
				c.join(prober)
				return n
			}
			n := setupNet(0)
			if mode == "warm" {
				keep := c.newContainer(h2, "keep")
				c.endpoint(keep, n.id, "keep", "10.100.255.2/16", "")
				c.join(keep)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if mode == "cold" && i > 0 {
					n = setupNet(i)
				}
				ct := c.newContainer(h2, fmt.Sprintf("t%d", i))
				ip := fmt.Sprintf("10.100.%d.%d/16", 1+i/250, 1+i%250)
				if mode == "cold" {
					ip = fmt.Sprintf("10.%d.%d.2/24", 100+i/250, i%250)
				}
				c.endpoint(ct, n.id, fmt.Sprintf("t%d", i), ip, "")
				ln := ct.serveTCP(b, testPort)
				b.StartTimer()

				start := time.Now()
				if err := c.tryJoin(ct); err != nil {
					b.Fatal(err)
				}
				join = append(join, time.Since(start))
				// As a controller should: publish once the interface can
				// carry traffic (the kernel enables the bridge port of the
				// veth asynchronously, when the container end comes up).
				waitPortUp(b, h2, n.id, ct.eid)
				ready = append(ready, time.Since(start))
				for k, v := range ct.j.entries {
					c.gossip.publish(h2, n.id, k, v)
				}
				deadline := time.Now().Add(10 * time.Second)
				for {
					_, err := prober.dialOnly(ct.addr.IP, testPort, time.Second)
					if err == nil {
						break
					}
					if time.Now().After(deadline) {
						b.Fatalf("iteration %d: %s never reached %s: %v", i, prober.name, ct.addr, err)
					}
				}
				total = append(total, time.Since(start))
				if el := time.Since(start); el > 100*time.Millisecond {
					b.Logf("slow iteration %d: %s (join %s)", i, el, join[len(join)-1])
				}

				b.StopTimer()
				ln.Close()
				c.leave(ct)
				ct.destroy()
				if err := h2.d.DeleteEndpoint(n.id, ct.eid); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.StopTimer()
			testutils.ReportPercentiles(b, "join", join)
			testutils.ReportPercentiles(b, "ready", ready)
			testutils.ReportPercentiles(b, "reachable", total)
		})
	}
}

// waitPortUp polls until the overlay end of endpoint eid's veth on h is
// operationally up (the kernel's link watch has enabled it).
func waitPortUp(b *testing.B, h *host, nid, eid string) {
	n, err := h.d.network(nid)
	if err != nil {
		b.Fatal(err)
	}
	n.mu.Lock()
	o := n.ons
	n.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := o.nlh.LinkByName(vethName(eid))
		if err == nil && l.Attrs().OperState == netlink.OperUp {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("veth of %s not up: %v", eid, err)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// dialOnly completes a TCP handshake from inside ct.
func (ct *container) dialOnly(ip net.IP, port int, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	err := ct.run(func() error {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port)), timeout)
		if err != nil {
			return err
		}
		return c.Close()
	})
	return time.Since(start), err
}

// startIn starts a command inside namespace h (the child inherits the
// namespace of the thread that forks it).
func startIn(h netns.NsHandle, cmd *exec.Cmd) error {
	return ns.WithNetNS(h, cmd.Start)
}

// iperf runs an iperf3 server in srv and a 2-second client in cli towards
// ip; it returns the received throughput in Gbit/s.
func iperf(b *testing.B, srv, cli netns.NsHandle, ip net.IP, port int) float64 {
	b.Helper()
	if _, err := exec.LookPath("iperf3"); err != nil {
		b.Skip("iperf3 not installed")
	}
	server := exec.Command("iperf3", "-s", "-1", "-p", strconv.Itoa(port))
	if err := startIn(srv, server); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = server.Process.Kill() // by PID; it normally exits after its one test
		_ = server.Wait()
	}()
	var res struct {
		Error string `json:"error"`
		End   struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		client := exec.Command("iperf3", "-c", ip.String(), "-p", strconv.Itoa(port), "-t", "2", "-J")
		var out []byte
		err := ns.WithNetNS(cli, func() error {
			var err error
			out, err = client.Output()
			return err
		})
		if err == nil {
			res.Error, res.End.SumReceived.BitsPerSecond = "", 0
			err = json.Unmarshal(out, &res)
		}
		if err == nil && res.Error == "" && res.End.SumReceived.BitsPerSecond > 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("iperf3 client to %s: %v: %s", ip, err, out)
		}
		// The server is not listening yet: poll again.
		time.Sleep(20 * time.Millisecond)
	}
	return res.End.SumReceived.BitsPerSecond / 1e9
}

// BenchmarkThroughput measures TCP throughput between containers on two
// hosts across the overlay and between the two hosts on the underlay, in
// the same run (iperf3, 2 s each).
func BenchmarkThroughput(b *testing.B) {
	c := newCluster(b, 2, clusterOpts{})
	h1, h2 := c.hosts[0], c.hosts[1]
	n := netSpec{id: "tput", vnis: "7500", v4: []string{"10.75.0.0/24"}}
	c.createNet(n)
	c1 := c.newContainer(h1, "c1")
	c.endpoint(c1, n.id, "e1", "10.75.0.11/24", "")
	c.join(c1)
	c2 := c.newContainer(h2, "c2")
	c.endpoint(c2, n.id, "e2", "10.75.0.12/24", "")
	c.join(c2)
	c2.serveTCP(b, testPort)
	c1.expectTCP(b, c2.addr.IP, testPort, "c2")
	var ov, ul float64
	for i := 0; i < b.N; i++ {
		ov += iperf(b, c2.h, c1.h, c2.addr.IP, 5201)
		ul += iperf(b, h2.h, h1.h, h2.ip, 5202)
	}
	b.ReportMetric(ov/float64(b.N), "overlay-Gbit/s")
	b.ReportMetric(ul/float64(b.N), "underlay-Gbit/s")
	b.ReportMetric(100*ov/ul, "overlay-%-of-underlay")
}

// BenchmarkKernelObjects counts the kernel objects and the driver's heap
// per overlay network on a host: with no endpoint there (nothing in the
// kernel), with one endpoint, and per remote peer.
func BenchmarkKernelObjects(b *testing.B) {
	c := newCluster(b, 1, clusterOpts{})
	h := c.hosts[0]
	const nets = 200
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	for i := 0; i < nets; i++ {
		n := netSpec{id: fmt.Sprintf("k%d", i), vnis: strconv.Itoa(8000 + i), v4: []string{fmt.Sprintf("10.%d.%d.0/24", 200+i/250, i%250)}}
		if err := h.d.CreateNetwork(n.id, n.options(), &fakeNetInfo{}, pools(b, n.v4...), nil); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(ms1.HeapAlloc-ms0.HeapAlloc)/nets, "heap-B/idle-network")
	entries, _ := filepathGlob(h.root)
	b.ReportMetric(float64(len(entries)), "kernel-objects/idle-networks")

	// One endpoint: the namespace and its links.
	ct := c.newContainer(h, "c")
	c.endpoint(ct, "k0", "e", "10.200.0.11/24", "")
	c.join(ct)
	st, _ := h.inspect(b, "k0")
	b.ReportMetric(float64(1+len(st.links)), "kernel-objects/network-with-1-endpoint")

	// Remote peers: one FDB and one neighbour entry each.
	const peers = 240 // 10.200.0.12 … .251
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	for i := 0; i < peers; i++ {
		ip := net.IPv4(10, 200, 0, byte(12+i)).To4()
		vtep := net.IPv4(192, 168, 101, byte(1+i/50)).To4()
		v, _ := (&PeerRecord{Addr: &net.IPNet{IP: ip, Mask: net.CIDRMask(24, 32)}, MAC: net.HardwareAddr{2, 0x43, 10, 200, byte(i >> 8), byte(i)}, TunnelIP: vtep}).Encode()
		h.d.EventNotify(driverapi.Create, "k0", PeerTable, fmt.Sprintf("p%d", i), v)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms1)
	st, _ = h.inspect(b, "k0")
	b.ReportMetric(float64(len(st.fdb)+len(st.neigh))/peers, "kernel-entries/remote-peer")
	b.ReportMetric(float64(ms1.HeapAlloc-ms0.HeapAlloc)/peers, "heap-B/remote-peer")
	for i := 0; i < b.N; i++ {
		// The figures above are per host, not per iteration.
	}
}

func filepathGlob(root string) ([]string, error) { return filepath.Glob(filepath.Join(root, "*")) }

// BenchmarkVXLANCreate compares the two ways to get a VXLAN device into an
// overlay namespace with its socket in the host namespace: created there
// directly by a request from the host namespace (what the driver does), or
// created in the host namespace and moved (an RCU grace period).
func BenchmarkVXLANCreate(b *testing.B) {
	c := newCluster(b, 1, clusterOpts{})
	h := c.hosts[0]
	vniSeq := uint32(9000)
	for _, mode := range []string{"direct", "move"} {
		b.Run(mode, func(b *testing.B) {
			var ds []time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), "ons")
				if err := ns.NewPinned(path, false); err != nil {
					b.Fatal(err)
				}
				oh, err := netns.GetFromPath(path)
				if err != nil {
					b.Fatal(err)
				}
				vniSeq++ // unique across runs: released IDs are freed asynchronously
				vni := vniSeq
				b.StartTimer()
				start := time.Now()
				if mode == "direct" {
					err = addVxlan(h.d.hostRaw, vxlanSpec{name: "vxlan0", vni: vni, local: h.ip, port: DefaultVXLANPort, mtu: 1450, nsFd: int(oh)})
				} else {
					la := netlink.NewLinkAttrs()
					la.Name, la.MTU = fmt.Sprintf("vxm%d", i), 1450
					vx := &netlink.Vxlan{LinkAttrs: la, VxlanId: int(vni), SrcAddr: h.ip, Port: DefaultVXLANPort, Proxy: true}
					if err = h.nl.LinkAdd(vx); err == nil {
						err = h.nl.LinkSetNsFd(vx, int(oh))
					}
				}
				ds = append(ds, time.Since(start))
				b.StopTimer()
				oh.Close()
				_ = ns.RemovePinned(path)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.StopTimer()
			testutils.ReportPercentiles(b, mode, ds)
		})
	}
}
