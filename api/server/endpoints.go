package server

import (
	"net/http"
	"sort"
	"strconv"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/drivers/bridge"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

func (s *Server) createEndpoint(r *http.Request) (int, interface{}, error) {
	n, err := s.network(r.PathValue("network"))
	if err != nil {
		return 0, nil, err
	}
	var req api.EndpointCreate
	if err := decode(r, &req); err != nil {
		return 0, nil, err
	}
	v4, v6, err := validateEndpointCreate(&req)
	if err != nil {
		return 0, nil, err
	}
	exposed, bindings, err := endpointPorts(&req)
	if err != nil {
		return 0, nil, err
	}
	if _, err := n.EndpointByName(req.Name); err == nil {
		return 0, nil, &conflictField{badField("name", "network %s already has an endpoint named %q", n.Name(), req.Name)}
	}
	var opts []libnetwork.EndpointOption
	if len(exposed) > 0 {
		opts = append(opts, libnetwork.CreateOptionExposedPorts(exposed))
	}
	if len(bindings) > 0 {
		opts = append(opts, libnetwork.CreateOptionPortMapping(bindings))
	}
	for _, a := range req.Aliases {
		opts = append(opts, libnetwork.CreateOptionMyAlias(a))
	}
	if v4 != nil || v6 != nil {
		opts = append(opts, libnetwork.CreateOptionIpam(v4, v6, nil))
	}
	if req.DisableResolution {
		opts = append(opts, libnetwork.CreateOptionDisableResolution())
	}
	if req.InterfaceName != "" {
		opts = append(opts, libnetwork.EndpointOptionGeneric(map[string]interface{}{netlabel.Ifname: req.InterfaceName}))
	}
	ep, err := n.CreateEndpoint(req.Name, opts...)
	if err != nil {
		if types.IsForbidden(err) {
			if _, e := n.EndpointByName(req.Name); e == nil {
				return 0, nil, &conflictField{badField("name", "%v", err)}
			}
		}
		return 0, nil, err
	}
	meta := EndpointMeta{Aliases: req.Aliases, PortBindings: portBindingViews(bindings), InterfaceName: req.InterfaceName}
	for _, p := range exposed {
		meta.ExposedPorts = append(meta.ExposedPorts, api.Port{Proto: p.Proto.String(), Port: int(p.Port)})
	}
	if err := s.st.putEndpoint(ep.ID(), meta); err != nil {
		if derr := ep.Delete(true); derr != nil {
			logrus.WithField("eid", ep.ID()).WithError(derr).Warn("undo endpoint creation")
		}
		return 0, nil, err
	}
	return http.StatusCreated, s.endpointView(n, ep), nil
}

func (s *Server) listEndpoints(r *http.Request) (int, interface{}, error) {
	n, err := s.network(r.PathValue("network"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.endpointViews(n), nil
}

func (s *Server) listAllEndpoints(*http.Request) (int, interface{}, error) {
	nws := s.c.Networks()
	sort.Slice(nws, func(i, j int) bool { return nws[i].Name() < nws[j].Name() })
	out := []api.Endpoint{}
	for _, n := range nws {
		out = append(out, s.endpointViews(n)...)
	}
	return http.StatusOK, out, nil
}

func (s *Server) endpointViews(n libnetwork.Network) []api.Endpoint {
	eps := n.Endpoints()
	sort.Slice(eps, func(i, j int) bool { return eps[i].Name() < eps[j].Name() })
	out := make([]api.Endpoint, 0, len(eps))
	for _, ep := range eps {
		out = append(out, s.endpointView(n, ep))
	}
	return out
}

func (s *Server) inspectEndpoint(r *http.Request) (int, interface{}, error) {
	n, err := s.network(r.PathValue("network"))
	if err != nil {
		return 0, nil, err
	}
	ep, err := endpointOf(n, r.PathValue("endpoint"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.endpointView(n, ep), nil
}

func (s *Server) deleteEndpoint(r *http.Request) (int, interface{}, error) {
	force := false
	if v := r.URL.Query().Get("force"); v != "" {
		f, err := strconv.ParseBool(v)
		if err != nil {
			return 0, nil, badField("force", "invalid boolean %q", v)
		}
		force = f
	}
	n, err := s.network(r.PathValue("network"))
	if err != nil {
		return 0, nil, err
	}
	ep, err := endpointOf(n, r.PathValue("endpoint"))
	if err != nil {
		return 0, nil, err
	}
	if err := ep.Delete(force); err != nil {
		return 0, nil, err
	}
	if err := s.st.forget(nil, []string{ep.ID()}); err != nil {
		logrus.WithField("eid", ep.ID()).WithError(err).Warn("forget deleted endpoint")
	}
	return http.StatusNoContent, nil, nil
}

// endpointView is the API's form of endpoint ep of network n.
func (s *Server) endpointView(n libnetwork.Network, ep libnetwork.Endpoint) api.Endpoint {
	meta := s.st.endpoint(ep.ID())
	info := ep.Info()
	out := api.Endpoint{
		ID: ep.ID(), Name: ep.Name(), Network: n.Name(), NetworkID: n.ID(),
		Aliases: meta.Aliases, ExposedPorts: meta.ExposedPorts, PortBindings: meta.PortBindings, InterfaceName: meta.InterfaceName,
		Published: []api.PortBinding{},
	}
	if out.Aliases == nil {
		out.Aliases = []string{}
	}
	if out.ExposedPorts == nil {
		out.ExposedPorts = []api.Port{}
	}
	if out.PortBindings == nil {
		out.PortBindings = []api.PortBinding{}
	}
	iface := info.Iface()
	if m := iface.MacAddress(); len(m) > 0 {
		out.MacAddress = m.String()
	}
	if a := iface.Address(); a != nil {
		out.IPv4Address = a.String()
	}
	if a := iface.AddressIPv6(); a != nil {
		out.IPv6Address = a.String()
	}
	if gw := info.Gateway(); gw != nil {
		out.Gateway = gw.String()
	}
	if gw := info.GatewayIPv6(); gw != nil {
		out.GatewayIPv6 = gw.String()
	}
	if sb := info.Sandbox(); sb != nil {
		out.Sandbox = sb.ContainerID()
	}
	if di, err := ep.DriverInfo(); err == nil {
		if pm, ok := di[netlabel.PortMap].([]types.PortBinding); ok {
			out.Published = portBindingViews(pm)
		}
		if why, ok := di[bridge.UnpublishedKey].(string); ok {
			out.Unpublished = why
		}
	}
	return out
}

func portBindingViews(pbs []types.PortBinding) []api.PortBinding {
	out := make([]api.PortBinding, 0, len(pbs))
	for _, b := range pbs {
		v := api.PortBinding{Proto: b.Proto.String(), Port: int(b.Port), HostPort: int(b.HostPort), HostPortEnd: int(b.HostPortEnd)}
		if b.HostIP != nil && !b.HostIP.IsUnspecified() {
			v.HostIP = b.HostIP.String()
		}
		out = append(out, v)
	}
	return out
}
