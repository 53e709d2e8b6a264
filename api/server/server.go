// Package server serves the dnet HTTP API (package api) for one
// libnetwork controller.
package server

import (
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/version"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

type ipamConf = libnetwork.IpamConf

// Server is the API of one controller.
type Server struct {
	c   libnetwork.NetworkController
	st  *State
	mux *http.ServeMux
}

// New returns the API of controller c; st remembers what the controller
// does not report (an in-memory State when nil).
func New(c libnetwork.NetworkController, st *State) *Server {
	if st == nil {
		st, _ = OpenState("")
	}
	s := &Server{c: c, st: st, mux: http.NewServeMux()}
	routes := []struct {
		pattern string
		h       handlerFunc
	}{
		{"GET /v1/info", s.info},
		{"GET /v1/networks", s.listNetworks},
		{"POST /v1/networks", s.createNetwork},
		{"GET /v1/networks/{network}", s.inspectNetwork},
		{"DELETE /v1/networks/{network}", s.deleteNetwork},
		{"GET /v1/networks/{network}/endpoints", s.listEndpoints},
		{"POST /v1/networks/{network}/endpoints", s.createEndpoint},
		{"GET /v1/networks/{network}/endpoints/{endpoint}", s.inspectEndpoint},
		{"DELETE /v1/networks/{network}/endpoints/{endpoint}", s.deleteEndpoint},
		{"GET /v1/endpoints", s.listAllEndpoints},
		{"GET /v1/sandboxes", s.listSandboxes},
		{"POST /v1/sandboxes", s.createSandbox},
		{"GET /v1/sandboxes/{sandbox}", s.inspectSandbox},
		{"DELETE /v1/sandboxes/{sandbox}", s.deleteSandbox},
		{"POST /v1/sandboxes/{sandbox}/attach", s.attach},
		{"POST /v1/sandboxes/{sandbox}/detach", s.detach},
	}
	for _, r := range routes {
		s.mux.Handle(r.pattern, serve(r.h))
	}
	s.mux.Handle("GET /v1/cluster", serve(s.cluster))
	s.mux.HandleFunc("GET /v1/cluster/diagnostics", s.clusterDiagnostics)
	s.mux.Handle("GET /metrics", metricsHandler(c))
	s.mux.Handle("/", http.HandlerFunc(s.noRoute))
	return s
}

// noRoute answers a request no route takes: 405 with Allow when the path
// is known with other methods, 404 otherwise.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(w, r, types.NotFoundErrorf("no route %s %s (the API is under /%s/)", r.Method, r.URL.Path, api.Version))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeJSON(w, http.StatusMethodNotAllowed, api.ErrorResponse{
		Message: fmt.Sprintf("method %s not allowed on %s: use %s", r.Method, r.URL.Path, strings.Join(allow, ", "))})
}

// ServeHTTP serves one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody+1)
	logrus.WithFields(logrus.Fields{"method": r.Method, "path": r.URL.Path}).Debug("API request")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) info(*http.Request) (int, interface{}, error) {
	cfg := s.c.Config()
	v := version.Get()
	return http.StatusOK, api.Info{
		APIVersion:   api.Version,
		ControllerID: s.c.ID(),
		DataDir:      cfg.Daemon.DataDir,
		ExecRoot:     cfg.Daemon.ExecRoot,
		PID:          os.Getpid(),
		Version:      v.Version,
		GitCommit:    v.GitCommit,
		GoVersion:    v.GoVersion,
		OSArch:       v.OSArch,
	}, nil
}
