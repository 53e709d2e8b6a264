package main

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/cnmkit/libnetwork/api"
	"github.com/spf13/cobra"
)

const networkRemoveLong = `Remove networks. A network with endpoints is refused unless --force is
given: then its endpoints are detached and removed first, and a network
that does not exist is no error (as Docker's --force).`

func (e *env) networkRemoveCmd() *cobra.Command {
	var force bool
	c := &cobra.Command{
		Use: "rm [OPTIONS] NETWORK...", Aliases: []string{"remove", "delete"}, Short: "Remove networks",
		Long: networkRemoveLong, Args: minArgs("network"),
		RunE: runE(func(args []string) int { return e.networkRemove(args, force) }),
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "remove the networks' endpoints first; no error for a network that does not exist")
	return c
}

func (e *env) networkRemove(refs []string, force bool) int {
	c, err := e.client()
	if err != nil {
		return e.usageError("network rm", "%v", err)
	}
	defer c.Close()
	rc := exitOK
	for _, ref := range refs {
		target := ref
		if force {
			n, err := c.Network(bg, ref)
			if isNotFound(err) {
				continue
			}
			if err == nil {
				err = removeEndpoints(c, n)
			}
			if err != nil {
				rc = e.fail("remove network "+ref, err)
				continue
			}
			target = n.ID
		}
		if err := c.DeleteNetwork(bg, target); err != nil {
			rc = e.fail("remove network "+ref, err)
			continue
		}
		fmt.Fprintln(e.stdout, ref)
	}
	return rc
}

// removeEndpoints detaches and removes every endpoint of n.
func removeEndpoints(c *api.Client, n api.Network) error {
	for _, ep := range n.Endpoints {
		if err := c.DeleteEndpoint(bg, n.ID, ep.ID, true); err != nil && !isNotFound(err) {
			return fmt.Errorf("remove its endpoint %s: %w", ep.Name, err)
		}
	}
	return nil
}

// isNotFound reports whether err is the daemon's 404.
func isNotFound(err error) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

const networkPruneLong = `Remove every network that has no endpoints (the null and host networks
stay). Asks first unless --force is given. Takes the filters of 'network ls'.`

func (e *env) networkPruneCmd() *cobra.Command {
	var force bool
	var filters []string
	c := &cobra.Command{
		Use: "prune [OPTIONS]", Short: "Remove all networks without endpoints", Long: networkPruneLong, Args: noArgs,
		RunE: runE(func([]string) int { return e.networkPrune(filters, force) }),
	}
	c.Flags().BoolVarP(&force, "force", "f", false, "do not prompt for confirmation")
	c.Flags().StringArrayVar(&filters, "filter", nil, "only networks that pass this filter `KEY=VALUE` (repeatable)")
	return c
}

func (e *env) networkPrune(filters []string, force bool) int {
	flt, err := parseNetworkFilters(filters)
	if err != nil {
		return e.usageError("network prune", "%v", err)
	}
	c, err := e.client()
	if err != nil {
		return e.usageError("network prune", "%v", err)
	}
	defer c.Close()
	if !force {
		fmt.Fprint(e.stdout, "WARNING! This will remove all networks without endpoints.\nAre you sure you want to continue? [y/N] ")
		line, _ := bufio.NewReader(e.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(e.stdout)
			fmt.Fprintln(e.stderr, "dnet: network prune cancelled: nothing removed")
			return exitError
		}
	}
	nws, err := c.Networks(bg)
	if err != nil {
		return e.fail("list networks", err)
	}
	rc := exitOK
	var removed []string
	for _, n := range nws {
		if len(n.Endpoints) > 0 || n.Driver == "null" || n.Driver == "host" || !flt.match(n) {
			continue
		}
		if err := c.DeleteNetwork(bg, n.ID); err != nil {
			if !isNotFound(err) {
				rc = e.fail("remove network "+n.Name, err)
			}
			continue
		}
		removed = append(removed, n.Name)
	}
	if len(removed) > 0 {
		fmt.Fprintf(e.stdout, "Deleted Networks:\n%s\n\n", strings.Join(removed, "\n"))
	}
	return rc
}
