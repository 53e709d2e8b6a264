// Package ipam is the default IPAM driver ("default"): it reserves pools in
// two address spaces, LocalDefault and GlobalDefault, and addresses in them.
//
// Pools. A pool is given explicitly (a CIDR, optionally restricted to a
// sub-pool inside it from which dynamic addresses are taken) or chosen: the
// first predefined pool, in configured order, that overlaps no pool in use
// in the address space (and, in LocalDefault, that the pool filter accepts:
// see Host networks). Predefined pools are generated on demand (the 65,536
// /24s of the global default are never listed); each overlap check is a
// binary search over the pools in use. The pool ID is
// "AddressSpace/Pool[/SubPool]" with canonical CIDRs: the same request gives
// the same ID, so a controller can re-request a pool after a restart and get
// the ID it stored.
//
// Host networks. The user may veto candidates of the automatic choice in
// LocalDefault with a pool filter (SetPoolFilter): a candidate the filter
// refuses is skipped for this request and the next one is tried; when every
// candidate is in use or refused the request fails with ErrNoAvailablePool
// naming the address space and the number refused. The filter is asked
// only about automatic choices in LocalDefault: an explicitly requested
// pool (including a pool a controller re-requests after a restart) is never
// refused for overlapping the host, as libnetwork's, and GlobalDefault
// pools span hosts whose networks differ. The filter runs without the
// allocator's lock, so a host check never delays address requests; if the
// candidate is taken meanwhile the choice goes on. NewAllocator installs
// HostPoolFilter, libnetwork's check in the process namespace: routes and
// link addresses (netutils.CheckRouteOverlapsAt) and the nameservers of
// /etc/resolv.conf; NewAllocatorWithPools installs none (the controller
// gives one reading its own host namespace and host resolv.conf).
//
// IPv6. Explicit IPv6 pools of any size are supported. A pool with more than
// 2^32 addresses is tracked in windows of 2^32 addresses, each a bitmap
// created when an address in it is first taken, so a /64 costs nothing until
// used. Automatic IPv6 pools come only from IPv6 entries of the configured
// predefined lists; the defaults have none, so an automatic IPv6 request
// with the defaults fails with ErrNoAvailablePool naming the address space:
// give the pool explicitly.
//
// Reserved addresses. In IPv4 pools the network and broadcast addresses, and
// in IPv6 pools the subnet-router anycast address (the first), are never
// handed out; /31, /32, /127 and /128 pools have none reserved.
//
// Persistence. NewAllocator(lcDs, glDs) keeps each address space whose
// store is not nil in that store, as libnetwork did: its pools in use as
// one record of PoolData by SubnetKey, and each pool's address bitmaps as
// bitseq handles, all written with compare-and-swap. The store is the
// truth: a pool operation reads the space's record first, so allocators on
// several hosts (a global store) or opened one after another (a local
// store) see the same pools and never give an address twice. A space with
// a nil store, and every space of NewAllocatorWithPools, is in memory only:
// after a restart the controller rebuilds it by requesting again the pools
// and addresses it stores with its networks and endpoints (the allocator
// asks for that with the RequiresRequestReplay capability). The controller
// uses the in-memory form: it keeps a disk write and a compare-and-swap off
// the path of every address (state is small and derivable) and avoids a
// second copy of the truth that could disagree with the endpoints after a
// crash.
//
// Bad input (invalid CIDRs, overlapping pools, a sub-pool outside its pool,
// addresses outside the pool, double releases, unknown pool IDs, exhausted
// pools, option values of the wrong type, unknown address spaces) returns an
// error that wraps the matching ipamapi error, names the bad value, and
// changes no state.
package ipam
