package main

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/cnmkit/libnetwork/api"
	"github.com/spf13/cobra"
)

// networkCmd is "dnet network" and its commands.
func (e *env) networkCmd() *cobra.Command {
	return e.group("network", "Manage networks", []string{"networks", "net"},
		e.networkCreateCmd(), e.networkListCmd(), e.networkInspectCmd(), e.networkRemoveCmd(),
		e.networkPruneCmd(), e.networkConnectCmd(), e.networkDisconnectCmd())
}

const networkCreateLong = `Create a network.

A multi-host network is created with the same --id and options on every
host, e.g.
  dnet network create -d overlay --id ov1 --subnet 10.10.0.0/24 \
    -o com.docker.network.driver.overlay.vxlanid_list=4097 ov1

--gateway, --ip-range and --aux-address go with the --subnet that contains
them.`

// networkCreateOpts are the flags of network create.
type networkCreateOpts struct {
	req                            api.NetworkCreate
	subnets, gateways, ranges, aux listFlag
	opts, labels, ipamOpts         mapFlag
	format                         formatFlag
}

func (e *env) networkCreateCmd() *cobra.Command {
	o := &networkCreateOpts{opts: mapFlag{}, labels: mapFlag{}, ipamOpts: mapFlag{}}
	c := &cobra.Command{
		Use: "create [OPTIONS] NETWORK", Short: "Create a network", Long: networkCreateLong,
		Args: exactArgs(1, "exactly one network name"),
		RunE: runE(func(args []string) int { return e.networkCreate(o, args[0]) }),
	}
	f := c.Flags()
	f.StringVarP(&o.req.Driver, "driver", "d", "bridge", "the network `DRIVER`")
	f.StringVar(&o.req.ID, "id", "", "the network's `ID` (default: generated)")
	f.Var(&o.subnets, "subnet", "subnet `CIDR` of the network (repeatable; one per pool)")
	f.Var(&o.gateways, "gateway", "gateway `IP` (repeatable: one per subnet)")
	f.Var(&o.ranges, "ip-range", "allocate endpoint addresses from this `CIDR` of its subnet (repeatable)")
	f.Var(&o.aux, "aux-address", "auxiliary address `NAME=IP` the driver uses, kept from endpoints (repeatable)")
	f.StringVar(&o.req.IPAMDriver, "ipam-driver", "", "the IPAM `DRIVER` (default: the controller's)")
	f.Var(o.ipamOpts, "ipam-opt", "option `KEY=VALUE` of the IPAM driver (repeatable)")
	f.BoolVar(&o.req.IPv6, "ipv6", false, "enable IPv6")
	f.BoolVar(&o.req.Internal, "internal", false, "no external connectivity")
	f.VarP(o.opts, "opt", "o", "option `KEY=VALUE` of the driver (repeatable)")
	f.Var(o.labels, "label", "label `KEY=VALUE` (repeatable)")
	formatFlagVar(f, &o.format)
	f.Lookup("format").Usage = "output `FORMAT`: table (prints the ID) or json"
	return c
}

func (e *env) networkCreate(o *networkCreateOpts, name string) int {
	req := o.req
	req.Name = name
	pools, err := ipamFromFlags(o.subnets, o.gateways, o.ranges)
	if err == nil {
		req.AuxAddresses, err = parseAuxAddresses(o.aux, pools)
	}
	if err == nil {
		err = checkIPv6Subnets(pools, req.IPv6)
	}
	if err != nil {
		return e.usageError("network create", "%v", err)
	}
	req.IPAM = pools
	if len(o.opts) > 0 {
		req.Options = o.opts
	}
	if len(o.labels) > 0 {
		req.Labels = o.labels
	}
	if len(o.ipamOpts) > 0 {
		req.IPAMOptions = o.ipamOpts
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
	if o.format == "json" {
		printJSON(e.stdout, n)
	} else {
		fmt.Fprintln(e.stdout, n.ID)
	}
	return exitOK
}

// parseAuxAddresses reads the --aux-address NAME=IP flags; each must be in
// one of the subnets (the daemon puts it in that pool).
func parseAuxAddresses(aux []string, pools []api.IPAMConfig) (map[string]string, error) {
	if len(aux) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, a := range aux {
		name, v, ok := strings.Cut(a, "=")
		ip := net.ParseIP(v)
		if !ok || name == "" || ip == nil {
			return nil, fmt.Errorf("invalid --aux-address %q: want NAME=IP", a)
		}
		if len(pools) == 0 {
			return nil, fmt.Errorf("--aux-address %s needs a --subnet", a)
		}
		in, parsed := false, 0
		for _, p := range pools {
			if _, sub, err := net.ParseCIDR(p.Subnet); err == nil {
				parsed++
				in = in || sub.Contains(ip)
			}
		}
		if !in && parsed == len(pools) {
			return nil, fmt.Errorf("--aux-address %s is in none of the subnets", a)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--aux-address %s: %s is given twice", a, name)
		}
		out[name] = v
	}
	return out, nil
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
