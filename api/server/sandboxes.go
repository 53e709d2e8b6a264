package server

import (
	"net/http"
	"sort"
	"strings"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

func (s *Server) createSandbox(r *http.Request) (int, interface{}, error) {
	var req api.SandboxCreate
	if err := decode(r, &req); err != nil {
		return 0, nil, err
	}
	if err := validateSandboxCreate(&req); err != nil {
		return 0, nil, err
	}
	if s.sandboxNamed(req.Name) != nil {
		return 0, nil, &conflictField{badField("name", "a sandbox named %q already exists", req.Name)}
	}
	var opts []libnetwork.SandboxOption
	if req.Hostname != "" {
		opts = append(opts, libnetwork.OptionHostname(req.Hostname))
	}
	if req.Domainname != "" {
		opts = append(opts, libnetwork.OptionDomainname(req.Domainname))
	}
	for _, d := range req.DNS {
		opts = append(opts, libnetwork.OptionDNS(d))
	}
	for _, d := range req.DNSSearch {
		opts = append(opts, libnetwork.OptionDNSSearch(d))
	}
	for _, d := range req.DNSOptions {
		opts = append(opts, libnetwork.OptionDNSOptions(d))
	}
	for _, h := range req.ExtraHosts {
		name, ip, _ := strings.Cut(h, ":")
		opts = append(opts, libnetwork.OptionExtraHost(name, ip))
	}
	if req.Key != "" {
		opts = append(opts, libnetwork.OptionUseExternalKey())
	}
	sb, err := s.c.NewSandbox(req.Name, opts...)
	if err != nil {
		if types.IsForbidden(err) && s.sandboxNamed(req.Name) != nil {
			return 0, nil, &conflictField{badField("name", "%v", err)}
		}
		return 0, nil, err
	}
	if req.Key != "" {
		// The namespace is there already: set it now, so that the
		// interfaces of later attaches are born inside it.
		if err := sb.SetKey(req.Key); err != nil {
			if derr := sb.Delete(); derr != nil {
				logrus.WithField("sid", sb.ID()).WithError(derr).Warn("undo sandbox creation")
			}
			if types.IsBadRequest(err) {
				return 0, nil, badField("key", "%v", err)
			}
			return 0, nil, err
		}
	}
	meta := SandboxMeta{Name: req.Name, Hostname: req.Hostname, Domainname: req.Domainname,
		DNS: req.DNS, DNSSearch: req.DNSSearch, DNSOptions: req.DNSOptions, ExtraHosts: req.ExtraHosts}
	if err := s.st.putSandbox(sb.ID(), meta); err != nil {
		if derr := sb.Delete(); derr != nil {
			logrus.WithField("sid", sb.ID()).WithError(derr).Warn("undo sandbox creation")
		}
		return 0, nil, err
	}
	return http.StatusCreated, s.sandboxView(sb), nil
}

func (s *Server) listSandboxes(*http.Request) (int, interface{}, error) {
	sbs := s.c.Sandboxes()
	sort.Slice(sbs, func(i, j int) bool { return sbs[i].ContainerID() < sbs[j].ContainerID() })
	out := make([]api.Sandbox, 0, len(sbs))
	for _, sb := range sbs {
		out = append(out, s.sandboxView(sb))
	}
	return http.StatusOK, out, nil
}

func (s *Server) inspectSandbox(r *http.Request) (int, interface{}, error) {
	sb, err := s.sandbox(r.PathValue("sandbox"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.sandboxView(sb), nil
}

func (s *Server) deleteSandbox(r *http.Request) (int, interface{}, error) {
	sb, err := s.sandbox(r.PathValue("sandbox"))
	if err != nil {
		return 0, nil, err
	}
	var eps []string
	for _, ep := range sb.Endpoints() {
		eps = append(eps, ep.ID())
	}
	if err := sb.Delete(); err != nil {
		return 0, nil, err
	}
	if err := s.st.forget([]string{sb.ID()}, eps); err != nil {
		logrus.WithField("sid", sb.ID()).WithError(err).Warn("forget deleted sandbox")
	}
	return http.StatusNoContent, nil, nil
}

// attachTarget reads an attach or detach request: the sandbox and the
// endpoint it names.
func (s *Server) attachTarget(r *http.Request) (libnetwork.Sandbox, libnetwork.Endpoint, error) {
	sb, err := s.sandbox(r.PathValue("sandbox"))
	if err != nil {
		return nil, nil, err
	}
	var req api.AttachRequest
	if err := decode(r, &req); err != nil {
		return nil, nil, err
	}
	if err := checkRef("network", req.Network); err != nil {
		return nil, nil, err
	}
	if err := checkRef("endpoint", req.Endpoint); err != nil {
		return nil, nil, err
	}
	n, err := s.network(req.Network)
	if err != nil {
		return nil, nil, err
	}
	ep, err := endpointOf(n, req.Endpoint)
	if err != nil {
		return nil, nil, err
	}
	return sb, ep, nil
}

func (s *Server) attach(r *http.Request) (int, interface{}, error) {
	sb, ep, err := s.attachTarget(r)
	if err != nil {
		return 0, nil, err
	}
	if cur := ep.Info().Sandbox(); cur != nil {
		return 0, nil, types.ConflictErrorf("endpoint %s is already attached to sandbox %s", ep.Name(), cur.ContainerID())
	}
	if err := ep.Join(sb); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.sandboxView(sb), nil
}

func (s *Server) detach(r *http.Request) (int, interface{}, error) {
	sb, ep, err := s.attachTarget(r)
	if err != nil {
		return 0, nil, err
	}
	if cur := ep.Info().Sandbox(); cur == nil || cur.ID() != sb.ID() {
		return 0, nil, types.ConflictErrorf("endpoint %s is not attached to sandbox %s", ep.Name(), sb.ContainerID())
	}
	if err := ep.Leave(sb); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.sandboxView(sb), nil
}

// sandboxView is the API's form of sb, with the interfaces its namespace has.
func (s *Server) sandboxView(sb libnetwork.Sandbox) api.Sandbox {
	meta := s.st.sandbox(sb.ID())
	out := api.Sandbox{
		ID: sb.ID(), Name: sb.ContainerID(), Key: sb.Key(), Hostname: meta.Hostname, Domainname: meta.Domainname,
		DNS: nonNil(meta.DNS), DNSSearch: nonNil(meta.DNSSearch), DNSOptions: nonNil(meta.DNSOptions),
		ExtraHosts: nonNil(meta.ExtraHosts), Endpoints: []api.SandboxEndpoint{}, Interfaces: []api.Interface{},
	}
	for _, ep := range sb.Endpoints() {
		v := api.SandboxEndpoint{ID: ep.ID(), Name: ep.Name(), Network: ep.Network()}
		if n, err := s.c.NetworkByName(ep.Network()); err == nil {
			v.NetworkID = n.ID()
		}
		iface := ep.Info().Iface()
		if m := iface.MacAddress(); len(m) > 0 {
			v.MacAddress = m.String()
		}
		if a := iface.Address(); a != nil {
			v.IPv4Address = a.String()
		}
		if a := iface.AddressIPv6(); a != nil {
			v.IPv6Address = a.String()
		}
		if gw := ep.Info().Gateway(); gw != nil {
			v.Gateway = gw.String()
		}
		out.Endpoints = append(out.Endpoints, v)
	}
	itfs, err := interfacesAt(sb.Key())
	if err != nil {
		logrus.WithField("sid", sb.ID()).WithError(err).Debug("sandbox interfaces")
	} else {
		out.Interfaces = itfs
	}
	return out
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
