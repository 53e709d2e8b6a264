package main

import (
	"context"
	"net"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
	"golang.org/x/sys/unix"
)

// cmdTimeout bounds one command's calls to the daemon.
const cmdTimeout = 2 * time.Minute

// session is one command: the configuration, the runtime's arguments and
// a client of the daemon.
type session struct {
	conf *netConf
	args *skel.CmdArgs
	cl   *api.Client
	ctx  context.Context
}

func newSession(args *skel.CmdArgs) (*session, context.CancelFunc, *types.Error) {
	conf, cerr := parseConf(args.StdinData)
	if cerr != nil {
		return nil, nil, cerr
	}
	cl, err := api.NewClient(conf.socket())
	if err != nil {
		return nil, nil, cniErr(types.ErrInvalidNetworkConfig, "socket", "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	return &session{conf: conf, args: args, cl: cl, ctx: ctx}, func() { cancel(); cl.Close() }, nil
}

func cmdAdd(args *skel.CmdArgs) error {
	s, done, cerr := newSession(args)
	if cerr != nil {
		return cerr
	}
	defer done()
	if !ns.IsNetNS(args.Netns) {
		return cniErr(types.ErrInvalidEnvironmentVariables, "CNI_NETNS", "%q is not a network namespace", args.Netns)
	}
	if _, nerr := s.network(); nerr != nil {
		return nerr
	}
	sb, created, serr := s.sandbox()
	if serr != nil {
		return serr
	}
	undoSandbox := func() {
		if created {
			_ = s.cl.DeleteSandbox(s.ctx, sb.Name)
		}
	}
	ep, eerr := s.endpoint()
	if eerr != nil {
		undoSandbox()
		return eerr
	}
	attached, err := s.cl.Attach(s.ctx, sb.Name, s.conf.Name, ep.Name)
	if err != nil {
		_ = s.cl.DeleteEndpoint(s.ctx, s.conf.Name, ep.Name, true)
		undoSandbox()
		return daemonErr("endpoint", "attach to container "+args.ContainerID, err)
	}
	// The addresses and gateway as attached (the driver may set them at Join).
	for _, a := range attached.Endpoints {
		if a.ID == ep.ID {
			ep.MacAddress, ep.IPv4Address, ep.IPv6Address, ep.Gateway = a.MacAddress, a.IPv4Address, a.IPv6Address, a.Gateway
		}
	}
	res, rerr := s.result(ep)
	if rerr != nil {
		return rerr
	}
	return types.PrintResult(res, s.conf.CNIVersion)
}

// network returns the configuration's network, created on first use.
func (s *session) network() (api.Network, *types.Error) {
	n, err := s.cl.Network(s.ctx, s.conf.Name)
	if isNotFound(err) {
		n, err = s.cl.CreateNetwork(s.ctx, s.conf.networkCreate())
		if isConflict(err) { // another ADD created it meanwhile?
			if n2, gerr := s.cl.Network(s.ctx, s.conf.Name); gerr == nil {
				n, err = n2, nil
			}
		}
	}
	if err != nil {
		return n, daemonErr("network", "network "+s.conf.Name, err)
	}
	if n.Driver != s.conf.Driver {
		return n, cniErr(types.ErrInvalidNetworkConfig, "driver", "network %s exists with driver %q, not %q", n.Name, n.Driver, s.conf.Driver)
	}
	return n, nil
}

// sandbox returns the container's sandbox on CNI_NETNS, created when it
// has none yet (created true).
func (s *session) sandbox() (api.Sandbox, bool, *types.Error) {
	cid := s.args.ContainerID
	sb, err := s.cl.CreateSandbox(s.ctx, api.SandboxCreate{Name: cid, Key: s.args.Netns})
	if err == nil {
		return sb, true, nil
	}
	if !isConflict(err) {
		return sb, false, daemonErr("sandbox", "sandbox of container "+cid, err)
	}
	// The container has one already (attached to another network).
	sb, err = s.cl.Sandbox(s.ctx, cid)
	if err != nil {
		return sb, false, daemonErr("sandbox", "sandbox of container "+cid, err)
	}
	if !sameFile(sb.Key, s.args.Netns) {
		return sb, false, cniErr(types.ErrInvalidEnvironmentVariables, "CNI_NETNS",
			"container %s is attached in another network namespace than %s", cid, s.args.Netns)
	}
	return sb, false, nil
}

// endpoint creates the endpoint of the container's interface.
func (s *session) endpoint() (api.Endpoint, *types.Error) {
	name := endpointName(s.args.ContainerID, s.args.IfName)
	req := api.EndpointCreate{Name: name, InterfaceName: s.args.IfName, PortBindings: s.conf.portBindings(),
		Aliases: s.conf.RuntimeConfig.Aliases[s.conf.Name]}
	ep, err := s.cl.CreateEndpoint(s.ctx, s.conf.Name, req)
	if isConflict(err) {
		old, gerr := s.cl.Endpoint(s.ctx, s.conf.Name, name)
		if gerr == nil && old.Sandbox != "" {
			return ep, cniErr(types.ErrInvalidEnvironmentVariables, "CNI_IFNAME",
				"container %s already has interface %s on network %s (ADD again without DEL)", s.args.ContainerID, s.args.IfName, s.conf.Name)
		}
		// Left by an ADD that failed half-way: start again.
		if err := s.cl.DeleteEndpoint(s.ctx, s.conf.Name, name, true); err != nil && !isNotFound(err) {
			return ep, daemonErr("endpoint", "remove stale endpoint", err)
		}
		ep, err = s.cl.CreateEndpoint(s.ctx, s.conf.Name, req)
	}
	if err != nil {
		return ep, daemonErr("endpoint", "endpoint of container "+s.args.ContainerID, err)
	}
	return ep, nil
}

// result is the CNI result of the attached endpoint ep: the interface,
// its addresses and the routes of the namespace through it.
func (s *session) result(ep api.Endpoint) (*current.Result, *types.Error) {
	res := &current.Result{CNIVersion: current.ImplementedSpecVersion}
	res.Interfaces = []*current.Interface{{Name: s.args.IfName, Mac: ep.MacAddress, Sandbox: s.args.Netns}}
	idx := 0
	add := func(addr, gw string) {
		if addr == "" {
			return
		}
		ip, n, err := net.ParseCIDR(addr)
		if err != nil {
			return
		}
		c := &current.IPConfig{Interface: &idx, Address: net.IPNet{IP: ip, Mask: n.Mask}, Gateway: net.ParseIP(gw)}
		res.IPs = append(res.IPs, c)
	}
	add(ep.IPv4Address, ep.Gateway)
	add(ep.IPv6Address, ep.GatewayIPv6)
	routes, err := routesVia(s.args.Netns, s.args.IfName)
	if err != nil {
		return nil, cniErr(types.ErrInternal, "", "read the routes of %s in %s: %v", s.args.IfName, s.args.Netns, err)
	}
	res.Routes = routes
	res.DNS = types.DNS{Nameservers: []string{embeddedDNS}}
	return res, nil
}

// embeddedDNS is the address of the daemon's DNS server inside a sandbox.
const embeddedDNS = "127.0.0.11"

// sameFile tells whether paths a and b are the same file (a namespace
// pinned at two paths).
func sameFile(a, b string) bool {
	var sa, sb unix.Stat_t
	if unix.Stat(a, &sa) != nil || unix.Stat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}
