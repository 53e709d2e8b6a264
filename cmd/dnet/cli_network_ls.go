package main

import (
	"strconv"

	"github.com/cnmkit/libnetwork/api"
	"github.com/spf13/cobra"
)

// networkRow is a network as ls templates see it (Docker's names).
type networkRow struct {
	ID, Name, Driver, Scope, IPv6, Internal, Labels, CreatedAt, Subnets, Endpoints string

	labels map[string]string
	header bool
}

// Label is the value of the network's label key.
func (r networkRow) Label(key string) string {
	if r.header {
		return "LABEL"
	}
	return r.labels[key]
}

var networkHeader = networkRow{ID: "NETWORK ID", Name: "NAME", Driver: "DRIVER", Scope: "SCOPE", IPv6: "IPV6",
	Internal: "INTERNAL", Labels: "LABELS", CreatedAt: "CREATED AT", Subnets: "SUBNETS", Endpoints: "ENDPOINTS", header: true}

func newNetworkRow(n api.Network, trunc bool) interface{} {
	var subs []string
	for _, p := range n.IPAM {
		subs = append(subs, p.Subnet)
	}
	return networkRow{
		ID: truncID(n.ID, trunc), Name: n.Name, Driver: n.Driver, Scope: n.Scope,
		IPv6: strconv.FormatBool(n.IPv6), Internal: strconv.FormatBool(n.Internal),
		Labels: labelString(n.Labels), CreatedAt: n.Created.String(), Subnets: joinOrDash(subs),
		Endpoints: strconv.Itoa(len(n.Endpoints)), labels: n.Labels,
	}
}

const networkListLong = `List networks.

Filters (-f KEY=VALUE, repeatable; values of one key are OR-ed, keys AND-ed,
label filters must all match):
  name=NAME    the name, or a regular expression matching part of it
  id=ID        the ID, or a regular expression matching part of it
  driver=NAME  the driver
  scope=SCOPE  local, global or swarm
  label=KEY    the label is set; label=KEY=VALUE: set to VALUE

Template fields: .ID .Name .Driver .Scope .IPv6 .Internal .Labels
.Label "KEY" .CreatedAt .Subnets .Endpoints`

func (e *env) networkListCmd() *cobra.Command {
	var o listOpts
	var all bool
	var filters []string
	c := &cobra.Command{
		Use: "ls [OPTIONS]", Aliases: []string{"list"}, Short: "List networks", Long: networkListLong, Args: noArgs,
		RunE: runE(func([]string) int {
			flt, err := parseNetworkFilters(filters)
			if err != nil {
				return e.usageError("network ls", "%v", err)
			}
			return runList(e, &o, lister[api.Network]{
				name: "network ls", what: "list networks",
				fetch: func(c *api.Client) ([]api.Network, error) {
					if all {
						return c.AllNetworks(bg)
					}
					return c.Networks(bg)
				},
				keep: flt.match, id: func(n api.Network) string { return n.ID },
				row: newNetworkRow, header: networkHeader,
				table: `{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.Subnets}}\t{{.Endpoints}}`,
			})
		}),
	}
	f := c.Flags()
	f.BoolVarP(&all, "all", "a", false, "show the default gateway network (cnm_gwbridge) too")
	f.StringArrayVarP(&filters, "filter", "f", nil, "only the networks that pass `KEY=VALUE` (repeatable; see Filters above)")
	o.register(f)
	return c
}

func (e *env) networkInspectCmd() *cobra.Command {
	var format templateFlag
	c := &cobra.Command{
		Use: "inspect [OPTIONS] NETWORK...", Short: "Show networks (by name, ID or ID prefix) as a JSON array",
		Args: minArgs("network"),
		RunE: runE(func(args []string) int {
			cl, err := e.client()
			if err != nil {
				return e.usageError("network inspect", "%v", err)
			}
			defer cl.Close()
			return inspectEach(e, format.f, "network", args, cl.Network, printNetwork)
		}),
	}
	inspectFormatVar(c, &format)
	return c
}

func printNetwork(e *env, n api.Network) {
	var pools []string
	for _, p := range n.IPAM {
		s := p.Subnet
		if p.Gateway != "" {
			s += " gateway " + p.Gateway
		}
		if p.IPRange != "" {
			s += " range " + p.IPRange
		}
		pools = append(pools, s)
	}
	var eps []string
	for _, ep := range n.Endpoints {
		s := ep.Name
		if ep.IPv4Address != "" {
			s += " " + ep.IPv4Address
		}
		if ep.Sandbox != "" {
			s += " (sandbox " + ep.Sandbox + ")"
		}
		eps = append(eps, s)
	}
	fields(e.stdout, [][2]string{
		{"Name", n.Name},
		{"ID", n.ID},
		{"Driver", n.Driver},
		{"Scope", n.Scope},
		{"IPAM driver", n.IPAMDriver},
		{"IPAM options", mapString(n.IPAMOptions)},
		{"Aux addresses", mapString(n.AuxAddresses)},
		{"Subnets", joinOrDash(pools)},
		{"IPv6", strconv.FormatBool(n.IPv6)},
		{"Internal", strconv.FormatBool(n.Internal)},
		{"Options", mapString(n.Options)},
		{"Labels", mapString(n.Labels)},
		{"Created", n.Created.Format("2006-01-02 15:04:05 MST")},
		{"Endpoints", joinOrDash(eps)},
	})
}
