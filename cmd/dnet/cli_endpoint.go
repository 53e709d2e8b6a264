package main

import (
	"context"
	"fmt"

	"github.com/cnmkit/libnetwork/api"
	"github.com/spf13/cobra"
)

// endpointCmd is "dnet endpoint" and its commands.
func (e *env) endpointCmd() *cobra.Command {
	return e.group("endpoint", "Manage endpoints", []string{"endpoints", "ep"},
		e.endpointCreateCmd(), e.endpointListCmd(), e.endpointInspectCmd(), e.endpointRemoveCmd())
}

// networkFlag registers the -n/--network of the endpoint commands.
func networkFlag(c *cobra.Command, network *string, usage string) {
	c.Flags().StringVarP(network, "network", "n", "", usage)
}

// needNetwork wraps a body that needs --network.
func (e *env) needNetwork(name string, network *string, f func(args []string) int) func(*cobra.Command, []string) error {
	return runE(func(args []string) int {
		if *network == "" {
			return e.usageError(name, "--network is required")
		}
		return f(args)
	})
}

// endpointCreateOpts are the flags of endpoint create.
type endpointCreateOpts struct {
	network                  string
	expose, publish, aliases listFlag
	req                      api.EndpointCreate
	format                   formatFlag
}

func (e *env) endpointCreateCmd() *cobra.Command {
	o := &endpointCreateOpts{}
	c := &cobra.Command{
		Use: "create --network NETWORK [OPTIONS] NAME", Short: "Create an endpoint on a network",
		Long: "Create an endpoint (an address on a network, for a sandbox to attach).",
	}
	c.RunE = e.needNetwork("endpoint create", &o.network, func(args []string) int {
		if len(args) != 1 {
			return e.usageError("endpoint create", "want exactly one endpoint name, got %d arguments", len(args))
		}
		return e.endpointCreate(o, args[0])
	})
	networkFlag(c, &o.network, "the `NETWORK` (required)")
	f := c.Flags()
	f.Var(&o.expose, "expose", "expose a `PORT[/PROTO]` (repeatable)")
	f.VarP(&o.publish, "publish", "p", "publish a port on the host: `[HOST_IP:][HOST_PORT[-END]:]PORT[/PROTO]` (repeatable)")
	f.Var(&o.aliases, "alias", "another DNS `NAME` of the endpoint (repeatable)")
	f.StringVar(&o.req.IPv4Address, "ip", "", "IPv4 `ADDRESS` to ask for")
	f.StringVar(&o.req.IPv6Address, "ip6", "", "IPv6 `ADDRESS` to ask for")
	f.BoolVar(&o.req.DisableResolution, "no-dns", false, "no embedded DNS for the sandbox through this endpoint")
	formatFlagVar(f, &o.format)
	f.Lookup("format").Usage = "output `FORMAT`: table (prints the ID) or json"
	return c
}

func (e *env) endpointCreate(o *endpointCreateOpts, name string) int {
	req := o.req
	req.Name = name
	for _, x := range o.expose {
		p, err := parseExpose(x)
		if err != nil {
			return e.usageError("endpoint create", "--expose: %v", err)
		}
		req.ExposedPorts = append(req.ExposedPorts, p)
	}
	for _, x := range o.publish {
		pb, err := parsePublish(x)
		if err != nil {
			return e.usageError("endpoint create", "--publish: %v", err)
		}
		req.PortBindings = append(req.PortBindings, pb)
	}
	req.Aliases = o.aliases
	c, err := e.client()
	if err != nil {
		return e.usageError("endpoint create", "%v", err)
	}
	defer c.Close()
	ep, err := c.CreateEndpoint(context.Background(), o.network, req)
	if err != nil {
		return e.fail("create endpoint "+req.Name, err)
	}
	if o.format == "json" {
		printJSON(e.stdout, ep)
	} else {
		fmt.Fprintln(e.stdout, ep.ID)
	}
	return exitOK
}

// endpointRow is an endpoint as ls templates see it.
type endpointRow struct {
	Network, Name, ID, Address, IPv6Address, Sandbox, Published string
}

var endpointHeader = endpointRow{Network: "NETWORK", Name: "NAME", ID: "ID", Address: "ADDRESS", IPv6Address: "IPV6 ADDRESS", Sandbox: "SANDBOX", Published: "PUBLISHED"}

func newEndpointRow(ep api.Endpoint, trunc bool) interface{} {
	var pub []string
	for _, b := range ep.Published {
		pub = append(pub, publishString(b))
	}
	return endpointRow{Network: ep.Network, Name: ep.Name, ID: truncID(ep.ID, trunc), Address: orDash(ep.IPv4Address),
		IPv6Address: orDash(ep.IPv6Address), Sandbox: orDash(ep.Sandbox), Published: joinOrDash(pub)}
}

func (e *env) endpointListCmd() *cobra.Command {
	var o listOpts
	var network string
	c := &cobra.Command{
		Use: "ls [OPTIONS]", Aliases: []string{"list"}, Short: "List the endpoints of a network, or of every network",
		Long: "List the endpoints of a network, or of every network.\n\nTemplate fields: .Network .Name .ID .Address .IPv6Address .Sandbox .Published",
		Args: noArgs,
		RunE: runE(func([]string) int {
			return runList(e, &o, lister[api.Endpoint]{
				name: "endpoint ls", what: "list endpoints",
				fetch: func(c *api.Client) ([]api.Endpoint, error) { return c.Endpoints(bg, network) },
				id:    func(ep api.Endpoint) string { return ep.ID },
				row:   newEndpointRow, header: endpointHeader,
				table: `{{.Network}}\t{{.Name}}\t{{.ID}}\t{{.Address}}\t{{.Sandbox}}\t{{.Published}}`,
			})
		}),
	}
	networkFlag(c, &network, "only this `NETWORK`")
	o.register(c.Flags())
	return c
}

func (e *env) endpointInspectCmd() *cobra.Command {
	var network string
	var format templateFlag
	c := &cobra.Command{Use: "inspect --network NETWORK [OPTIONS] ENDPOINT...", Short: "Show endpoints of a network (by name, ID or ID prefix) as a JSON array"}
	c.RunE = e.needNetwork("endpoint inspect", &network, func(args []string) int {
		if len(args) == 0 {
			return e.usageError("endpoint inspect", "want at least one endpoint")
		}
		cl, err := e.client()
		if err != nil {
			return e.usageError("endpoint inspect", "%v", err)
		}
		defer cl.Close()
		get := func(ctx context.Context, ref string) (api.Endpoint, error) { return cl.Endpoint(ctx, network, ref) }
		return inspectEach(e, format.f, "endpoint", args, get, printEndpoint)
	})
	networkFlag(c, &network, "the `NETWORK` (required)")
	inspectFormatVar(c, &format)
	return c
}

func (e *env) endpointRemoveCmd() *cobra.Command {
	var network string
	var force bool
	c := &cobra.Command{Use: "rm --network NETWORK [OPTIONS] ENDPOINT...", Aliases: []string{"remove", "delete"}, Short: "Remove endpoints of a network"}
	c.RunE = e.needNetwork("endpoint rm", &network, func(args []string) int {
		if len(args) == 0 {
			return e.usageError("endpoint rm", "want at least one endpoint")
		}
		cl, err := e.client()
		if err != nil {
			return e.usageError("endpoint rm", "%v", err)
		}
		defer cl.Close()
		rc := exitOK
		for _, ref := range args {
			if err := cl.DeleteEndpoint(context.Background(), network, ref, force); err != nil {
				rc = e.fail("remove endpoint "+ref, err)
				continue
			}
			fmt.Fprintln(e.stdout, ref)
		}
		return rc
	})
	networkFlag(c, &network, "the `NETWORK` (required)")
	c.Flags().BoolVarP(&force, "force", "f", false, "detach the endpoint from its sandbox first")
	return c
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
