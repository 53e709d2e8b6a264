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
restart the controller requests its pools and addresses again. A new
controller on the same data dir restores everything; sandboxes not named in
config.OptionActiveSandboxes (by sandbox or container ID) are removed with
their endpoints, namespaces and addresses, and leftover namespaces under the
exec root are removed.

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
*/
package libnetwork
