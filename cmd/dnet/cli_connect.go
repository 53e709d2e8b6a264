package main

import (
	"errors"
	"fmt"
	"net"

	"github.com/cnmkit/libnetwork/api"
	"github.com/spf13/cobra"
)

const networkConnectLong = `Connect a sandbox (a container, by name, ID or ID prefix) to a network:
create an endpoint named after the sandbox on the network and attach it,
as Docker's 'network connect' does. The sandbox must exist ('dnet sandbox
create NAME' makes one). When the attach fails the endpoint is removed.`

// connectOpts are the flags of network connect.
type connectOpts struct {
	ip, ip6 string
	aliases []string
}

func (e *env) networkConnectCmd() *cobra.Command {
	var o connectOpts
	c := &cobra.Command{
		Use: "connect [OPTIONS] NETWORK SANDBOX", Short: "Connect a sandbox to a network", Long: networkConnectLong,
		Args: exactArgs(2, "NETWORK and SANDBOX"),
		RunE: runE(func(args []string) int { return e.networkConnect(o, args[0], args[1]) }),
	}
	f := c.Flags()
	f.StringVar(&o.ip, "ip", "", "IPv4 `ADDRESS` to ask for")
	f.StringVar(&o.ip6, "ip6", "", "IPv6 `ADDRESS` to ask for")
	f.StringArrayVar(&o.aliases, "alias", nil, "another DNS `NAME` of the sandbox on this network (repeatable)")
	return c
}

// checkIPFlag refuses an address that is not of the flag's family.
func checkIPFlag(flag, v string, v4 bool) error {
	if v == "" {
		return nil
	}
	ip := net.ParseIP(v)
	if ip == nil || (ip.To4() != nil) != v4 {
		fam := "IPv4"
		if !v4 {
			fam = "IPv6"
		}
		return fmt.Errorf("--%s %q is not an %s address", flag, v, fam)
	}
	return nil
}

func (e *env) networkConnect(o connectOpts, netRef, sbRef string) int {
	const name = "network connect"
	for _, err := range []error{checkIPFlag("ip", o.ip, true), checkIPFlag("ip6", o.ip6, false)} {
		if err != nil {
			return e.usageError(name, "%v", err)
		}
	}
	c, err := e.client()
	if err != nil {
		return e.usageError(name, "%v", err)
	}
	defer c.Close()
	what := fmt.Sprintf("connect %s to network %s", sbRef, netRef)
	n, err := c.Network(bg, netRef)
	if err != nil {
		return e.fail(what, err)
	}
	sb, err := c.Sandbox(bg, sbRef)
	if isNotFound(err) {
		return e.fail(what, fmt.Errorf("no sandbox %q: create it with 'dnet sandbox create %s'", sbRef, sbRef))
	}
	if err != nil {
		return e.fail(what, err)
	}
	for _, ep := range sb.Endpoints {
		if ep.NetworkID == n.ID {
			return e.fail(what, fmt.Errorf("sandbox %s is already connected to network %s (endpoint %s)", sb.Name, n.Name, ep.Name))
		}
	}
	ep, err := c.CreateEndpoint(bg, n.ID, api.EndpointCreate{Name: sb.Name, IPv4Address: o.ip, IPv6Address: o.ip6, Aliases: o.aliases})
	if err != nil {
		return e.fail(what, err)
	}
	if _, err := c.Attach(bg, sb.ID, n.ID, ep.ID); err != nil {
		if derr := c.DeleteEndpoint(bg, n.ID, ep.ID, true); derr != nil && !isNotFound(derr) {
			err = errors.Join(err, fmt.Errorf("and removing endpoint %s again failed: %w", ep.Name, derr))
		}
		return e.fail(what, err)
	}
	return exitOK
}

const networkDisconnectLong = `Disconnect a sandbox from a network: detach its endpoint on the network
and remove the endpoint. With --force, an endpoint named SANDBOX (or
attached to it) is removed even when the sandbox is gone.`

func (e *env) networkDisconnectCmd() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use: "disconnect [OPTIONS] NETWORK SANDBOX", Short: "Disconnect a sandbox from a network", Long: networkDisconnectLong,
		Args: exactArgs(2, "NETWORK and SANDBOX"),
		RunE: runE(func(args []string) int { return e.networkDisconnect(args[0], args[1], force) }),
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "remove the endpoint even when the sandbox is gone")
	return c
}

func (e *env) networkDisconnect(netRef, sbRef string, force bool) int {
	c, err := e.client()
	if err != nil {
		return e.usageError("network disconnect", "%v", err)
	}
	defer c.Close()
	what := fmt.Sprintf("disconnect %s from network %s", sbRef, netRef)
	n, err := c.Network(bg, netRef)
	if err != nil {
		return e.fail(what, err)
	}
	epID := ""
	sb, err := c.Sandbox(bg, sbRef)
	switch {
	case err == nil:
		for _, ep := range sb.Endpoints {
			if ep.NetworkID == n.ID {
				epID = ep.ID
			}
		}
		if epID == "" {
			return e.fail(what, fmt.Errorf("sandbox %s is not connected to network %s", sb.Name, n.Name))
		}
	case isNotFound(err) && force:
		for _, ep := range n.Endpoints {
			if ep.Name == sbRef || ep.Sandbox == sbRef {
				epID = ep.ID
			}
		}
		if epID == "" {
			return e.fail(what, fmt.Errorf("no sandbox %q and no endpoint of it on network %s", sbRef, n.Name))
		}
	default:
		return e.fail(what, err)
	}
	// One call: the daemon detaches and removes.
	if err := c.DeleteEndpoint(bg, n.ID, epID, true); err != nil {
		return e.fail(what, err)
	}
	return exitOK
}
