package integration

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/containernetworking/cni/libcni"
)

// cniBenchN is the number of containers added, then deleted, per round.
const cniBenchN = 100

// BenchmarkCNIAddDel measures CNI ADD and DEL as a runtime runs them
// (libcni executing the plugin process, whole) for cniBenchN containers
// on a bridge network: cnmkit-cni with a dnet daemon, and the reference
// bridge + host-local plugins, in the same run, alternately.
func BenchmarkCNIAddDel(b *testing.B) {
	bins := cniBuild(b)
	e := newCNIEnv(b, bins)
	e.start()
	mine := e.conflist("1.1.0", "bench", ours("bridge", "10.110.0.0/16", map[string]interface{}{
		"options": map[string]string{"com.docker.network.bridge.name": "cnibench0"}}))
	ref := e.conflist("1.1.0", "ref", map[string]interface{}{"type": "bridge", "bridge": "cniref0", "isGateway": true,
		"ipam": map[string]interface{}{"type": "host-local", "subnet": "10.111.0.0/16", "dataDir": b.TempDir()}})
	lists := []*libcni.NetworkConfigList{mine, ref}
	run := func(cmd string, l *libcni.NetworkConfigList, rt *libcni.RuntimeConf) time.Duration {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		var err error
		if cmd == "ADD" {
			_, err = e.cni.AddNetworkList(ctx, l, rt)
		} else {
			err = e.cni.DelNetworkList(ctx, l, rt)
		}
		d := time.Since(start)
		if err != nil {
			b.Fatalf("%s %s %s: %v", cmd, l.Name, rt.ContainerID, err)
		}
		return d
	}
	// First use: the network and its bridge.
	for _, l := range lists {
		c := newCNICtr(b, "warm-"+l.Name)
		run("ADD", l, c.rt("eth0", nil))
		run("DEL", l, c.rt("eth0", nil))
	}
	var add, del [2][]time.Duration
	b.ResetTimer()
	for round := 0; round < b.N; round++ {
		b.StopTimer()
		var ctrs [2][]*cniCtr
		for k, l := range lists {
			for i := 0; i < cniBenchN; i++ {
				ctrs[k] = append(ctrs[k], newCNICtr(b, fmt.Sprintf("%s-%d-%d", l.Name, round, i)))
			}
		}
		b.StartTimer()
		for i := 0; i < cniBenchN; i++ {
			for k, l := range lists {
				add[k] = append(add[k], run("ADD", l, ctrs[k][i].rt("eth0", nil)))
			}
		}
		for i := 0; i < cniBenchN; i++ {
			for k, l := range lists {
				del[k] = append(del[k], run("DEL", l, ctrs[k][i].rt("eth0", nil)))
			}
		}
	}
	b.StopTimer()
	p50 := func(ds []time.Duration) time.Duration {
		s := append([]time.Duration(nil), ds...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[len(s)/2]
	}
	b.ReportMetric(float64(p50(add[0]))/float64(p50(add[1])), "add-p50-ratio")
	b.ReportMetric(float64(p50(del[0]))/float64(p50(del[1])), "del-p50-ratio")
	testutils.ReportPercentiles(b, "cnmkit-add", add[0])
	testutils.ReportPercentiles(b, "cnmkit-del", del[0])
	testutils.ReportPercentiles(b, "ref-add", add[1])
	testutils.ReportPercentiles(b, "ref-del", del[1])
}
