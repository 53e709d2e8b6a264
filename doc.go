/*
Package libnetwork provides the basic functionality and extension points to
create network namespaces and allocate interfaces for containers to use.

	networkType := "bridge"

	// Create a new controller instance
	driverOptions := options.Generic{}
	genericOption := make(map[string]interface{})
	genericOption[netlabel.GenericData] = driverOptions
	controller, err := libnetwork.New(config.OptionDriverConfig(networkType, genericOption))
	if err != nil {
		return
	}

	// Create a network for containers to join.
	network, err := controller.NewNetwork(networkType, "network1", "")
	if err != nil {
		return
	}

	// For each new container: allocate IP and interfaces. The returned network
	// settings will be used for container infos (inspect and such), as well as
	// iptables rules for port publishing.
	ep, err := network.CreateEndpoint("Endpoint1")
	if err != nil {
		return
	}

	// Create the sandbox for the container and join the endpoint to it.
	sbx, err := controller.NewSandbox("container1",
		libnetwork.OptionHostname("test"),
		libnetwork.OptionDomainname("docker.io"))
	if err != nil {
		return
	}
	err = ep.Join(sbx)

The controller's host namespace is the network namespace of the thread that
calls New. Drivers receive a handle to it (a netns.NsHandle, valid until
Stop) in their configuration map under HostNetNSKey, and the controller's
stores (datastore.DataStore values) under netlabel.LocalKVClient and
netlabel.GlobalKVClient.

Persistence. Each network, endpoint and sandbox is one object in the local
store (networks of global scope and their endpoints in the global store),
written at most once per API call; IPAM keeps no state on disk: after a
restart the controller requests its pools and addresses again (except
those of a cluster store's GlobalDefault space, which live there). A new
controller on the same data dir restores everything; sandboxes not named in
config.OptionActiveSandboxes (by sandbox or container ID) are removed with
their endpoints, namespaces and addresses, and leftover namespaces under the
exec root are removed.

Pool choice. A pool the default IPAM chooses for a network (none given, in
the local address space) skips every candidate that overlaps a route or a
link address of the host namespace or holds a nameserver of the host
resolv.conf, as libnetwork's did (pool_filter.go); the check runs at
network creation only. An explicit pool, and a pool re-requested at
restart (by the pool stored), is never refused.

Locking. The controller's lock guards only its maps. Each network, endpoint
and sandbox has a short lock for its fields; endpoints and sandboxes also
have an operation lock, held across driver, kernel and store work, taken
sandbox first, then endpoint. Attaches to different sandboxes run in
parallel.

Join. The driver's Join names the interface it made (ideally born inside the
sandbox's namespace); the controller adopts and configures it there through
osl, then gives the sandbox's default gateway and the external connectivity
to its highest-priority endpoint that has a gateway. Leave takes the
interface out of service at once and deletes it a moment later, unless the
sandbox is deleted first and its namespace takes it for free. Table entries
a driver adds during Join are kept on the endpoint and withdrawn when it
leaves.

Default gateway network. A sandbox whose endpoints give it no way out
gets one more endpoint, on a local bridge network of the controller's own
(GatewayNetworkName, bridge GatewayBridgeName; masquerading on and ICC off
when the bridge driver programs the firewall; its pool chosen by the
default IPAM), as libnetwork's docker_gwbridge. The rule, on what the
drivers said at Join (driverapi.JoinInfo): the sandbox needs it when at
least one joined endpoint wants a way out — its network is not null, host
or internal, and its driver did not call DisableGatewayService — and no
such endpoint gives one: none set a gateway (SetGateway or SetGatewayIPv6)
or a static route to a default destination. A sandbox on the host's
namespace (OptionUseDefaultSandbox) never gets one. Overlay endpoints want
a way out and give none; an internal network's endpoints neither want nor
give one, so a sandbox only on internal networks stays cut off. The
endpoint (named "gateway_" and the container ID) is
created and joined before the Join that needs it returns; when it cannot
be (no free pool, say), that Join fails with a GatewayNetworkError
(NoService class) and nothing is left of it. It publishes the sandbox's
ports (OptionPortMapping, OptionExposedPorts) or, without, those of the
sandbox's endpoints (CreateOptionPortMapping, CreateOptionExposedPorts)
taken when it is made. It goes (leave, delete) as soon as the rule no
longer holds — the sandbox joined a network with a gateway, or left its
last overlay network — and comes back when it holds again; the network
goes after its last endpoint, in the background (a bridge network and its
firewall rules take ~0.2 s to delete, which that Leave does not wait for;
Stop waits), and one left unused at start is removed. The
network is not among Networks, WalkNetworks or NetworkByName (the user's
networks); the controller's AllNetworks and GatewayNetwork methods (beside
the seed's interface) return it, and dnet shows it with "network ls
--all". Its endpoints are not among Sandbox.Endpoints (the user's
endpoints: what the user joined, as Docker's container inspect shows only
the container's networks); the sandbox's GatewayEndpoint method returns
it, and the gateway network's Endpoints lists them, as docker network
inspect docker_gwbridge does. The user cannot create a network of that
name, delete it, or create, join, leave or delete its endpoints
(ForbiddenError). Restart: gateway endpoints are restored like any
endpoint, and the rule is applied again to every restored sandbox.

Name resolution. Each sandbox gets a hosts file and a resolv.conf
(OptionHostsPath, OptionResolvConfPath; by default in <exec root>/files/<sandbox
ID>/, removed with the sandbox). The resolv.conf starts from the host's
(config.OptionHostResolvConf), without the servers a namespace cannot use,
falling back only to config.OptionFallbackDNS; a file the user edited is
never overwritten. A sandbox with a namespace of its own that joins a
user-defined network (not null, host, the default network or the default
bridge) runs an embedded DNS server (package resolver) at 127.0.0.11 that
answers the names, aliases and name.network of the endpoints on its
networks from per-network service records, and forwards the rest to the
upstream servers. Join publishes an endpoint's records before it returns;
Leave withdraws them first. Sandbox.ResolveName and ResolveIP answer from
the same records.

Multi-host. With config.OptionCluster the controller runs one networkdb
node (the gossip agent, agent.go) and joins its peers, retrying while it is
alone. Networks whose driver has the global data scope (overlay) need it
(without, NewNetwork fails with a types.NoServiceError) and join the
network's gossip when they are created or restored. Drivers are told of the
changes of the tables they registered (EventNotify), other hosts' entries
only, each change once and in order per network; entries published during
Join go to the other hosts and are withdrawn on Leave, endpoint delete and
restart cleanup. Endpoint names and aliases travel too, so the embedded DNS
server answers for containers on every host. Stop leaves the cluster;
DiagnosticsHandler serves the gossip state.

Metrics. NewCollector returns a prometheus.Collector of a controller
(github.com/prometheus/client_golang) for the embedder to register where it
likes: latency histograms and error counts by class of the API operations
(network, endpoint and sandbox create and delete, Join, Leave), object
counts per driver, IPAM pool use, the queries of the embedded DNS servers
and, with a cluster, networkdb traffic and node counts. Each controller
counts on its own; recording costs a clock read and a few atomic adds per
operation, and a scrape takes no lock across kernel work. dnet serves them
with the Go runtime's at GET /metrics on each of its listeners.

Cluster store. With a cluster store (config.OptionKVProvider("etcd") and
config.OptionKVProviderURL("h1:2379,h2:2379"), datastore/etcdkv) the
global scope is shared by the hosts; without one a clustered controller
keeps its global-scope objects in a file of its own and every host creates
each overlay network itself, with the same ID and VXLAN ID. The two carry
different things:

  - the gossip agent (networkdb) carries the driver tables (overlay peers:
    which endpoint address lives behind which host) and the DNS service
    records, host to host, as endpoints join and leave;
  - the cluster store carries the networks of global-scope drivers, their
    endpoints (each marked with the node name of its host, which alone
    restores it), an endpoint count per network (libnetwork's
    endpoint_cnt), the default IPAM's GlobalDefault address space (pools
    and address bitmaps) and the cluster's VXLAN IDs.

A network created on any host is written to the store once and appears on
every host's controller (a watch of the store's networks: the driver's
CreateNetwork on arrival, DeleteNetwork when it is gone), so endpoints are
made on it anywhere without creating it again. Its name is the cluster's
(a name record taken by compare-and-swap). An overlay network given no VXLAN ID gets one from the cluster's ID
manager (a bitmap in the store); one given an ID in use elsewhere is a
types.ConflictError. Pools and addresses are taken by compare-and-swap on
the store, so no address is given twice in the cluster, however many hosts
create endpoints at once, and they are not requested again after a
restart. Delete is refused (types.ForbiddenError naming the network and
the count) while any host has an endpoint on the network; an endpoint
created on a network deleted meanwhile elsewhere is refused
(types.ForbiddenError) and takes nothing. Local-scope networks never touch
the cluster store.

While the cluster store does not answer, the calls that need it fail with
a types.NoServiceError naming it (the first one after its call bound, the
next ones at once) and a probe resumes them once it answers; a controller
started then comes up with its local networks and attaches the cluster's
(with this host's endpoints on them) when it is back. What a creation
takes in the cluster is journaled (global_claim.go), so a process killed
before storing the object gives it back at its next start.

Examples. The package's examples (example_test.go, shown on pkg.go.dev and
by godoc; TestExamplesRun runs them as root and checks what they print)
cover the main flows: the README flow (Example), publishing a port
(Example_publishPort), a runtime's external-key order with SetKey
(Example_externalKey), a restart with config.OptionActiveSandboxes
(Example_restart), an overlay network in a cluster (Example_overlay) and
a driver of one's own given with config.OptionDriver
(Example_inProcessDriver).

Crash safety. Every multi-step operation — network create and delete,
endpoint create and delete, Join and Leave, sandbox create and delete
(port mappings are programmed within Join) — writes an intent record in
a journal under the exec root (<exec root>/intents, package
internal/journal) before its first kernel or store change and removes it
after its last. A new controller reconciles the records left by a killed
process once it has restored the stores: a creation or a join whose
object is not stored (or not stored as joined) is undone — the driver's
network or endpoint deleted, the driver's join left and the interfaces
that no joined endpoint claims removed from a namespace of ours — and a
deletion or a leave whose object is still stored is finished; outer
operations first (a sandbox delete finishes the leaves and endpoint
deletes it began). Records are dropped only once reconciled, so a kill
during the reconciliation is reconciled at the next start. Why intents
rather than ownership marks alone: a mark (a link alias, an altname) is a
second netlink request after the one that makes the object, so a kill
between the two leaves an unmarked object; and a half-done operation
spans the controller's store, the driver's store and several kernel
objects, which a mark on one object cannot tie together. An intent names,
before anything exists, exactly what the operation may make, so restart
removes only what was being made and never what it did not make: objects
that no intent names and no stored object owns are left alone, whatever
their names. The records are not synced (they guard against the death
of the process, whose writes the kernel keeps; a reboot takes the kernel
state too). The bridge driver keeps intents of its own for its network
creations (drivers/bridge/intent.go); the test-only hook
internal/crashpoint kills the process at a named step boundary, and
test/integration's crash_*.go tests kill the dnet daemon at each one.
*/
package libnetwork
