package networkdb

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// outOctets reads IpExt OutOctets of this process's network namespace.
func outOctets(tb testing.TB) uint64 {
	tb.Helper()
	return procStat(tb, "/proc/net/netstat", "IpExt:", "OutOctets")
}

// udpDrops reads the UDP datagrams the kernel dropped for want of
// receive buffer in this namespace.
func udpDrops(tb testing.TB) uint64 {
	tb.Helper()
	return procStat(tb, "/proc/net/snmp", "Udp:", "RcvbufErrors")
}

// procStat reads one counter of a /proc/net/{netstat,snmp} style file.
func procStat(tb testing.TB, path, prefix, field string) uint64 {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var names []string
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || fields[0] != prefix {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, name := range names {
			if name == field && i < len(fields) {
				v, err := strconv.ParseUint(fields[i], 10, 64)
				if err != nil {
					tb.Fatal(err)
				}
				return v
			}
		}
	}
	tb.Fatalf("no %s %s in %s", prefix, field, path)
	return 0
}

// BenchmarkConverge measures how long it takes until every node of an
// N-node cluster holds all K entries written on node 0 (and then until
// all hold none after node 0 deletes them), and the bytes sent per entry
// per node, counted by the isolated namespace's IP stack.
// Keys are 64 hex digits (like libnetwork endpoint IDs), values 64 bytes
// (about an overlay peer record).
func BenchmarkConverge(b *testing.B) {
	for _, sz := range []struct {
		nodes, entries int
		encrypted      bool
	}{{10, 100, false}, {20, 500, false}, {20, 500, true}} {
		name := fmt.Sprintf("%dx%d", sz.nodes, sz.entries)
		if sz.encrypted {
			name += "-encrypted"
		}
		b.Run(name, func(b *testing.B) {
			benchConverge(b, sz.nodes, sz.entries, sz.encrypted)
		})
	}
}

func benchConverge(b *testing.B, nodes, entries int, encrypted bool) {
	c := newCluster(b, nodes, func(cfg *Config) {
		// Default intervals, as a deployment would run.
		d := DefaultConfig()
		cfg.BulkSyncInterval, cfg.ProbeInterval, cfg.ProbeTimeout = d.BulkSyncInterval, d.ProbeInterval, d.ProbeTimeout
		cfg.NodeFailureGrace, cfg.ReconnectInterval = d.NodeFailureGrace, d.ReconnectInterval
		if encrypted {
			cfg.Keys = [][]byte{key1}
		}
	})
	const nid, tname = "bench", "endpoint_table"
	c.joinAll(nid)
	value := make([]byte, 64) // about a libnetwork overlay peer record
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	converged := func(want int) func() bool {
		return func() bool {
			for _, n := range c.nodes {
				if n.visibleCount(tname, nid) != want {
					return false
				}
			}
			return true
		}
	}
	var createMS, deleteMS []float64
	var createBytes, deleteBytes float64
	drops := udpDrops(b)
	stats0 := sumStats(c)
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		keys := make([]string, entries)
		for k := range keys {
			keys[k] = fmt.Sprintf("%x", sha256.Sum256([]byte(fmt.Sprint(it, "/", k))))
		}
		o0 := outOctets(b)
		start := time.Now()
		for _, k := range keys {
			if err := c.nodes[0].CreateEntry(tname, nid, k, value); err != nil {
				b.Fatal(err)
			}
		}
		createMS = append(createMS, waitBench(b, start, converged(entries)))
		o1 := outOctets(b)
		start = time.Now()
		for _, k := range keys {
			if err := c.nodes[0].DeleteEntry(tname, nid, k); err != nil {
				b.Fatal(err)
			}
		}
		deleteMS = append(deleteMS, waitBench(b, start, converged(0)))
		o2 := outOctets(b)
		createBytes += float64(o1-o0) / float64(entries*nodes)
		deleteBytes += float64(o2-o1) / float64(entries*nodes)
	}
	b.StopTimer()
	b.ReportMetric(float64(udpDrops(b)-drops)/float64(b.N), "udp-drops/op")
	s := sumStats(c)
	per := float64(b.N * entries * nodes * 2)
	b.ReportMetric(float64(s.EventBytes-stats0.EventBytes)/per, "event-B/entry/node")
	b.ReportMetric(float64(s.SyncReqBytes+s.SyncDataBytes-stats0.SyncReqBytes-stats0.SyncDataBytes)/per, "sync-B/entry/node")
	b.ReportMetric(float64(s.NodeFailures-stats0.NodeFailures), "false-failures")
	b.ReportMetric(pct(createMS, 50), "create-p50-ms")
	b.ReportMetric(pct(createMS, 99), "create-p99-ms")
	b.ReportMetric(pct(deleteMS, 50), "delete-p50-ms")
	b.ReportMetric(pct(deleteMS, 99), "delete-p99-ms")
	b.ReportMetric(createBytes/float64(b.N), "create-B/entry/node")
	b.ReportMetric(deleteBytes/float64(b.N), "delete-B/entry/node")
}

// waitBench polls done and returns the milliseconds since start.
func waitBench(b *testing.B, start time.Time, done func() bool) float64 {
	deadline := start.Add(60 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			b.Fatal("did not converge within 60s")
		}
		time.Sleep(time.Millisecond)
	}
	return float64(time.Since(start).Microseconds()) / 1000
}

func pct(v []float64, p int) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i]
}

func sumStats(c *cluster) Stats {
	var t Stats
	for _, n := range c.nodes {
		s := n.Stats()
		t.EventBytes += s.EventBytes
		t.SyncReqBytes += s.SyncReqBytes
		t.SyncDataBytes += s.SyncDataBytes
		t.NodeFailures += s.NodeFailures
	}
	return t
}
