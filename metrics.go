package libnetwork

import (
	"sort"

	"github.com/cnmkit/libnetwork/internal/opstats"
	"github.com/cnmkit/libnetwork/types"
	"github.com/prometheus/client_golang/prometheus"
)

// metricPrefix begins the names of the controller's metrics.
const metricPrefix = "cnmkit_"

// NewCollector returns a Prometheus collector of controller c's metrics,
// which c made by New; the embedder registers it in the registry it likes
// (the collector reads c at each scrape and holds no lock across kernel
// work). Each controller counts on its own. The metrics:
//
//   - cnmkit_operation_duration_seconds{op} (histogram) and
//     cnmkit_operation_errors_total{op,class}: the calls of NewNetwork
//     (op network_create), Network.Delete (network_delete),
//     CreateEndpoint (endpoint_create), Endpoint.Delete (endpoint_delete),
//     Join, Leave, NewSandbox (sandbox_create) and Sandbox.Delete
//     (sandbox_delete), failed calls included; class is the error's class
//     in package types (bad_request, not_found, forbidden, conflict,
//     no_service, not_implemented, timeout, internal, other).
//   - cnmkit_networks{driver}, cnmkit_endpoints{driver} and
//     cnmkit_sandboxes: the objects the controller holds (the default
//     gateway network and its endpoints included).
//   - cnmkit_ipam_pool_size{network,subnet} and
//     cnmkit_ipam_pool_used{network,subnet}: the addresses a network's
//     pool can give and has given, for IPAM drivers that tell (the
//     default one does).
//   - cnmkit_dns_queries_total, cnmkit_dns_local_answers_total,
//     cnmkit_dns_forwards_total and cnmkit_dns_forward_failures_total: the
//     queries of every sandbox's embedded DNS server, those answered
//     without an upstream, and those forwarded and failed.
//   - With a cluster: cnmkit_networkdb_sent_messages_total{kind} and
//     cnmkit_networkdb_sent_bytes_total{kind} (kind event, sync_request,
//     sync_data, other), cnmkit_networkdb_node_failures_total,
//     cnmkit_networkdb_cluster_nodes (alive nodes, this one included) and
//     cnmkit_networkdb_network_nodes{network} (alive nodes in each
//     cluster network's gossip group): traffic and convergence.
//
// A controller not made by New is a types.BadRequestError.
func NewCollector(c NetworkController) (prometheus.Collector, error) {
	ctrl, ok := c.(*controller)
	if !ok || ctrl == nil {
		return nil, types.BadRequestErrorf("metrics: controller %T is not one made by libnetwork.New", c)
	}
	return &collector{c: ctrl}, nil
}

type collector struct{ c *controller }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(metricPrefix+name, help, labels, nil)
}

var (
	descOpDuration = desc("operation_duration_seconds", "Duration of the controller's operations, failed ones included.", "op")
	descOpErrors   = desc("operation_errors_total", "Failed operations of the controller, by error class.", "op", "class")
	descNetworks   = desc("networks", "Networks the controller holds, by driver.", "driver")
	descEndpoints  = desc("endpoints", "Endpoints the controller holds, by driver of their network.", "driver")
	descSandboxes  = desc("sandboxes", "Sandboxes the controller holds.")
	descPoolSize   = desc("ipam_pool_size", "Addresses an IPAM pool of a network can give.", "network", "subnet")
	descPoolUsed   = desc("ipam_pool_used", "Addresses an IPAM pool of a network has given.", "network", "subnet")
	descDNSQueries = desc("dns_queries_total", "Queries the embedded DNS servers took.")
	descDNSLocal   = desc("dns_local_answers_total", "Queries the embedded DNS servers answered without an upstream.")
	descDNSFwd     = desc("dns_forwards_total", "Queries the embedded DNS servers forwarded to an upstream.")
	descDNSFwdFail = desc("dns_forward_failures_total", "Forwarded queries that got no usable answer.")
	descNDBMsgs    = desc("networkdb_sent_messages_total", "Gossip messages this node sent, by kind.", "kind")
	descNDBBytes   = desc("networkdb_sent_bytes_total", "Gossip payload bytes this node sent, by kind.", "kind")
	descNDBFail    = desc("networkdb_node_failures_total", "Times a cluster node was declared failed.")
	descNDBNodes   = desc("networkdb_cluster_nodes", "Alive nodes of the cluster, this one included.")
	descNDBNetNode = desc("networkdb_network_nodes", "Alive nodes in a cluster network's gossip group.", "network")
)

var allDescs = []*prometheus.Desc{
	descOpDuration, descOpErrors, descNetworks, descEndpoints, descSandboxes,
	descPoolSize, descPoolUsed, descDNSQueries, descDNSLocal, descDNSFwd, descDNSFwdFail,
	descNDBMsgs, descNDBBytes, descNDBFail, descNDBNodes, descNDBNetNode,
}

// Describe sends the descriptions of every metric the collector may send.
func (m *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect sends the controller's metrics as they are now.
func (m *collector) Collect(ch chan<- prometheus.Metric) {
	m.collectOps(ch)
	nws := m.collectObjects(ch)
	m.collectPools(ch, nws)
	m.collectDNS(ch)
	m.collectNetworkDB(ch, nws)
}

func (m *collector) collectOps(ch chan<- prometheus.Metric) {
	for _, op := range opstats.Ops() {
		s := m.c.ops.Snapshot(op)
		buckets := make(map[float64]uint64, len(opstats.Buckets))
		for i, b := range opstats.Buckets {
			buckets[b] = s.Cumulative[i]
		}
		ch <- prometheus.MustNewConstHistogram(descOpDuration, s.Count, s.Sum.Seconds(), buckets, op.String())
		for cl, n := range s.Errors {
			ch <- prometheus.MustNewConstMetric(descOpErrors, prometheus.CounterValue, float64(n), op.String(), opstats.ClassName(cl))
		}
	}
}

// collectObjects sends the object counts and returns the networks, by
// name.
func (m *collector) collectObjects(ch chan<- prometheus.Metric) []*network {
	c := m.c
	c.mu.RLock()
	nws := make([]*network, 0, len(c.networks))
	for _, n := range c.networks {
		nws = append(nws, n)
	}
	sbs := len(c.sandboxes)
	c.mu.RUnlock()
	sort.Slice(nws, func(i, j int) bool { return nws[i].name < nws[j].name })

	netsBy, epsBy := map[string]int{}, map[string]int{}
	for _, n := range nws {
		netsBy[n.networkType]++
		n.mu.Lock()
		epsBy[n.networkType] += len(n.endpoints)
		n.mu.Unlock()
	}
	for drv, k := range netsBy {
		ch <- prometheus.MustNewConstMetric(descNetworks, prometheus.GaugeValue, float64(k), drv)
		ch <- prometheus.MustNewConstMetric(descEndpoints, prometheus.GaugeValue, float64(epsBy[drv]), drv)
	}
	ch <- prometheus.MustNewConstMetric(descSandboxes, prometheus.GaugeValue, float64(sbs))
	return nws
}

// poolUser is an IPAM driver that tells how much of a pool is used (the
// default one, ipam.Allocator).
type poolUser interface {
	PoolUsage(poolID string) (size, used uint64, err error)
}

func (m *collector) collectPools(ch chan<- prometheus.Metric, nws []*network) {
	for _, n := range nws {
		n.mu.Lock()
		gone := n.deleting || n.deleted
		n.mu.Unlock()
		if gone || n.hasSpecialDriver() {
			continue // a pool being released may be another network's soon
		}
		d, _ := m.c.reg.IPAM(n.ipamType)
		pu, ok := d.(poolUser)
		if !ok {
			continue
		}
		for _, infos := range [][]*IpamInfo{n.ipamV4Info, n.ipamV6Info} {
			for _, info := range infos {
				if info == nil || info.Pool == nil {
					continue
				}
				size, used, err := pu.PoolUsage(info.PoolID)
				if err != nil {
					continue // released while we looked
				}
				subnet := info.Pool.String()
				ch <- prometheus.MustNewConstMetric(descPoolSize, prometheus.GaugeValue, float64(size), n.name, subnet)
				ch <- prometheus.MustNewConstMetric(descPoolUsed, prometheus.GaugeValue, float64(used), n.name, subnet)
			}
		}
	}
}

func (m *collector) collectDNS(ch chan<- prometheus.Metric) {
	s := &m.c.dnsStats
	for _, v := range []struct {
		d *prometheus.Desc
		n uint64
	}{
		{descDNSQueries, s.Queries.Load()},
		{descDNSLocal, s.Local.Load()},
		{descDNSFwd, s.Forwarded.Load()},
		{descDNSFwdFail, s.ForwardFailures.Load()},
	} {
		ch <- prometheus.MustNewConstMetric(v.d, prometheus.CounterValue, float64(v.n))
	}
}

func (m *collector) collectNetworkDB(ch chan<- prometheus.Metric, nws []*network) {
	a := m.c.agent
	if a == nil {
		return
	}
	s := a.db.Stats()
	for _, k := range []struct {
		kind        string
		msgs, bytes uint64
	}{
		{"event", s.EventMsgs, s.EventBytes},
		{"sync_request", s.SyncReqMsgs, s.SyncReqBytes},
		{"sync_data", s.SyncDataMsgs, s.SyncDataBytes},
		{"other", s.OtherMsgs, s.OtherBytes},
	} {
		ch <- prometheus.MustNewConstMetric(descNDBMsgs, prometheus.CounterValue, float64(k.msgs), k.kind)
		ch <- prometheus.MustNewConstMetric(descNDBBytes, prometheus.CounterValue, float64(k.bytes), k.kind)
	}
	ch <- prometheus.MustNewConstMetric(descNDBFail, prometheus.CounterValue, float64(s.NodeFailures))
	ch <- prometheus.MustNewConstMetric(descNDBNodes, prometheus.GaugeValue, float64(len(a.db.ClusterPeers())))
	for _, n := range nws {
		if a.eligible(n) {
			ch <- prometheus.MustNewConstMetric(descNDBNetNode, prometheus.GaugeValue, float64(len(a.db.Peers(n.id))), n.name)
		}
	}
}
