// Package resolver is the embedded DNS server of a sandbox: it serves
// 127.0.0.11:53 over UDP and TCP inside the sandbox's network namespace,
// answers A, AAAA and PTR queries for the sandbox's local names from a
// Backend, and forwards every other query to the sandbox's upstream servers
// from inside that namespace.
//
// # Answers
//
// Query names are matched case-insensitively: the Backend sees them
// lowercase, without the trailing dot, and may return PTR names with or
// without it. Answers carry the name as asked. A local name
// asked in a family it lacks (or with any other type) gets an empty NOERROR
// answer and is not forwarded, so that a container's stub resolver never
// caches an upstream NXDOMAIN for a name that exists locally. A PTR query
// for an address the Backend does not know is forwarded. Local answers carry
// the AA bit and a TTL of 600 seconds; a UDP answer larger than the client's
// buffer (512 bytes, or its EDNS0 size) is truncated with TC set.
//
// # Forwarding
//
// Queries are forwarded as received, under a fresh random ID, over UDP
// (retried over TCP with the same upstream when the reply is truncated) or,
// for queries that came over TCP, over TCP. Each forwarded query uses a new
// socket created inside the sandbox's namespace, so it has a random source
// port and reaches the upstreams the sandbox can reach. Upstreams are tried
// in order; each gets an equal share of the time left of
// Config.ForwardTimeout, and a SERVFAIL or REFUSED reply moves on to the
// next one. When every upstream fails or the time is up the client gets
// SERVFAIL. At most Config.MaxConcurrentForwards queries are forwarded at
// once: a query beyond that bound gets SERVFAIL at once (the overload is
// transient and the client may retry). With no upstreams configured a
// non-local query gets REFUSED at once, and answers carry RA=0.
//
// Malformed queries get FORMERR when their header can be read and are
// dropped otherwise; messages with the QR bit set are always dropped.
//
// # Reaching port 53: DNAT by default, direct bind on request
//
// In ModeDNAT (the default, as libnetwork) the resolver listens on
// kernel-chosen ports of 127.0.0.11 and installs, in the sandbox's
// namespace, an nf_tables table (CNMKIT-DNS) whose nat output chain jumps
// to a chain of the resolver's own that redirects UDP and TCP port 53 of
// 127.0.0.11 to those ports. The reason is coexistence: a socket bound to
// 127.0.0.11:53 makes the kernel refuse (EADDRINUSE) any later bind of the
// wildcard address to port 53, so a container that runs its own DNS server
// on 0.0.0.0:53 (dnsmasq, CoreDNS, Pi-hole on a compose network) would fail
// to start. With DNAT such a container binds :53 and serves every address
// but 127.0.0.11, while its own lookups still reach the resolver.
// The rules are one netlink transaction (tens of microseconds; an
// iptables-restore process took ~3 ms to start and ~15 ms to remove them),
// and they coexist with whatever iptables rules the container installs. A
// resolver started where another left its rules takes the output hook
// over; Stop removes the table while the hook still points at its own
// chain, and only its chain otherwise. The cost is a conntrack entry per
// client socket; BenchmarkLocalQuery shows the same throughput in both
// modes.
//
// ModeDirect binds 127.0.0.11:53 itself: no nat table and no conntrack are
// needed and start-up is a few bind calls, but the sandbox can no longer
// bind the wildcard address to port 53. Embedders that know their
// containers never serve DNS choose it; without nf_tables in the kernel,
// Start in ModeDNAT is a NotImplemented error and the controller falls back
// to it.
package resolver
