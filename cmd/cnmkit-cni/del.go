package main

import (
	"fmt"

	"github.com/cnmkit/libnetwork/api"
	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/types"
)

// cmdDel removes the container's interface from the network, and its
// sandbox once it has no other. What is gone already is no error: an
// unknown container, a missing namespace, a network deleted.
func cmdDel(args *skel.CmdArgs) error {
	s, done, cerr := newSession(args)
	if cerr != nil {
		return cerr
	}
	defer done()
	return s.detach(args.ContainerID, args.IfName)
}

// detach deletes the endpoint of container cid's interface ifname, and the
// container's sandbox when no endpoint is left in it.
func (s *session) detach(cid, ifname string) error {
	name := endpointName(cid, ifname)
	sb, err := s.cl.Sandbox(s.ctx, cid)
	if err != nil && !isNotFound(err) {
		return daemonErr("sandbox", "sandbox of container "+cid, err)
	}
	hasSandbox := err == nil
	if hasSandbox && onlyEndpoint(sb, s.conf.Name, name) {
		// Its last interface: the sandbox goes, and the endpoint with it.
		if err := s.cl.DeleteSandbox(s.ctx, cid); err != nil && !isNotFound(err) {
			return daemonErr("sandbox", "delete sandbox of container "+cid, err)
		}
		return nil
	}
	if err := s.cl.DeleteEndpoint(s.ctx, s.conf.Name, name, true); err != nil && !isNotFound(err) {
		return daemonErr("endpoint", "delete endpoint of container "+cid, err)
	}
	if !hasSandbox {
		return nil
	}
	// Delete the sandbox if that was its last endpoint (or it had none,
	// left by an ADD that failed half-way).
	sb, err = s.cl.Sandbox(s.ctx, cid)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return daemonErr("sandbox", "sandbox of container "+cid, err)
	}
	if len(sb.Endpoints) == 0 {
		if err := s.cl.DeleteSandbox(s.ctx, cid); err != nil && !isNotFound(err) {
			return daemonErr("sandbox", "delete sandbox of container "+cid, err)
		}
	}
	return nil
}

// cmdGC removes the network's attachments made by the plugin that are not
// in the runtime's cni.dev/valid-attachments.
func cmdGC(args *skel.CmdArgs) error {
	s, done, cerr := newSession(args)
	if cerr != nil {
		return cerr
	}
	defer done()
	valid := map[types.GCAttachment]bool{}
	for _, a := range s.conf.ValidAttachments {
		valid[a] = true
	}
	eps, err := s.cl.Endpoints(s.ctx, s.conf.Name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return daemonErr("network", "endpoints of network "+s.conf.Name, err)
	}
	for _, ep := range eps {
		if !ours(ep) || valid[types.GCAttachment{ContainerID: ep.Sandbox, IfName: ep.InterfaceName}] {
			continue
		}
		if err := s.detach(ep.Sandbox, ep.InterfaceName); err != nil {
			return err
		}
	}
	return nil
}

// onlyEndpoint tells whether sb's only endpoint is the one named name on
// network (a name or an ID).
func onlyEndpoint(sb api.Sandbox, network, name string) bool {
	return len(sb.Endpoints) == 1 && sb.Endpoints[0].Name == name &&
		(sb.Endpoints[0].Network == network || sb.Endpoints[0].NetworkID == network)
}

// ours tells whether the plugin made ep (for an attached container).
func ours(ep api.Endpoint) bool {
	return ep.Sandbox != "" && ep.InterfaceName != "" && ep.Name == endpointName(ep.Sandbox, ep.InterfaceName)
}

// cmdStatus reports whether the daemon answers (code 50 when not).
func cmdStatus(args *skel.CmdArgs) error {
	s, done, cerr := newSession(args)
	if cerr != nil {
		return cerr
	}
	defer done()
	if _, err := s.cl.Info(s.ctx); err != nil {
		return types.NewError(types.ErrPluginNotAvailable, fmt.Sprintf("the dnet daemon at %s does not answer: %v", s.conf.socket(), err), "")
	}
	return nil
}
