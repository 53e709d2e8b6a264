package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/api"
	"github.com/spf13/cobra"
)

// sandboxCmd is "dnet sandbox" and its commands.
func (e *env) sandboxCmd() *cobra.Command {
	return e.group("sandbox", "Manage sandboxes (containers' network namespaces)", []string{"sandboxes", "sb"},
		e.sandboxCreateCmd(), e.sandboxListCmd(), e.sandboxInspectCmd(), e.sandboxRemoveCmd(),
		e.sandboxAttachCmd("attach"), e.sandboxAttachCmd("detach"))
}

func (e *env) sandboxCreateCmd() *cobra.Command {
	var req api.SandboxCreate
	var format formatFlag
	c := &cobra.Command{
		Use: "create [OPTIONS] NAME", Short: "Create a sandbox (a container's network namespace)",
		Long: "Create a sandbox for container NAME.",
		Args: exactArgs(1, "exactly one sandbox name"),
	}
	f := c.Flags()
	f.StringVar(&req.Hostname, "hostname", "", "host `NAME`")
	f.StringVar(&req.Domainname, "domainname", "", "domain `NAME`")
	f.StringArrayVar(&req.DNS, "dns", nil, "DNS server `IP` (repeatable)")
	f.StringArrayVar(&req.DNSSearch, "dns-search", nil, "DNS search `DOMAIN` (repeatable)")
	f.StringArrayVar(&req.DNSOptions, "dns-option", nil, "resolver `OPTION` (repeatable)")
	f.StringArrayVar(&req.ExtraHosts, "add-host", nil, "extra /etc/hosts line `NAME:IP` (repeatable)")
	formatFlagVar(f, &format)
	f.Lookup("format").Usage = "output `FORMAT`: table (prints the ID) or json"
	c.RunE = runE(func(args []string) int {
		r := req
		r.Name = args[0]
		cl, err := e.client()
		if err != nil {
			return e.usageError("sandbox create", "%v", err)
		}
		defer cl.Close()
		sb, err := cl.CreateSandbox(context.Background(), r)
		if err != nil {
			return e.fail("create sandbox "+r.Name, err)
		}
		if format == "json" {
			printJSON(e.stdout, sb)
		} else {
			fmt.Fprintln(e.stdout, sb.ID)
		}
		return exitOK
	})
	return c
}

// sandboxRow is a sandbox as ls templates see it.
type sandboxRow struct {
	Name, ID, Key, Hostname, Endpoints string
}

var sandboxHeader = sandboxRow{Name: "NAME", ID: "ID", Key: "KEY", Hostname: "HOSTNAME", Endpoints: "ENDPOINTS"}

func newSandboxRow(sb api.Sandbox, trunc bool) interface{} {
	var eps []string
	for _, ep := range sb.Endpoints {
		s := ep.Network + "/" + ep.Name
		if ep.IPv4Address != "" {
			s += " " + ep.IPv4Address
		}
		eps = append(eps, s)
	}
	return sandboxRow{Name: sb.Name, ID: truncID(sb.ID, trunc), Key: sb.Key, Hostname: orDash(sb.Hostname), Endpoints: joinOrDash(eps)}
}

func (e *env) sandboxListCmd() *cobra.Command {
	var o listOpts
	c := &cobra.Command{
		Use: "ls [OPTIONS]", Aliases: []string{"list"}, Short: "List sandboxes",
		Long: "List sandboxes.\n\nTemplate fields: .Name .ID .Key .Hostname .Endpoints",
		Args: noArgs,
		RunE: runE(func([]string) int {
			return runList(e, &o, lister[api.Sandbox]{
				name: "sandbox ls", what: "list sandboxes",
				fetch: func(c *api.Client) ([]api.Sandbox, error) { return c.Sandboxes(bg) },
				id:    func(sb api.Sandbox) string { return sb.ID },
				row:   newSandboxRow, header: sandboxHeader,
				table: `{{.Name}}\t{{.ID}}\t{{.Key}}\t{{.Endpoints}}`,
			})
		}),
	}
	o.register(c.Flags())
	return c
}

func (e *env) sandboxInspectCmd() *cobra.Command {
	var format templateFlag
	c := &cobra.Command{
		Use:   "inspect [OPTIONS] SANDBOX...",
		Short: "Show sandboxes (by name, ID or ID prefix) as a JSON array",
		Long: "Show sandboxes (by name, ID or ID prefix): settings, endpoints, and the\n" +
			"interfaces and addresses in their namespaces.",
		Args: minArgs("sandbox"),
		RunE: runE(func(args []string) int {
			cl, err := e.client()
			if err != nil {
				return e.usageError("sandbox inspect", "%v", err)
			}
			defer cl.Close()
			return inspectEach(e, format.f, "sandbox", args, cl.Sandbox, printSandbox)
		}),
	}
	inspectFormatVar(c, &format)
	return c
}

func printSandbox(e *env, sb api.Sandbox) {
	var eps []string
	for _, ep := range sb.Endpoints {
		s := ep.Network + "/" + ep.Name
		if ep.IPv4Address != "" {
			s += " " + ep.IPv4Address
		}
		if ep.Gateway != "" {
			s += " gateway " + ep.Gateway
		}
		eps = append(eps, s)
	}
	var itfs []string
	for _, i := range sb.Interfaces {
		state := "down"
		if i.Up {
			state = "up"
		}
		s := fmt.Sprintf("%s %s mtu %d", i.Name, state, i.MTU)
		if i.MacAddress != "" {
			s += " " + i.MacAddress
		}
		if len(i.Addresses) > 0 {
			s += " " + strings.Join(i.Addresses, " ")
		}
		itfs = append(itfs, s)
	}
	kv := [][2]string{
		{"Name", sb.Name},
		{"ID", sb.ID},
		{"Key", sb.Key},
		{"Hostname", orDash(sb.Hostname)},
		{"Domainname", orDash(sb.Domainname)},
		{"DNS", joinOrDash(sb.DNS)},
		{"DNS search", joinOrDash(sb.DNSSearch)},
		{"DNS options", joinOrDash(sb.DNSOptions)},
		{"Extra hosts", joinOrDash(sb.ExtraHosts)},
		{"Endpoints", strconv.Itoa(len(eps))},
	}
	for _, s := range eps {
		kv = append(kv, [2]string{"  endpoint", s})
	}
	kv = append(kv, [2]string{"Interfaces", strconv.Itoa(len(itfs))})
	for _, s := range itfs {
		kv = append(kv, [2]string{"  interface", s})
	}
	fields(e.stdout, kv)
}

func (e *env) sandboxRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use: "rm [OPTIONS] SANDBOX...", Aliases: []string{"remove", "delete"}, Short: "Remove sandboxes (and the endpoints attached to them)",
		Long: "Remove sandboxes; the endpoints attached to them are detached and removed.",
		Args: minArgs("sandbox"),
		RunE: runE(func(args []string) int {
			cl, err := e.client()
			if err != nil {
				return e.usageError("sandbox rm", "%v", err)
			}
			defer cl.Close()
			rc := exitOK
			for _, ref := range args {
				if err := cl.DeleteSandbox(context.Background(), ref); err != nil {
					rc = e.fail("remove sandbox "+ref, err)
					continue
				}
				fmt.Fprintln(e.stdout, ref)
			}
			return rc
		}),
	}
}

func (e *env) sandboxAttachCmd(op string) *cobra.Command {
	short, long := "Attach an endpoint to a sandbox", "Attach endpoint ENDPOINT of NETWORK to SANDBOX: its interface appears in the\nsandbox's namespace with the endpoint's address."
	if op == "detach" {
		short, long = "Detach an endpoint from a sandbox", "Detach endpoint ENDPOINT of NETWORK from SANDBOX: its interface leaves the\nsandbox's namespace; the endpoint stays."
	}
	name := "sandbox " + op
	var network string
	var format formatFlag
	c := &cobra.Command{Use: op + " --network NETWORK [OPTIONS] SANDBOX ENDPOINT", Short: short, Long: long}
	c.RunE = e.needNetwork(name, &network, func(args []string) int {
		if len(args) != 2 {
			return e.usageError(name, "want SANDBOX and ENDPOINT, got %d arguments", len(args))
		}
		cl, err := e.client()
		if err != nil {
			return e.usageError(name, "%v", err)
		}
		defer cl.Close()
		call := cl.Attach
		if op == "detach" {
			call = cl.Detach
		}
		sb, err := call(context.Background(), args[0], network, args[1])
		if err != nil {
			return e.fail(fmt.Sprintf("%s %s/%s and %s", op, network, args[1], args[0]), err)
		}
		if format == "json" {
			printJSON(e.stdout, sb)
			return exitOK
		}
		verb := map[string]string{"attach": "attached %s/%s to %s", "detach": "detached %s/%s from %s"}[op]
		fmt.Fprintf(e.stdout, verb+"\n", network, args[1], sb.Name)
		return exitOK
	})
	networkFlag(c, &network, "the endpoint's `NETWORK` (required)")
	formatFlagVar(c.Flags(), &format)
	c.Flags().Lookup("format").Usage = "output `FORMAT`: table or json (the sandbox after the change)"
	return c
}
