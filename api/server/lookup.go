package server

import (
	"strings"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/types"
)

// pick finds the one object that ref names: by ID, then by name, then by
// unique ID prefix.
func pick[T any](kind, ref string, all []T, id, name func(T) string) (T, error) {
	var zero T
	for _, o := range all {
		if id(o) == ref {
			return o, nil
		}
	}
	for _, o := range all {
		if name(o) == ref {
			return o, nil
		}
	}
	var found []T
	for _, o := range all {
		if strings.HasPrefix(id(o), ref) {
			found = append(found, o)
		}
	}
	switch len(found) {
	case 0:
		return zero, types.NotFoundErrorf("%s %q not found", kind, ref)
	case 1:
		return found[0], nil
	}
	return zero, types.BadRequestErrorf("%s ID prefix %q is ambiguous: %d %ss match", kind, ref, len(found), kind)
}

func (s *Server) network(ref string) (libnetwork.Network, error) {
	// Named explicitly, the default gateway network is found too.
	return pick("network", ref, s.allNetworks(),
		func(n libnetwork.Network) string { return n.ID() },
		func(n libnetwork.Network) string { return n.Name() })
}

func endpointOf(n libnetwork.Network, ref string) (libnetwork.Endpoint, error) {
	ep, err := pick("endpoint", ref, n.Endpoints(),
		func(e libnetwork.Endpoint) string { return e.ID() },
		func(e libnetwork.Endpoint) string { return e.Name() })
	if types.IsNotFound(err) {
		return nil, types.NotFoundErrorf("endpoint %q not found in network %s", ref, n.Name())
	}
	return ep, err
}

func (s *Server) sandbox(ref string) (libnetwork.Sandbox, error) {
	return pick("sandbox", ref, s.c.Sandboxes(),
		func(sb libnetwork.Sandbox) string { return sb.ID() },
		func(sb libnetwork.Sandbox) string { return sb.ContainerID() })
}

// sandboxNamed returns the sandbox of container name, or nil.
func (s *Server) sandboxNamed(name string) libnetwork.Sandbox {
	var out libnetwork.Sandbox
	s.c.WalkSandboxes(libnetwork.SandboxContainerWalker(&out, name))
	return out
}
