package main

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/cnmkit/libnetwork/api"
)

const networkUsage = `Usage: dnet network COMMAND

Commands:
  create   create a network
  ls       list networks
  inspect  show networks
  rm       remove networks

Run 'dnet network COMMAND --help' for a command's options.
`

var networkCommands = map[string]subcommand{
	"create":  networkCreate,
	"ls":      networkList,
	"inspect": networkInspect,
	"rm":      networkRemove,
}

const networkCreateUsage = `Usage: dnet network create [OPTIONS] NAME

Create a network.

Options:
  -d, --driver NAME      network driver (default bridge)
      --id ID            the network's ID (default: generated); create a
                         multi-host network with the same ID and options on
                         every host, e.g.
                         -d overlay --id ov1 --subnet 10.10.0.0/24
                         -o com.docker.network.driver.overlay.vxlanid_list=4097
      --subnet CIDR      subnet of the network (repeatable; one per pool)
      --gateway IP       gateway of the subnet that contains it (repeatable)
      --ip-range CIDR    allocate endpoint addresses from this part of the
                         subnet that contains it (repeatable)
      --ipam-driver NAME IPAM driver (default: the controller's)
      --ipv6             enable IPv6
      --internal         no external connectivity
  -o, --opt KEY=VALUE    driver option (repeatable)
      --label KEY=VALUE  network label (repeatable)
      --format FORMAT    table (prints the ID) or json
  -H, --host ADDR        daemon address
`

func networkCreate(e *env, args []string) int {
	fs := newFlagSet("network create", networkCreateUsage)
	e.hostFlag(fs)
	var req api.NetworkCreate
	var subnets, gateways, ranges listFlag
	opts, labels := mapFlag{}, mapFlag{}
	var format formatFlag
	fs.StringVar(&req.Driver, "d", "bridge", "")
	fs.StringVar(&req.Driver, "driver", "bridge", "")
	fs.StringVar(&req.ID, "id", "", "")
	fs.Var(&subnets, "subnet", "")
	fs.Var(&gateways, "gateway", "")
	fs.Var(&ranges, "ip-range", "")
	fs.StringVar(&req.IPAMDriver, "ipam-driver", "", "")
	fs.BoolVar(&req.IPv6, "ipv6", false, "")
	fs.BoolVar(&req.Internal, "internal", false, "")
	fs.Var(opts, "o", "")
	fs.Var(opts, "opt", "")
	fs.Var(labels, "label", "")
	outputFlags(fs, &format, nil)
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("network create", "want exactly one network name, got %d arguments", len(pos))
	}
	req.Name = pos[0]
	pools, err := ipamFromFlags(subnets, gateways, ranges)
	if err != nil {
		return e.usageError("network create", "%v", err)
	}
	if err := checkIPv6Subnets(pools, req.IPv6); err != nil {
		return e.usageError("network create", "%v", err)
	}
	req.IPAM = pools
	if len(opts) > 0 {
		req.Options = opts
	}
	if len(labels) > 0 {
		req.Labels = labels
	}
	c, err := e.client()
	if err != nil {
		return e.usageError("network create", "%v", err)
	}
	defer c.Close()
	n, err := c.CreateNetwork(context.Background(), req)
	if err != nil {
		return e.fail("create network "+req.Name, err)
	}
	if format == "json" {
		printJSON(e.stdout, n)
	} else {
		fmt.Fprintln(e.stdout, n.ID)
	}
	return exitOK
}

// checkIPv6Subnets refuses an IPv6 --subnet without --ipv6, in the
// flags' words (the daemon would name its JSON field).
func checkIPv6Subnets(pools []api.IPAMConfig, ipv6 bool) error {
	for _, p := range pools {
		if _, n, err := net.ParseCIDR(p.Subnet); err == nil && n.IP.To4() == nil && !ipv6 {
			return fmt.Errorf("--subnet %s is an IPv6 subnet: add --ipv6", p.Subnet)
		}
	}
	return nil
}

// ipamFromFlags pairs each gateway and IP range with the subnet that
// contains it (the only subnet when it does not parse, so the daemon can
// name the bad value).
func ipamFromFlags(subnets, gateways, ranges []string) ([]api.IPAMConfig, error) {
	pools := make([]api.IPAMConfig, len(subnets))
	nets := make([]*net.IPNet, len(subnets))
	for i, s := range subnets {
		pools[i].Subnet = s
		_, nets[i], _ = net.ParseCIDR(s)
	}
	owner := func(flag, v string, ip net.IP) (int, error) {
		if len(pools) == 0 {
			return 0, fmt.Errorf("--%s %s needs a --subnet", flag, v)
		}
		if len(pools) == 1 {
			return 0, nil
		}
		for i, n := range nets {
			if n != nil && ip != nil && n.Contains(ip) {
				return i, nil
			}
		}
		return 0, fmt.Errorf("--%s %s is in none of the subnets", flag, v)
	}
	for _, g := range gateways {
		i, err := owner("gateway", g, net.ParseIP(g))
		if err != nil {
			return nil, err
		}
		if pools[i].Gateway != "" {
			return nil, fmt.Errorf("subnet %s has two gateways (%s, %s)", pools[i].Subnet, pools[i].Gateway, g)
		}
		pools[i].Gateway = g
	}
	for _, r := range ranges {
		ip, _, _ := net.ParseCIDR(r)
		i, err := owner("ip-range", r, ip)
		if err != nil {
			return nil, err
		}
		if pools[i].IPRange != "" {
			return nil, fmt.Errorf("subnet %s has two IP ranges (%s, %s)", pools[i].Subnet, pools[i].IPRange, r)
		}
		pools[i].IPRange = r
	}
	return pools, nil
}

const networkListUsage = `Usage: dnet network ls [OPTIONS]

List networks.

Options:
  -a, --all            show the default gateway network (cnm_gwbridge) too
  -q, --quiet          print IDs only
      --format FORMAT  table or json
  -H, --host ADDR      daemon address
`

func networkList(e *env, args []string) int {
	var all bool
	return runList(e, args, lister[api.Network]{
		name: "network ls", usage: networkListUsage, what: "list networks",
		flags: func(fs *flagSet) {
			fs.BoolVar(&all, "all", false, "")
			fs.BoolVar(&all, "a", false, "")
		},
		fetch: func(c *api.Client) ([]api.Network, error) {
			if all {
				return c.AllNetworks(bg)
			}
			return c.Networks(bg)
		},
		id:     func(n api.Network) string { return n.ID },
		header: []string{"NAME", "ID", "DRIVER", "SCOPE", "SUBNETS", "ENDPOINTS"},
		row: func(n api.Network) []string {
			var subs []string
			for _, p := range n.IPAM {
				subs = append(subs, p.Subnet)
			}
			return []string{n.Name, shortID(n.ID), n.Driver, n.Scope, joinOrDash(subs), strconv.Itoa(len(n.Endpoints))}
		},
	})
}

const networkInspectUsage = `Usage: dnet network inspect [OPTIONS] NETWORK...

Show networks (by name, ID or ID prefix).

Options:
      --format FORMAT  table or json (a JSON array)
  -H, --host ADDR      daemon address
`

func networkInspect(e *env, args []string) int {
	fs := newFlagSet("network inspect", networkInspectUsage)
	e.hostFlag(fs)
	var format formatFlag
	outputFlags(fs, &format, nil)
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if len(pos) == 0 {
		return e.usageError("network inspect", "want at least one network")
	}
	c, err := e.client()
	if err != nil {
		return e.usageError("network inspect", "%v", err)
	}
	defer c.Close()
	return inspectEach(e, format, "network", pos, c.Network, printNetwork)
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
		{"Subnets", joinOrDash(pools)},
		{"IPv6", strconv.FormatBool(n.IPv6)},
		{"Internal", strconv.FormatBool(n.Internal)},
		{"Options", mapString(n.Options)},
		{"Labels", mapString(n.Labels)},
		{"Created", n.Created.Format("2006-01-02 15:04:05 MST")},
		{"Endpoints", joinOrDash(eps)},
	})
}

const networkRemoveUsage = `Usage: dnet network rm [OPTIONS] NETWORK...

Remove networks (they must have no endpoints).

Options:
  -H, --host ADDR  daemon address
`

func networkRemove(e *env, args []string) int {
	fs := newFlagSet("network rm", networkRemoveUsage)
	e.hostFlag(fs)
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if len(pos) == 0 {
		return e.usageError("network rm", "want at least one network")
	}
	c, err := e.client()
	if err != nil {
		return e.usageError("network rm", "%v", err)
	}
	defer c.Close()
	rc := exitOK
	for _, ref := range pos {
		if err := c.DeleteNetwork(context.Background(), ref); err != nil {
			rc = e.fail("remove network "+ref, err)
			continue
		}
		fmt.Fprintln(e.stdout, ref)
	}
	return rc
}
