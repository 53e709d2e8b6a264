package api

import (
	"context"
	"net/http"
	"net/url"
)

// Cluster is the answer of GET /v1/cluster: this node's cluster
// configuration and what its gossip sees.
type Cluster struct {
	NodeName      string           `json:"node_name"`
	AdvertiseAddr string           `json:"advertise_addr,omitempty"`
	BindAddr      string           `json:"bind_addr"`
	GossipPort    int              `json:"gossip_port"`
	Join          []string         `json:"join"`
	Encrypted     bool             `json:"encrypted"`
	Peers         []ClusterPeer    `json:"peers"`
	Networks      []ClusterNetwork `json:"networks"`
}

// ClusterPeer is a node of the cluster (this one included); Status is
// "alive", "failed" or "left".
type ClusterPeer struct {
	Name   string `json:"name"`
	Addr   string `json:"addr"`
	Status string `json:"status"`
}

// ClusterNetwork is a network whose gossip this node takes part in: the
// nodes that take part and the number of live table entries.
type ClusterNetwork struct {
	ID      string   `json:"id"`
	Members []string `json:"members"`
	Entries int      `json:"entries"`
}

// Diagnostics is the answer of GET /v1/cluster/diagnostics: the gossip
// database of this node.
type Diagnostics struct {
	Node     string               `json:"node"`
	Clock    uint64               `json:"clock"`
	Peers    []ClusterPeer        `json:"peers"`
	Networks []DiagnosticsNetwork `json:"networks"`
}

// DiagnosticsNetwork is a network of the gossip database and its entries.
type DiagnosticsNetwork struct {
	ID      string             `json:"id"`
	Members []string           `json:"members"`
	Entries []DiagnosticsEntry `json:"entries"`
}

// DiagnosticsEntry is one table entry; Owner is the node that wrote it.
// Deleted and Hidden entries are listed only when asked for (all).
type DiagnosticsEntry struct {
	Table   string `json:"table"`
	Key     string `json:"key"`
	Value   []byte `json:"value,omitempty"`
	Owner   string `json:"owner"`
	LTime   uint64 `json:"ltime"`
	Deleted bool   `json:"deleted,omitempty"`
	Hidden  bool   `json:"hidden,omitempty"`
	ReapIn  string `json:"reapIn,omitempty"`
}

// Cluster returns the daemon's cluster view (an *Error with status 503
// when the daemon runs without a cluster).
func (c *Client) Cluster(ctx context.Context) (Cluster, error) {
	var cl Cluster
	err := c.do(ctx, http.MethodGet, "/cluster", nil, &cl)
	return cl, err
}

// ClusterDiagnostics returns the daemon's gossip database, filtered by
// network ID and table when not empty; all adds deleted and hidden
// entries.
func (c *Client) ClusterDiagnostics(ctx context.Context, nid, table string, all bool) (Diagnostics, error) {
	q := url.Values{}
	if nid != "" {
		q.Set("nid", nid)
	}
	if table != "" {
		q.Set("table", table)
	}
	if all {
		q.Set("all", "1")
	}
	path := "/cluster/diagnostics"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var d Diagnostics
	err := c.do(ctx, http.MethodGet, path, nil, &d)
	return d, err
}
