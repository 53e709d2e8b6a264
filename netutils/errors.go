package netutils

import "github.com/cnmkit/libnetwork/types"

// The errors the overlap checks wrap; test for them with errors.Is.
var (
	// ErrNetworkOverlapsWithNameservers: a network holds a nameserver address.
	ErrNetworkOverlapsWithNameservers = types.ForbiddenErrorf("requested network overlaps with nameserver")
	// ErrNetworkOverlaps: a network overlaps a route of the namespace.
	ErrNetworkOverlaps = types.ForbiddenErrorf("requested network overlaps with existing network")
	// ErrNoDefaultRoute: the namespace has no default route.
	ErrNoDefaultRoute = types.NotFoundErrorf("no default route")
)
