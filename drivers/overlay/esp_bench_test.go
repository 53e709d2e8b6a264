package overlay

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

// benchPair is two hosts with testKey1, an encrypted network "enc" and an
// unencrypted one "plain", and a container of each on host 1 (c1) and on
// host 2 (c2).
func benchPair(b *testing.B) (*cluster, map[string][2]*container) {
	testutils.RequireKernel(b, testutils.FeatureESP)
	c := newCluster(b, 2, clusterOpts{})
	for _, h := range c.hosts {
		setKeys(b, h, testKey1)
	}
	c.createEncNet(netSpec{id: "enc", vnis: "4400", v4: []string{"10.44.0.0/16"}})
	c.createNet(netSpec{id: "plain", vnis: "4401", v4: []string{"10.45.0.0/16"}})
	cts := map[string][2]*container{}
	for j, nid := range []string{"enc", "plain"} {
		var pair [2]*container
		for i, h := range c.hosts {
			ct := c.newContainer(h, fmt.Sprintf("%s-c%d", nid, i+1))
			c.endpoint(ct, nid, fmt.Sprintf("%s-e%d", nid, i+1), fmt.Sprintf("10.%d.255.%d/16", 44+j, i+1), "")
			c.join(ct)
			ct.serveTCP(b, testPort)
			pair[i] = ct
		}
		pair[0].expectTCP(b, pair[1].addr.IP, testPort, pair[1].name)
		cts[nid] = pair
	}
	return c, cts
}

// BenchmarkEncryptedThroughput: iperf3 TCP (2 s) between containers on two
// hosts over the encrypted and the unencrypted overlay, in the same run.
func BenchmarkEncryptedThroughput(b *testing.B) {
	_, cts := benchPair(b)
	var enc, plain float64
	for i := 0; i < b.N; i++ {
		e, p := cts["enc"], cts["plain"]
		enc += iperf(b, e[1].h, e[0].h, e[1].addr.IP, 5201)
		plain += iperf(b, p[1].h, p[0].h, p[1].addr.IP, 5202)
	}
	b.ReportMetric(enc/float64(b.N), "encrypted-Gbit/s")
	b.ReportMetric(plain/float64(b.N), "unencrypted-Gbit/s")
	b.ReportMetric(100*enc/plain, "encrypted-%-of-unencrypted")
}

// BenchmarkEncryptedJoinToReachable: from Join on host 2 until a container
// on host 1 completes a TCP handshake with the new container, on the
// encrypted and on the unencrypted network alternately (both warm: host 2
// already has an endpoint there, so the states exist; the join programs
// nothing new in XFRM).
func BenchmarkEncryptedJoinToReachable(b *testing.B) {
	c, cts := benchPair(b)
	h2 := c.hosts[1]
	times := map[string][]time.Duration{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j, nid := range []string{"enc", "plain"} {
			b.StopTimer()
			prober := cts[nid][0]
			ct := c.newContainer(h2, fmt.Sprintf("%s-t%d", nid, i))
			c.endpoint(ct, nid, fmt.Sprintf("%s-t%d", nid, i), fmt.Sprintf("10.%d.%d.%d/16", 44+j, 1+i/250, 1+i%250), "")
			ln := ct.serveTCP(b, testPort)
			b.StartTimer()
			start := time.Now()
			if err := c.tryJoin(ct); err != nil {
				b.Fatal(err)
			}
			waitPortUp(b, h2, nid, ct.eid)
			for k, v := range ct.j.entries {
				c.gossip.publish(h2, nid, k, v)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				if _, err := prober.dialOnly(ct.addr.IP, testPort, time.Second); err == nil {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("%s: %s never reached %s", nid, prober.name, ct.addr)
				}
			}
			times[nid] = append(times[nid], time.Since(start))
			b.StopTimer()
			ln.Close()
			c.leave(ct)
			ct.destroy()
			if err := h2.d.DeleteEndpoint(nid, ct.eid); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "encrypted", times["enc"])
	testutils.ReportPercentiles(b, "unencrypted", times["plain"])
	b.ReportMetric(float64(median(times["enc"]))/float64(median(times["plain"])), "p50-encrypted/unencrypted")
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
