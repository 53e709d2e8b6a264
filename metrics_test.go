package libnetwork

import (
	"testing"

	"github.com/cnmkit/libnetwork/internal/opstats"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// scrape registers a collector of c in a registry of its own and returns
// the flattened metrics (testutils.FlatMetrics).
func scrape(t testing.TB, c NetworkController) map[string]float64 {
	t.Helper()
	col := must(NewCollector(c))(t)
	reg := prometheus.NewPedanticRegistry()
	check(t, reg.Register(col))
	fams := must(reg.Gather())(t)
	return testutils.FlatMetrics(fams)
}

// expectSeries checks exact values of series (keys of testutils.Series).
func expectSeries(t testing.TB, got map[string]float64, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("no series %s", k)
			continue
		}
		if g != v {
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
}

func opCount(op string) string {
	return testutils.Series("cnmkit_operation_duration_seconds_count", "op", op)
}
func opErrors(op, class string) string {
	return testutils.Series("cnmkit_operation_errors_total", "op", op, "class", class)
}

// TestCollectorOperations: a scenario of creates, joins, leaves and
// deletes, some failing on bad input, and the exact counts the collector
// reports for it: calls per operation (histogram counts), errors by class,
// objects per driver, pool use.
func TestCollectorOperations(t *testing.T) {
	e := newTestEnv(t)
	if got := scrape(t, e.c); got[opCount("network_create")] != 0 || got["cnmkit_sandboxes"] != 0 {
		t.Fatalf("a new controller counts: %v", got)
	}
	net1 := e.fakeNetwork("net1", "10.41.0.0/24")
	net2 := e.fakeNetwork("net2", "10.42.0.0/24")
	if _, err := e.c.NewNetwork(fakeType, "bad/name", ""); !types.IsBadRequest(err) {
		t.Fatalf("create bad/name: %v, want a bad request", err)
	}
	if _, err := e.c.NewNetwork(fakeType, "net1", ""); !types.IsConflict(err) {
		t.Fatalf("create net1 again: %v, want a conflict", err)
	}
	eps := []Endpoint{
		must(net1.CreateEndpoint("ep1"))(t),
		must(net1.CreateEndpoint("ep2"))(t),
		must(net2.CreateEndpoint("ep3"))(t),
	}
	if _, err := net1.CreateEndpoint(""); !types.IsBadRequest(err) {
		t.Fatalf("create endpoint with no name: %v", err)
	}
	sb1 := must(e.c.NewSandbox("c1"))(t)
	sb2 := must(e.c.NewSandbox("c2"))(t)
	if _, err := e.c.NewSandbox(" "); !types.IsBadRequest(err) {
		t.Fatalf("sandbox for a blank container: %v", err)
	}
	check(t, eps[0].Join(sb1))
	check(t, eps[2].Join(sb1))
	check(t, eps[1].Join(sb2))
	if err := eps[0].Join(sb2); !types.IsForbidden(err) {
		t.Fatalf("join a joined endpoint: %v", err)
	}
	check(t, eps[2].Leave(sb1))
	if err := net1.Delete(); !types.IsForbidden(err) {
		t.Fatalf("delete a network with endpoints: %v", err)
	}
	check(t, eps[2].Delete(false))
	check(t, net2.Delete())
	check(t, sb2.Delete())

	got := scrape(t, e.c)
	want := map[string]float64{
		opCount("network_create"):  4,
		opCount("network_delete"):  2,
		opCount("endpoint_create"): 4,
		opCount("endpoint_delete"): 1,
		opCount("join"):            4,
		opCount("leave"):           1,
		opCount("sandbox_create"):  3,
		opCount("sandbox_delete"):  1,

		opErrors("network_create", "bad_request"):  1,
		opErrors("network_create", "conflict"):     1,
		opErrors("network_create", "forbidden"):    0,
		opErrors("network_delete", "forbidden"):    1,
		opErrors("endpoint_create", "bad_request"): 1,
		opErrors("endpoint_delete", "bad_request"): 0,
		opErrors("join", "forbidden"):              1,
		opErrors("leave", "other"):                 0,
		opErrors("sandbox_create", "bad_request"):  1,
		opErrors("sandbox_delete", "internal"):     0,

		testutils.Series("cnmkit_networks", "driver", fakeType):  1,
		testutils.Series("cnmkit_endpoints", "driver", fakeType): 1,
		"cnmkit_sandboxes": 1,
		// The gateway and ep1 (ep2 went with sb2).
		testutils.Series("cnmkit_ipam_pool_used", "network", "net1", "subnet", "10.41.0.0/24"): 2,
		testutils.Series("cnmkit_ipam_pool_size", "network", "net1", "subnet", "10.41.0.0/24"): 254,
		"cnmkit_dns_queries_total": 0,
	}
	expectSeries(t, got, want)
	if _, ok := got[testutils.Series("cnmkit_ipam_pool_used", "network", "net2", "subnet", "10.42.0.0/24")]; ok {
		t.Errorf("pool of deleted net2 still reported")
	}
	if _, ok := got["cnmkit_networkdb_cluster_nodes"]; ok {
		t.Errorf("networkdb metrics without a cluster")
	}
	// Every call is in the +Inf bucket and the sum is positive.
	for _, op := range opstats.Ops() {
		inf := got[testutils.Series("cnmkit_operation_duration_seconds_bucket", "op", op.String(), "le", "+Inf")]
		if cnt := got[opCount(op.String())]; inf != cnt {
			t.Errorf("%s: +Inf bucket %v, count %v", op, inf, cnt)
		}
		if got[opCount(op.String())] > 0 && got[testutils.Series("cnmkit_operation_duration_seconds_sum", "op", op.String())] <= 0 {
			t.Errorf("%s: no time summed", op)
		}
	}
	// The collector follows the Prometheus naming rules.
	col := must(NewCollector(e.c))(t)
	if probs := must(testutil.CollectAndLint(col))(t); len(probs) != 0 {
		t.Errorf("lint: %v", probs)
	}

	// A new controller on the same dirs counts from zero, its restored
	// objects included in the gauges.
	e.restart(configActive("c1"))
	got = scrape(t, e.c)
	expectSeries(t, got, map[string]float64{
		opCount("network_create"): 0,
		opCount("join"):           0,
		testutils.Series("cnmkit_networks", "driver", fakeType):  1,
		testutils.Series("cnmkit_endpoints", "driver", fakeType): 1,
		"cnmkit_sandboxes": 1,
	})
}

// TestCollectorRejects: only controllers made by New have metrics.
func TestCollectorRejects(t *testing.T) {
	for _, c := range []NetworkController{nil, (*controller)(nil)} {
		if _, err := NewCollector(c); !types.IsBadRequest(err) {
			t.Errorf("NewCollector(%#v): %v, want a bad request", c, err)
		}
	}
}

// TestCollectorDNS: the queries of the embedded DNS servers of every
// sandbox, summed: local answers, forwards, forward failures.
func TestCollectorDNS(t *testing.T) {
	d := newDNSTopology(t)
	h := sbNS(t, d.client)
	ph := sbNS(t, d.peer)
	expectAnswer(t, h, "udp", "peer", dns.TypeA, dns.RcodeSuccess, d.peerEp.Info().Iface().Address().IP.String())
	expectAnswer(t, h, "tcp", "far", dns.TypeA, dns.RcodeSuccess, "192.0.2.77")
	expectAnswer(t, ph, "udp", "client", dns.TypeA, dns.RcodeSuccess, d.cliEp.Info().Iface().Address().IP.String())
	d.srv.stop()
	expectAnswer(t, h, "udp", "gone.example", dns.TypeA, dns.RcodeServerFailure)
	expectSeries(t, scrape(t, d.e.c), map[string]float64{
		"cnmkit_dns_queries_total":          4,
		"cnmkit_dns_local_answers_total":    2,
		"cnmkit_dns_forwards_total":         2,
		"cnmkit_dns_forward_failures_total": 1,
	})
}

// TestCollectorNetworkDB: with a cluster, the gossip traffic and the nodes
// of the cluster and of each cluster network.
func TestCollectorNetworkDB(t *testing.T) {
	tc := newTestCluster(t)
	tc.add("a")
	tc.add("b", "a")
	a, b := tc.start("a"), tc.start("b")
	tc.waitPeers(2)
	na := tc.gossipNetwork(a, "gnet", gnetID)
	tc.gossipNetwork(b, "gnet", gnetID)
	ep, _ := joined(t, a.c, na, "ep1", "ca1")
	eventually(t, "b hears of ep1", func() bool { return b.driver().state(t, gnetID)[ep.ID()] == gossipValue(ep, gnetID) })
	// Node counts may flap on a loaded machine (the test cluster's probes
	// are quick): wait for both, and bound the failures by the database's
	// own count read around the scrape.
	var got map[string]float64
	var failBefore, failAfter uint64
	eventually(t, "2 nodes in the cluster and in gnet in a's metrics", func() bool {
		failBefore = a.c.agent.db.Stats().NodeFailures
		got = scrape(t, a.c)
		failAfter = a.c.agent.db.Stats().NodeFailures
		return got["cnmkit_networkdb_cluster_nodes"] == 2 &&
			got[testutils.Series("cnmkit_networkdb_network_nodes", "network", "gnet")] == 2
	})
	if f, ok := got["cnmkit_networkdb_node_failures_total"]; !ok || f < float64(failBefore) || f > float64(failAfter) {
		t.Errorf("node failures %v (present %v), networkdb counted %d to %d", f, ok, failBefore, failAfter)
	}
	// a published ep1's entry and its network membership.
	if got[testutils.Series("cnmkit_networkdb_sent_messages_total", "kind", "event")] < 1 ||
		got[testutils.Series("cnmkit_networkdb_sent_bytes_total", "kind", "event")] < 1 {
		t.Errorf("no event traffic counted: %v", got)
	}
}

// TestCollectorConcurrentCounts: attach and detach cycles of 16 goroutines
// while the collector is scraped: the counts are exact once they end.
func TestCollectorConcurrentCounts(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/16")
	null := must(e.c.NewNetwork("null", "none", ""))(t)
	const workers, rounds = 16, 3
	reg := prometheus.NewPedanticRegistry()
	check(t, reg.Register(must(NewCollector(e.c))(t)))
	stop := make(chan struct{})
	scraped := make(chan int)
	go func() {
		k := 0
		for {
			select {
			case <-stop:
				scraped <- k
				return
			default:
				if _, err := reg.Gather(); err != nil {
					t.Errorf("gather while cycling: %v", err)
				}
				k++
			}
		}
	}()
	errs := cycleConcurrently(e.c, n, null, workers, rounds)
	close(stop)
	if k := <-scraped; k == 0 {
		t.Log("no scrape overlapped the cycles")
	}
	for _, err := range errs {
		t.Fatal(err)
	}
	const cycles = workers * rounds
	expectSeries(t, scrape(t, e.c), map[string]float64{
		opCount("network_create"):  2,
		opCount("sandbox_create"):  cycles,
		opCount("endpoint_create"): 2 * cycles,
		opCount("join"):            2 * cycles,
		opCount("leave"):           cycles,
		opCount("endpoint_delete"): cycles,
		opCount("sandbox_delete"):  cycles,
		testutils.Series("cnmkit_endpoints", "driver", fakeType): 0,
		testutils.Series("cnmkit_endpoints", "driver", "null"):   0,
		"cnmkit_sandboxes": 0,
		testutils.Series("cnmkit_ipam_pool_used", "network", "net1", "subnet", "10.10.0.0/16"): 1,
	})
}
