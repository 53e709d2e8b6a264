package server

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/atomicfile"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// State is what the daemon remembers beside the controller's store: the
// settings of its sandboxes and endpoints that the controller's API does
// not report (host names, DNS settings, aliases, ports asked for), and
// which sandboxes are the daemon's, so that a restarted daemon keeps them.
type State struct {
	path string

	mu   sync.Mutex
	data stateData
}

type stateData struct {
	Sandboxes map[string]SandboxMeta  `json:"sandboxes"`
	Endpoints map[string]EndpointMeta `json:"endpoints"`
}

// SandboxMeta is a sandbox's settings as created.
type SandboxMeta struct {
	Name       string   `json:"name"`
	Hostname   string   `json:"hostname,omitempty"`
	Domainname string   `json:"domainname,omitempty"`
	DNS        []string `json:"dns,omitempty"`
	DNSSearch  []string `json:"dns_search,omitempty"`
	DNSOptions []string `json:"dns_options,omitempty"`
	ExtraHosts []string `json:"extra_hosts,omitempty"`
}

// EndpointMeta is an endpoint's settings as created.
type EndpointMeta struct {
	Aliases      []string          `json:"aliases,omitempty"`
	ExposedPorts []api.Port        `json:"exposed_ports,omitempty"`
	PortBindings []api.PortBinding `json:"port_bindings,omitempty"`
	// InterfaceName is the interface name asked for at creation.
	InterfaceName string `json:"interface_name,omitempty"`
}

// OpenState reads the state file at path (a missing file is an empty
// state). An empty path keeps the state in memory only.
func OpenState(path string) (*State, error) {
	s := &State{path: path, data: stateData{Sandboxes: map[string]SandboxMeta{}, Endpoints: map[string]EndpointMeta{}}}
	if path == "" {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, types.InternalErrorf("read daemon state %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &s.data); err != nil {
		return nil, types.InternalErrorf("daemon state %s is corrupt: %w", path, err)
	}
	if s.data.Sandboxes == nil {
		s.data.Sandboxes = map[string]SandboxMeta{}
	}
	if s.data.Endpoints == nil {
		s.data.Endpoints = map[string]EndpointMeta{}
	}
	return s, nil
}

// ActiveSandboxes names the daemon's sandboxes for
// config.OptionActiveSandboxes: the controller keeps them at start.
func (s *State) ActiveSandboxes() map[string]interface{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]interface{}, len(s.data.Sandboxes))
	for id := range s.data.Sandboxes {
		out[id] = nil
	}
	return out
}

// Prune forgets the objects the controller does not have.
func (s *State) Prune(c libnetwork.NetworkController) error {
	sbs := map[string]bool{}
	for _, sb := range c.Sandboxes() {
		sbs[sb.ID()] = true
	}
	eps := map[string]bool{}
	for _, n := range c.Networks() {
		for _, ep := range n.Endpoints() {
			eps[ep.ID()] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := false
	for id := range s.data.Sandboxes {
		if !sbs[id] {
			delete(s.data.Sandboxes, id)
			changed = true
		}
	}
	for id := range s.data.Endpoints {
		if !eps[id] {
			delete(s.data.Endpoints, id)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return s.saveLocked()
}

func (s *State) sandbox(id string) SandboxMeta {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data.Sandboxes[id]
}

func (s *State) endpoint(id string) EndpointMeta {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data.Endpoints[id]
}

func (s *State) putSandbox(id string, m SandboxMeta) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data.Sandboxes[id] = m
	if err := s.saveLocked(); err != nil {
		delete(s.data.Sandboxes, id)
		return err
	}
	return nil
}

func (s *State) putEndpoint(id string, m EndpointMeta) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data.Endpoints[id] = m
	if err := s.saveLocked(); err != nil {
		delete(s.data.Endpoints, id)
		return err
	}
	return nil
}

// forget drops sandboxes and endpoints by ID.
func (s *State) forget(sandboxes, endpoints []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range sandboxes {
		delete(s.data.Sandboxes, id)
	}
	for _, id := range endpoints {
		delete(s.data.Endpoints, id)
	}
	return s.saveLocked()
}

func (s *State) saveLocked() error {
	if s.path == "" {
		return nil
	}
	b, err := json.MarshalIndent(&s.data, "", "  ")
	if err != nil {
		return types.InternalErrorf("encode daemon state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return types.InternalErrorf("save daemon state: %w", err)
	}
	if err := atomicfile.WriteFile(s.path, b); err != nil {
		return types.InternalErrorf("save daemon state %s: %w", s.path, err)
	}
	return nil
}

// DropUnrecorded deletes the endpoints of the user's networks that the
// state does not know: their creation through the daemon did not finish
// (the daemon ended between the controller's work and the state's), so
// they are undone as the controller undoes the sandboxes the state does
// not name.
func (s *State) DropUnrecorded(c libnetwork.NetworkController) {
	if s.path == "" {
		return // nothing was kept: nothing to compare with
	}
	s.mu.Lock()
	known := make(map[string]bool, len(s.data.Endpoints))
	for id := range s.data.Endpoints {
		known[id] = true
	}
	s.mu.Unlock()
	for _, n := range c.Networks() {
		for _, ep := range n.Endpoints() {
			if known[ep.ID()] {
				continue
			}
			log := logrus.WithFields(logrus.Fields{"nid": n.ID(), "eid": ep.ID()})
			log.Info("remove an endpoint whose creation did not finish")
			if err := ep.Delete(true); err != nil {
				log.WithError(err).Warn("remove an endpoint whose creation did not finish")
			}
		}
	}
}
