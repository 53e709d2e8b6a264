package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/types"
)

func (s *Server) createNetwork(r *http.Request) (int, interface{}, error) {
	var req api.NetworkCreate
	if err := decode(r, &req); err != nil {
		return 0, nil, err
	}
	v4, v6, err := validateNetworkCreate(&req)
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.c.NetworkByName(req.Name); err == nil {
		return 0, nil, &conflictField{badField("name", "a network named %q already exists", req.Name)}
	}
	if req.ID != "" {
		if n, err := s.c.NetworkByID(req.ID); err == nil {
			return 0, nil, &conflictField{badField("id", "network %s already has the ID %q", n.Name(), req.ID)}
		}
	}
	if err := s.checkOverlaps(&req); err != nil {
		return 0, nil, err
	}
	opts := []libnetwork.NetworkOption{
		libnetwork.NetworkOptionIpam(req.IPAMDriver, "", v4, v6, req.IPAMOptions),
		libnetwork.NetworkOptionEnableIPv6(req.IPv6),
		libnetwork.NetworkOptionDriverOpts(req.Options),
		libnetwork.NetworkOptionLabels(req.Labels),
	}
	if req.Internal {
		opts = append(opts, libnetwork.NetworkOptionInternalNetwork())
	}
	n, err := s.c.NewNetwork(req.Driver, req.Name, req.ID, opts...)
	var nte libnetwork.NetworkTypeError
	if errors.As(err, &nte) {
		return 0, nil, badField("driver", "unknown driver %q", req.Driver)
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, networkView(n), nil
}

// allNetworker lists the controller's default gateway network too (on the
// concrete controller type; not part of the NetworkController interface).
type allNetworker interface {
	AllNetworks() []libnetwork.Network
}

// allNetworks returns every network: the user's and the default gateway
// network.
func (s *Server) allNetworks() []libnetwork.Network {
	if a, ok := s.c.(allNetworker); ok {
		return a.AllNetworks()
	}
	return s.c.Networks()
}

// listNetworks lists the user's networks; with the query all=true, the
// default gateway network too.
func (s *Server) listNetworks(r *http.Request) (int, interface{}, error) {
	nws := s.c.Networks()
	if v := r.URL.Query().Get("all"); v != "" {
		all, err := strconv.ParseBool(v)
		if err != nil {
			return 0, nil, badField("all", "want a boolean, got %q", v)
		}
		if all {
			nws = s.allNetworks()
		}
	}
	sort.Slice(nws, func(i, j int) bool { return nws[i].Name() < nws[j].Name() })
	out := make([]api.Network, 0, len(nws))
	for _, n := range nws {
		out = append(out, networkView(n))
	}
	return http.StatusOK, out, nil
}

func (s *Server) inspectNetwork(r *http.Request) (int, interface{}, error) {
	n, err := s.network(r.PathValue("network"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, networkView(n), nil
}

func (s *Server) deleteNetwork(r *http.Request) (int, interface{}, error) {
	n, err := s.network(r.PathValue("network"))
	if err != nil {
		return 0, nil, err
	}
	if err := n.Delete(); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// checkOverlaps refuses a subnet that overlaps one of another network of
// the same driver and IPAM driver (they share an address space), naming
// both subnets and the other network.
func (s *Server) checkOverlaps(req *api.NetworkCreate) error {
	for i, c := range req.IPAM {
		_, sub, err := net.ParseCIDR(c.Subnet)
		if err != nil {
			continue
		}
		for _, n := range s.c.Networks() {
			ipamDrv, _, _, _ := n.Info().IpamConfig()
			if n.Type() != req.Driver || !sameIPAM(ipamDrv, req.IPAMDriver) {
				continue
			}
			v4, v6 := n.Info().IpamInfo()
			for _, infos := range [][]*libnetwork.IpamInfo{v4, v6} {
				for _, o := range infos {
					if other := o.Pool; other != nil && (other.Contains(sub.IP) || sub.Contains(other.IP)) {
						return &conflictField{badField(fmt.Sprintf("ipam[%d].subnet", i), "%s overlaps subnet %s of %s network %s", sub, other, n.Type(), n.Name())}
					}
				}
			}
		}
	}
	return nil
}

// sameIPAM reports whether two IPAM driver names are the same driver (""
// is the default).
func sameIPAM(a, b string) bool {
	if a == "" {
		a = ipamapi.DefaultIPAM
	}
	if b == "" {
		b = ipamapi.DefaultIPAM
	}
	return a == b
}

// networkView is the API's form of n.
func networkView(n libnetwork.Network) api.Network {
	info := n.Info()
	ipamDrv, ipamOpts, v4cfg, v6cfg := info.IpamConfig()
	v4info, v6info := info.IpamInfo()
	out := api.Network{
		ID: n.ID(), Name: n.Name(), Driver: n.Type(), Scope: info.Scope(), IPAMDriver: ipamDrv, IPAMOptions: ipamOpts,
		IPAM: []api.IPAMConfig{}, IPv6: info.IPv6Enabled(), Internal: info.Internal(),
		Options: info.DriverOptions(), Labels: info.Labels(), Created: info.Created(),
		Endpoints: []api.EndpointSummary{},
	}
	if out.Labels == nil {
		out.Labels = map[string]string{}
	}
	for _, c := range append(v4cfg, v6cfg...) {
		for k, v := range c.AuxAddresses {
			if out.AuxAddresses == nil {
				out.AuxAddresses = map[string]string{}
			}
			out.AuxAddresses[k] = v
		}
	}
	out.IPAM = append(out.IPAM, poolViews(v4cfg, v4info)...)
	out.IPAM = append(out.IPAM, poolViews(v6cfg, v6info)...)
	for _, ep := range n.Endpoints() {
		sum := api.EndpointSummary{ID: ep.ID(), Name: ep.Name()}
		if a := ep.Info().Iface().Address(); a != nil {
			sum.IPv4Address = a.String()
		}
		if sb := ep.Info().Sandbox(); sb != nil {
			sum.Sandbox = sb.ContainerID()
		}
		out.Endpoints = append(out.Endpoints, sum)
	}
	sort.Slice(out.Endpoints, func(i, j int) bool { return out.Endpoints[i].Name < out.Endpoints[j].Name })
	return out
}

// poolViews shows the pools allocated to a network (the configuration
// asked for when none is allocated, as for the null driver).
func poolViews(cfg []*libnetwork.IpamConf, info []*libnetwork.IpamInfo) []api.IPAMConfig {
	var out []api.IPAMConfig
	if len(info) == 0 {
		for _, c := range cfg {
			out = append(out, api.IPAMConfig{Subnet: c.PreferredPool, Gateway: c.Gateway, IPRange: c.SubPool})
		}
		return out
	}
	for _, in := range info {
		if in.Pool == nil {
			continue
		}
		v := api.IPAMConfig{Subnet: in.Pool.String()}
		if in.Gateway != nil {
			v.Gateway = in.Gateway.IP.String()
		}
		for _, c := range cfg {
			if c.PreferredPool == v.Subnet {
				v.IPRange = c.SubPool
			}
		}
		out = append(out, v)
	}
	return out
}

// conflictField is a conflict with a field of the request (a name in use).
type conflictField struct{ err error }

func (c *conflictField) Error() string { return c.err.Error() }
func (c *conflictField) Unwrap() error { return c.err }

// Conflict marks the error's class.
func (c *conflictField) Conflict() {}

var _ types.ConflictError = (*conflictField)(nil)
