package integration

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/miekg/dns"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/vishvananda/netns"
)

// TestDnetMetrics: a scenario through a real dnet daemon's API, then
// GET /metrics, on the unix socket and on the TCP listener, parsed by the
// Prometheus text parser: every counter equals what the scenario did; a
// daemon with a cluster adds the networkdb metrics.
func TestDnetMetrics(t *testing.T) {
	bins := dnetBuild(t, t.TempDir())
	t.Run("Scenario", func(t *testing.T) { testDnetMetricsScenario(t, bins) })
	t.Run("Cluster", func(t *testing.T) { testDnetMetricsCluster(t, bins) })
}

func testDnetMetricsScenario(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	// The port is picked in the daemon's namespace (the test's own).
	addr := testutils.FreeAddrs(t, 1)[0]
	e.start("--tcp", addr)

	before := scrapeDnet(t, e)
	for _, op := range []string{"network_create", "join", "sandbox_delete"} {
		if v, ok := before[opCountKey(op)]; !ok || v != 0 {
			t.Fatalf("fresh daemon: %s = %v (present %v), want 0", opCountKey(op), v, ok)
		}
	}
	if _, ok := before["go_goroutines"]; !ok {
		t.Errorf("no Go runtime metrics")
	}

	// Two networks; one create the controller refuses (unknown driver).
	e.rawJSON(http.MethodPost, "/v1/networks", `{"name":"mbr","driver":"bridge",
		"ipam":[{"subnet":"10.79.0.0/24","gateway":"10.79.0.1"}],"options":{"com.docker.network.bridge.name":"dnetmbr0"}}`, http.StatusCreated, nil)
	e.rawJSON(http.MethodPost, "/v1/networks", `{"name":"mnull","driver":"null"}`, http.StatusCreated, nil)
	e.expectError(http.MethodPost, "/v1/networks", `{"name":"mbad","driver":"nosuchdriver"}`, http.StatusBadRequest, "driver")
	// Three endpoints, two sandboxes, three attaches.
	for _, ep := range []struct{ network, name string }{{"mbr", "ep1"}, {"mbr", "ep2"}, {"mnull", "nep"}} {
		e.rawJSON(http.MethodPost, "/v1/networks/"+ep.network+"/endpoints", `{"name":"`+ep.name+`"}`, http.StatusCreated, nil)
	}
	var sb1, sb2 api.Sandbox
	e.rawJSON(http.MethodPost, "/v1/sandboxes", `{"name":"msb1"}`, http.StatusCreated, &sb1)
	e.rawJSON(http.MethodPost, "/v1/sandboxes", `{"name":"msb2"}`, http.StatusCreated, &sb2)
	e.rawJSON(http.MethodPost, "/v1/sandboxes/msb1/attach", `{"network":"mbr","endpoint":"ep1"}`, http.StatusOK, &sb1)
	e.rawJSON(http.MethodPost, "/v1/sandboxes/msb2/attach", `{"network":"mbr","endpoint":"ep2"}`, http.StatusOK, &sb2)
	e.rawJSON(http.MethodPost, "/v1/sandboxes/msb1/attach", `{"network":"mnull","endpoint":"nep"}`, http.StatusOK, nil)

	// Two queries answered by sb1's embedded DNS server from its records.
	h, err := netns.GetFromPath(sb1.Key)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ep2IP := strings.Split(sb2.Endpoints[0].IPv4Address, "/")[0]
	dnsExpect(t, h, "udp", "ep2", dns.TypeA, dns.RcodeSuccess, ep2IP)
	dnsExpect(t, h, "tcp", "ep2.mbr", dns.TypeA, dns.RcodeSuccess, ep2IP)

	// One detach, one endpoint delete, a refused network delete (the null
	// network is the controller's), a sandbox delete (its ep2 goes with it).
	e.rawJSON(http.MethodPost, "/v1/sandboxes/msb1/detach", `{"network":"mnull","endpoint":"nep"}`, http.StatusOK, nil)
	e.rawJSON(http.MethodDelete, "/v1/networks/mnull/endpoints/nep", "", http.StatusNoContent, nil)
	e.expectError(http.MethodDelete, "/v1/networks/mnull", "", http.StatusForbidden, "")
	e.rawJSON(http.MethodDelete, "/v1/sandboxes/msb2", "", http.StatusNoContent, nil)

	want := map[string]float64{
		opCountKey("network_create"):               3,
		opCountKey("network_delete"):               1,
		opCountKey("endpoint_create"):              3,
		opCountKey("endpoint_delete"):              1,
		opCountKey("join"):                         3,
		opCountKey("leave"):                        1,
		opCountKey("sandbox_create"):               2,
		opCountKey("sandbox_delete"):               1,
		opErrorsKey("network_create", "not_found"): 1,
		opErrorsKey("network_delete", "forbidden"): 1,
		opErrorsKey("join", "forbidden"):           0,

		testutils.Series("cnmkit_networks", "driver", "bridge"):  1,
		testutils.Series("cnmkit_networks", "driver", "null"):    1,
		testutils.Series("cnmkit_endpoints", "driver", "bridge"): 1,
		testutils.Series("cnmkit_endpoints", "driver", "null"):   0,
		"cnmkit_sandboxes": 1,
		// The gateway and ep1.
		testutils.Series("cnmkit_ipam_pool_used", "network", "mbr", "subnet", "10.79.0.0/24"): 2,
		testutils.Series("cnmkit_ipam_pool_size", "network", "mbr", "subnet", "10.79.0.0/24"): 254,

		"cnmkit_dns_queries_total":          2,
		"cnmkit_dns_local_answers_total":    2,
		"cnmkit_dns_forwards_total":         0,
		"cnmkit_dns_forward_failures_total": 0,
	}
	for _, via := range []struct {
		name   string
		scrape func() map[string]float64
	}{
		{"unix socket", func() map[string]float64 { return scrapeDnet(t, e) }},
		{"tcp " + addr, func() map[string]float64 { return scrapeTCP(t, addr) }},
	} {
		got := via.scrape()
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				t.Errorf("over %s: %s = %v (present %v), want %v", via.name, k, g, ok, v)
			}
		}
		for _, op := range []string{"network_create", "join"} {
			inf := got[testutils.Series("cnmkit_operation_duration_seconds_bucket", "op", op, "le", "+Inf")]
			if inf != got[opCountKey(op)] {
				t.Errorf("over %s: %s +Inf bucket %v, count %v", via.name, op, inf, got[opCountKey(op)])
			}
		}
		if _, ok := got["cnmkit_networkdb_cluster_nodes"]; ok {
			t.Errorf("over %s: networkdb metrics without a cluster", via.name)
		}
	}
	// Only GET (and HEAD) reach /metrics.
	if status, _ := e.raw(http.MethodPost, "/metrics", ""); status != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: status %d, want 405", status)
	}
}

// testDnetMetricsCluster: a one-node cluster with an overlay network
// reports its networkdb metrics.
func testDnetMetricsCluster(t *testing.T, bins dnetBinaries) {
	e := newDnetEnv(t, bins)
	e.start("--node-name", "metrics-host", "--bind-addr", "127.0.0.1")
	e.rawJSON(http.MethodPost, "/v1/networks", `{"name":"mov","driver":"overlay","ipam":[{"subnet":"10.89.0.0/24"}],
		"options":{"com.docker.network.driver.overlay.vxlanid_list":"4600"}}`, http.StatusCreated, nil)
	got := scrapeDnet(t, e)
	for k, v := range map[string]float64{
		"cnmkit_networkdb_cluster_nodes":                                     1,
		testutils.Series("cnmkit_networkdb_network_nodes", "network", "mov"): 1,
		testutils.Series("cnmkit_networks", "driver", "overlay"):             1,
		"cnmkit_networkdb_node_failures_total":                               0,
		// Alone in the cluster: nothing sent.
		testutils.Series("cnmkit_networkdb_sent_messages_total", "kind", "event"): 0,
	} {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	e.rawJSON(http.MethodDelete, "/v1/networks/mov", "", http.StatusNoContent, nil)
}

func opCountKey(op string) string {
	return testutils.Series("cnmkit_operation_duration_seconds_count", "op", op)
}

func opErrorsKey(op, class string) string {
	return testutils.Series("cnmkit_operation_errors_total", "op", op, "class", class)
}

// scrapeDnet gets /metrics over the daemon's socket and parses it.
func scrapeDnet(t *testing.T, e *dnetEnv) map[string]float64 {
	t.Helper()
	status, body := e.raw(http.MethodGet, "/metrics", "")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: status %d: %s", status, body)
	}
	return parseMetrics(t, body)
}

// scrapeTCP gets /metrics over a connection dialed from the test's thread
// (in the daemon's namespace; an http.Client would dial from any thread).
func scrapeTCP(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	req.Close = true
	if err := req.Write(c); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics over tcp: status %d, %v: %s", resp.StatusCode, err, body)
	}
	return parseMetrics(t, body)
}

// parseMetrics parses the text exposition format.
func parseMetrics(t *testing.T, body []byte) map[string]float64 {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	list := make([]*dto.MetricFamily, 0, len(fams))
	for _, f := range fams {
		list = append(list, f)
	}
	if len(list) == 0 {
		t.Fatalf("no metrics in %q", body)
	}
	return testutils.FlatMetrics(list)
}
