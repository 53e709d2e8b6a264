package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/api"
)

const sandboxUsage = `Usage: dnet sandbox COMMAND

Commands:
  create   create a sandbox (a container's network namespace)
  ls       list sandboxes
  inspect  show sandboxes, their endpoints and interfaces
  rm       remove sandboxes (and the endpoints attached to them)
  attach   attach an endpoint to a sandbox
  detach   detach an endpoint from a sandbox

Run 'dnet sandbox COMMAND --help' for a command's options.
`

var sandboxCommands = map[string]subcommand{
	"create":  sandboxCreate,
	"ls":      sandboxList,
	"inspect": sandboxInspect,
	"rm":      sandboxRemove,
	"attach":  func(e *env, args []string) int { return sandboxAttach(e, "attach", args) },
	"detach":  func(e *env, args []string) int { return sandboxAttach(e, "detach", args) },
}

const sandboxCreateUsage = `Usage: dnet sandbox create [OPTIONS] NAME

Create a sandbox for container NAME.

Options:
      --hostname NAME      host name
      --domainname NAME    domain name
      --dns IP             DNS server (repeatable)
      --dns-search DOMAIN  DNS search domain (repeatable)
      --dns-option OPT     resolver option (repeatable)
      --add-host NAME:IP   extra /etc/hosts line (repeatable)
      --format FORMAT      table (prints the ID) or json
  -H, --host ADDR          daemon address
`

func sandboxCreate(e *env, args []string) int {
	fs := newFlagSet("sandbox create", sandboxCreateUsage)
	e.hostFlag(fs)
	var req api.SandboxCreate
	var dns, search, dnsOpts, hosts listFlag
	var format formatFlag
	fs.StringVar(&req.Hostname, "hostname", "", "")
	fs.StringVar(&req.Domainname, "domainname", "", "")
	fs.Var(&dns, "dns", "")
	fs.Var(&search, "dns-search", "")
	fs.Var(&dnsOpts, "dns-option", "")
	fs.Var(&hosts, "add-host", "")
	outputFlags(fs, &format, nil)
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("sandbox create", "want exactly one sandbox name, got %d arguments", len(pos))
	}
	req.Name = pos[0]
	req.DNS, req.DNSSearch, req.DNSOptions, req.ExtraHosts = dns, search, dnsOpts, hosts
	c, err := e.client()
	if err != nil {
		return e.usageError("sandbox create", "%v", err)
	}
	defer c.Close()
	sb, err := c.CreateSandbox(context.Background(), req)
	if err != nil {
		return e.fail("create sandbox "+req.Name, err)
	}
	if format == "json" {
		printJSON(e.stdout, sb)
	} else {
		fmt.Fprintln(e.stdout, sb.ID)
	}
	return exitOK
}

const sandboxListUsage = `Usage: dnet sandbox ls [OPTIONS]

List sandboxes.

Options:
  -q, --quiet          print IDs only
      --format FORMAT  table or json
  -H, --host ADDR      daemon address
`

func sandboxList(e *env, args []string) int {
	return runList(e, args, lister[api.Sandbox]{
		name: "sandbox ls", usage: sandboxListUsage, what: "list sandboxes",
		fetch:  func(c *api.Client) ([]api.Sandbox, error) { return c.Sandboxes(bg) },
		id:     func(sb api.Sandbox) string { return sb.ID },
		header: []string{"NAME", "ID", "KEY", "ENDPOINTS"},
		row: func(sb api.Sandbox) []string {
			var eps []string
			for _, ep := range sb.Endpoints {
				s := ep.Network + "/" + ep.Name
				if ep.IPv4Address != "" {
					s += " " + ep.IPv4Address
				}
				eps = append(eps, s)
			}
			return []string{sb.Name, shortID(sb.ID), sb.Key, joinOrDash(eps)}
		},
	})
}

const sandboxInspectUsage = `Usage: dnet sandbox inspect [OPTIONS] SANDBOX...

Show sandboxes (by name, ID or ID prefix): settings, endpoints, and the
interfaces and addresses in their namespaces.

Options:
      --format FORMAT  table or json (a JSON array)
  -H, --host ADDR      daemon address
`

func sandboxInspect(e *env, args []string) int {
	fs := newFlagSet("sandbox inspect", sandboxInspectUsage)
	e.hostFlag(fs)
	var format formatFlag
	outputFlags(fs, &format, nil)
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if len(pos) == 0 {
		return e.usageError("sandbox inspect", "want at least one sandbox")
	}
	c, err := e.client()
	if err != nil {
		return e.usageError("sandbox inspect", "%v", err)
	}
	defer c.Close()
	return inspectEach(e, format, "sandbox", pos, c.Sandbox, printSandbox)
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

const sandboxRemoveUsage = `Usage: dnet sandbox rm [OPTIONS] SANDBOX...

Remove sandboxes; the endpoints attached to them are detached and removed.

Options:
  -H, --host ADDR  daemon address
`

func sandboxRemove(e *env, args []string) int {
	fs := newFlagSet("sandbox rm", sandboxRemoveUsage)
	e.hostFlag(fs)
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if len(pos) == 0 {
		return e.usageError("sandbox rm", "want at least one sandbox")
	}
	c, err := e.client()
	if err != nil {
		return e.usageError("sandbox rm", "%v", err)
	}
	defer c.Close()
	rc := exitOK
	for _, ref := range pos {
		if err := c.DeleteSandbox(context.Background(), ref); err != nil {
			rc = e.fail("remove sandbox "+ref, err)
			continue
		}
		fmt.Fprintln(e.stdout, ref)
	}
	return rc
}

const sandboxAttachUsage = `Usage: dnet sandbox %[1]s --network NETWORK [OPTIONS] SANDBOX ENDPOINT

%[2]s

Options:
  -n, --network NETWORK  the endpoint's network (required)
      --format FORMAT    table or json (the sandbox after the change)
  -H, --host ADDR        daemon address
`

func sandboxAttach(e *env, op string, args []string) int {
	what := "Attach endpoint ENDPOINT of NETWORK to SANDBOX: its interface appears in the\nsandbox's namespace with the endpoint's address."
	if op == "detach" {
		what = "Detach endpoint ENDPOINT of NETWORK from SANDBOX: its interface leaves the\nsandbox's namespace; the endpoint stays."
	}
	name := "sandbox " + op
	fs := newFlagSet(name, fmt.Sprintf(sandboxAttachUsage, op, what))
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
		return e.usageError(name, "--network is required")
	}
	if len(pos) != 2 {
		return e.usageError(name, "want SANDBOX and ENDPOINT, got %d arguments", len(pos))
	}
	c, err := e.client()
	if err != nil {
		return e.usageError(name, "%v", err)
	}
	defer c.Close()
	call := c.Attach
	if op == "detach" {
		call = c.Detach
	}
	sb, err := call(context.Background(), pos[0], network, pos[1])
	if err != nil {
		return e.fail(fmt.Sprintf("%s %s/%s and %s", op, network, pos[1], pos[0]), err)
	}
	if format == "json" {
		printJSON(e.stdout, sb)
		return exitOK
	}
	verb := map[string]string{"attach": "attached %s/%s to %s", "detach": "detached %s/%s from %s"}[op]
	fmt.Fprintf(e.stdout, verb+"\n", network, pos[1], sb.Name)
	return exitOK
}
