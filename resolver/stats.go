package resolver

import "sync/atomic"

// Stats counts the queries of the resolvers that share it (Config.Stats):
// one value for a whole controller, whatever sandboxes come and go.
type Stats struct {
	// Queries are the DNS messages the resolvers took.
	Queries atomic.Uint64
	// Local are the queries answered from the Backend (or refused) without
	// an upstream.
	Local atomic.Uint64
	// Forwarded are the queries sent on to the upstreams.
	Forwarded atomic.Uint64
	// ForwardFailures are forwarded queries that got no usable answer
	// (SERVFAIL to the client: no upstream answered, all failed, or too
	// many forwards were in flight).
	ForwardFailures atomic.Uint64
}

// stats returns the resolver's counters, or a throwaway when none is set.
func (r *Resolver) stats() *Stats {
	if r.cfg.Stats != nil {
		return r.cfg.Stats
	}
	return &r.ownStats
}

// count records a query by what the handler decided.
func (r *Resolver) count(v verdict) {
	s := r.stats()
	s.Queries.Add(1)
	switch v {
	case reply:
		s.Local.Add(1)
	case forward:
		s.Forwarded.Add(1)
	}
}
