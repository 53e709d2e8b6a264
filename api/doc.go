// Package api is the versioned JSON HTTP API of the dnet daemon: its wire
// types and a client. The server side is in package api/server.
//
// Routes (every body is JSON; objects are named by ID, name or unique ID
// prefix):
//
//	GET    /v1/info                                  Info
//	GET    /v1/cluster                               Cluster (503 without a cluster)
//	GET    /v1/cluster/diagnostics                   Diagnostics (?nid=&table=&all=1; 503 without a cluster)
//	GET    /v1/networks                              []Network
//	POST   /v1/networks                              NetworkCreate -> 201 Network
//	GET    /v1/networks/{network}                    Network
//	DELETE /v1/networks/{network}                    204
//	GET    /v1/networks/{network}/endpoints          []Endpoint
//	POST   /v1/networks/{network}/endpoints          EndpointCreate -> 201 Endpoint
//	GET    /v1/networks/{network}/endpoints/{ep}     Endpoint
//	DELETE /v1/networks/{network}/endpoints/{ep}     204 (?force=true: detach first)
//	GET    /v1/endpoints                             []Endpoint of every network
//	GET    /v1/sandboxes                             []Sandbox
//	POST   /v1/sandboxes                             SandboxCreate -> 201 Sandbox
//	GET    /v1/sandboxes/{sandbox}                   Sandbox
//	DELETE /v1/sandboxes/{sandbox}                   204 (its endpoints are deleted too)
//	POST   /v1/sandboxes/{sandbox}/attach            AttachRequest -> Sandbox
//	POST   /v1/sandboxes/{sandbox}/detach            AttachRequest -> Sandbox
//	GET    /metrics                                  Prometheus text format (libnetwork.NewCollector, Go runtime, process)
//
// A network created with an explicit "id" has that ID: the way to create
// one multi-host (overlay) network on every host of a cluster is to create
// it with the same ID, subnets and options on each, the VXLAN IDs given
// in the option com.docker.network.driver.overlay.vxlanid_list (one per
// subnet, 1-16777215). With a cluster store (dnet daemon --cluster-store)
// it is created once, on any host, with neither: the other hosts list it
// at once, and its ID, VXLAN ID and addresses are unique in the cluster.
//
// Errors are an ErrorResponse with the status of the error's class: 400 bad
// request (Field names the bad field), 403 forbidden, 404 not found, 409
// conflict, 501 not implemented, 503 no service, 500 otherwise.
package api
