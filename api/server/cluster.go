package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/types"
)

// diagnoser is the controller's gossip state handler (on the concrete
// controller type; not part of the NetworkController interface).
type diagnoser interface {
	DiagnosticsHandler() http.Handler
}

// clusterConfig returns the controller's cluster configuration, or a
// NoServiceError when it runs without a cluster.
func (s *Server) clusterConfig() (config.ClusterCfg, http.Handler, error) {
	cl := s.c.Config().Cluster
	d, ok := s.c.(diagnoser)
	if !ok || cl.NodeName == "" {
		return cl, nil, types.NoServiceErrorf("this daemon runs without a cluster: start it with --node-name, --join or another cluster flag")
	}
	return cl, d.DiagnosticsHandler(), nil
}

// diagnostics asks the controller's handler for its state (query: nid,
// table, all).
func diagnostics(h http.Handler, query string) (api.Diagnostics, error) {
	var d api.Diagnostics
	req := httptest.NewRequest(http.MethodGet, "/?"+query, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code == http.StatusServiceUnavailable {
		return d, types.NoServiceErrorf("cluster diagnostics: %s", strings.TrimSpace(rec.Body.String()))
	}
	if rec.Code != http.StatusOK {
		return d, types.InternalErrorf("cluster diagnostics: status %d: %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	if err := json.NewDecoder(bytes.NewReader(rec.Body.Bytes())).Decode(&d); err != nil {
		return d, types.InternalErrorf("cluster diagnostics: decode: %w", err)
	}
	return d, nil
}

func (s *Server) cluster(*http.Request) (int, interface{}, error) {
	cl, h, err := s.clusterConfig()
	if err != nil {
		return 0, nil, err
	}
	d, err := diagnostics(h, "")
	if err != nil {
		return 0, nil, err
	}
	out := api.Cluster{
		NodeName: cl.NodeName, AdvertiseAddr: cl.AdvertiseAddr, BindAddr: cl.BindAddr, GossipPort: cl.BindPort,
		Join: append([]string{}, cl.Peers...), Encrypted: len(cl.Keys) > 0,
		Peers: d.Peers, Networks: []api.ClusterNetwork{},
	}
	if out.Peers == nil {
		out.Peers = []api.ClusterPeer{}
	}
	for _, p := range d.Peers {
		if p.Name == cl.NodeName && out.AdvertiseAddr == "" {
			out.AdvertiseAddr = p.Addr
		}
	}
	for _, n := range d.Networks {
		members := n.Members
		if members == nil {
			members = []string{}
		}
		out.Networks = append(out.Networks, api.ClusterNetwork{ID: n.ID, Members: members, Entries: len(n.Entries)})
	}
	return http.StatusOK, out, nil
}

// clusterDiagnostics serves the controller's gossip state as it is (a
// JSON api.Diagnostics); without a cluster, a 503 error answer.
func (s *Server) clusterDiagnostics(w http.ResponseWriter, r *http.Request) {
	_, h, err := s.clusterConfig()
	if err != nil {
		writeError(w, r, err)
		return
	}
	h.ServeHTTP(w, r)
}
