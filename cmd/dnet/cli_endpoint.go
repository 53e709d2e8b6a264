package main

import (
	"context"
	"fmt"

	"github.com/cnmkit/libnetwork/api"
)

const endpointUsage = `Usage: dnet endpoint COMMAND

Commands:
  create   create an endpoint on a network
  ls       list endpoints
  inspect  show endpoints
  rm       remove endpoints

Run 'dnet endpoint COMMAND --help' for a command's options.
`

var endpointCommands = map[string]subcommand{
	"create":  endpointCreate,
	"ls":      endpointList,
	"inspect": endpointInspect,
	"rm":      endpointRemove,
}

const endpointCreateUsage = `Usage: dnet endpoint create --network NETWORK [OPTIONS] NAME

Create an endpoint (an address on a network, for a sandbox to attach).

Options:
  -n, --network NETWORK   the network (required)
      --expose PORT[/PROTO]
                          expose a port (repeatable)
  -p, --publish [HOST_IP:][HOST_PORT[-END]:]PORT[/PROTO]
                          publish a port on the host (repeatable)
      --alias NAME        another DNS name of the endpoint (repeatable)
      --ip IP             IPv4 address to ask for
      --ip6 IP            IPv6 address to ask for
      --no-dns            no embedded DNS for the sandbox through this endpoint
      --format FORMAT     table (prints the ID) or json
  -H, --host ADDR         daemon address
`

func endpointCreate(e *env, args []string) int {
	fs := newFlagSet("endpoint create", endpointCreateUsage)
	e.hostFlag(fs)
	var network string
	var expose, publish, aliases listFlag
	var req api.EndpointCreate
	var format formatFlag
	fs.StringVar(&network, "n", "", "")
	fs.StringVar(&network, "network", "", "")
	fs.Var(&expose, "expose", "")
	fs.Var(&publish, "p", "")
	fs.Var(&publish, "publish", "")
	fs.Var(&aliases, "alias", "")
	fs.StringVar(&req.IPv4Address, "ip", "", "")
	fs.StringVar(&req.IPv6Address, "ip6", "", "")
	fs.BoolVar(&req.DisableResolution, "no-dns", false, "")
	outputFlags(fs, &format, nil)
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if network == "" {
		return e.usageError("endpoint create", "--network is required")
	}
	if len(pos) != 1 {
		return e.usageError("endpoint create", "want exactly one endpoint name, got %d arguments", len(pos))
	}
	req.Name = pos[0]
	for _, x := range expose {
		p, err := parseExpose(x)
		if err != nil {
			return e.usageError("endpoint create", "--expose: %v", err)
		}
		req.ExposedPorts = append(req.ExposedPorts, p)
	}
	for _, x := range publish {
		pb, err := parsePublish(x)
		if err != nil {
			return e.usageError("endpoint create", "--publish: %v", err)
		}
		req.PortBindings = append(req.PortBindings, pb)
	}
	req.Aliases = aliases
	c, err := e.client()
	if err != nil {
		return e.usageError("endpoint create", "%v", err)
	}
	defer c.Close()
	ep, err := c.CreateEndpoint(context.Background(), network, req)
	if err != nil {
		return e.fail("create endpoint "+req.Name, err)
	}
	if format == "json" {
		printJSON(e.stdout, ep)
	} else {
		fmt.Fprintln(e.stdout, ep.ID)
	}
	return exitOK
}

const endpointListUsage = `Usage: dnet endpoint ls [OPTIONS]

List the endpoints of a network, or of every network.

Options:
  -n, --network NETWORK  only this network
  -q, --quiet            print IDs only
      --format FORMAT    table or json
  -H, --host ADDR        daemon address
`

func endpointList(e *env, args []string) int {
	var network string
	return runList(e, args, lister[api.Endpoint]{
		name: "endpoint ls", usage: endpointListUsage, what: "list endpoints",
		flags: func(fs *flagSet) {
			fs.StringVar(&network, "n", "", "")
			fs.StringVar(&network, "network", "", "")
		},
		fetch:  func(c *api.Client) ([]api.Endpoint, error) { return c.Endpoints(bg, network) },
		id:     func(ep api.Endpoint) string { return ep.ID },
		header: []string{"NETWORK", "NAME", "ID", "ADDRESS", "SANDBOX", "PUBLISHED"},
		row: func(ep api.Endpoint) []string {
			var pub []string
			for _, b := range ep.Published {
				pub = append(pub, publishString(b))
			}
			return []string{ep.Network, ep.Name, shortID(ep.ID), orDash(ep.IPv4Address), orDash(ep.Sandbox), joinOrDash(pub)}
		},
	})
}

const endpointInspectUsage = `Usage: dnet endpoint inspect --network NETWORK [OPTIONS] ENDPOINT...

Show endpoints of a network (by name, ID or ID prefix).

Options:
  -n, --network NETWORK  the network (required)
      --format FORMAT    table or json (a JSON array)
  -H, --host ADDR        daemon address
`

func endpointInspect(e *env, args []string) int {
	fs := newFlagSet("endpoint inspect", endpointInspectUsage)
	e.hostFlag(fs)
	var network string
	var format formatFlag
	fs.StringVar(&network, "n", "", "")
	fs.StringVar(&network, "network", "", "")
	outputFlags(fs, &format, nil)
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if network == "" {
		return e.usageError("endpoint inspect", "--network is required")
	}
	if len(pos) == 0 {
		return e.usageError("endpoint inspect", "want at least one endpoint")
	}
	c, err := e.client()
	if err != nil {
		return e.usageError("endpoint inspect", "%v", err)
	}
	defer c.Close()
	return inspectEach(e, format, "endpoint", pos, func(ctx context.Context, ref string) (api.Endpoint, error) { return c.Endpoint(ctx, network, ref) }, printEndpoint)
}

func printEndpoint(e *env, ep api.Endpoint) {
	var exposed, bindings, pub []string
	for _, p := range ep.ExposedPorts {
		exposed = append(exposed, fmt.Sprintf("%d/%s", p.Port, p.Proto))
	}
	for _, b := range ep.PortBindings {
		bindings = append(bindings, publishString(b))
	}
	for _, b := range ep.Published {
		pub = append(pub, publishString(b))
	}
	if ep.Unpublished != "" {
		pub = append(pub, "none: "+ep.Unpublished)
	}
	fields(e.stdout, [][2]string{
		{"Name", ep.Name},
		{"ID", ep.ID},
		{"Network", ep.Network + " (" + shortID(ep.NetworkID) + ")"},
		{"Sandbox", orDash(ep.Sandbox)},
		{"MAC address", orDash(ep.MacAddress)},
		{"IPv4 address", orDash(ep.IPv4Address)},
		{"IPv6 address", orDash(ep.IPv6Address)},
		{"Gateway", orDash(ep.Gateway)},
		{"Gateway IPv6", orDash(ep.GatewayIPv6)},
		{"Aliases", joinOrDash(ep.Aliases)},
		{"Exposed ports", joinOrDash(exposed)},
		{"Port bindings", joinOrDash(bindings)},
		{"Published", joinOrDash(pub)},
	})
}

const endpointRemoveUsage = `Usage: dnet endpoint rm --network NETWORK [OPTIONS] ENDPOINT...

Remove endpoints of a network.

Options:
  -n, --network NETWORK  the network (required)
  -f, --force            detach the endpoint from its sandbox first
  -H, --host ADDR        daemon address
`

func endpointRemove(e *env, args []string) int {
	fs := newFlagSet("endpoint rm", endpointRemoveUsage)
	e.hostFlag(fs)
	var network string
	var force bool
	fs.StringVar(&network, "n", "", "")
	fs.StringVar(&network, "network", "", "")
	fs.BoolVar(&force, "f", false, "")
	fs.BoolVar(&force, "force", false, "")
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if network == "" {
		return e.usageError("endpoint rm", "--network is required")
	}
	if len(pos) == 0 {
		return e.usageError("endpoint rm", "want at least one endpoint")
	}
	c, err := e.client()
	if err != nil {
		return e.usageError("endpoint rm", "%v", err)
	}
	defer c.Close()
	rc := exitOK
	for _, ref := range pos {
		if err := c.DeleteEndpoint(context.Background(), network, ref, force); err != nil {
			rc = e.fail("remove endpoint "+ref, err)
			continue
		}
		fmt.Fprintln(e.stdout, ref)
	}
	return rc
}
