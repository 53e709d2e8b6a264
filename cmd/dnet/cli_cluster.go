package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// clusterCmd is "dnet cluster" and its commands.
func (e *env) clusterCmd() *cobra.Command {
	var format formatFlag
	info := &cobra.Command{
		Use: "info [OPTIONS]", Short: "Show this node, its peers and its gossip networks",
		Long: "Show this node's cluster configuration, its peers and the networks whose\ngossip it takes part in.",
		Args: noArgs, RunE: runE(func([]string) int { return clusterInfo(e, format) }),
	}
	formatFlagVar(info.Flags(), &format)
	var nid, tbl string
	var all bool
	diag := &cobra.Command{
		Use: "diag [OPTIONS]", Short: "Dump the gossip database (JSON)",
		Long: "Dump this node's gossip database as JSON: peers, networks and entries.",
		Args: noArgs, RunE: runE(func([]string) int { return clusterDiag(e, nid, tbl, all) }),
	}
	diag.Flags().StringVar(&nid, "network", "", "only this network (its full `ID`)")
	diag.Flags().StringVar(&tbl, "table", "", "only this table `NAME`")
	diag.Flags().BoolVar(&all, "all", false, "include deleted and hidden entries")
	return e.group("cluster", "Show the cluster's peers and gossip state", nil, info, diag)
}

func clusterInfo(e *env, format formatFlag) int {
	c, err := e.client()
	if err != nil {
		return e.usageError("cluster info", "%v", err)
	}
	defer c.Close()
	cl, err := c.Cluster(context.Background())
	if err != nil {
		return e.fail("cluster", err)
	}
	if format == "json" {
		printJSON(e.stdout, cl)
		return exitOK
	}
	fields(e.stdout, [][2]string{
		{"Node", cl.NodeName},
		{"Advertise", orDash(cl.AdvertiseAddr)},
		{"Bind", cl.BindAddr + ":" + strconv.Itoa(cl.GossipPort)},
		{"Join", joinOrDash(cl.Join)},
		{"Encrypted", strconv.FormatBool(cl.Encrypted)},
	})
	fmt.Fprintln(e.stdout)
	var rows [][]string
	for _, p := range cl.Peers {
		rows = append(rows, []string{p.Name, p.Addr, p.Status})
	}
	table(e.stdout, []string{"PEER", "ADDRESS", "STATUS"}, rows)
	if len(cl.Networks) > 0 {
		fmt.Fprintln(e.stdout)
		rows = nil
		for _, n := range cl.Networks {
			rows = append(rows, []string{shortID(n.ID), strings.Join(n.Members, ","), strconv.Itoa(n.Entries)})
		}
		table(e.stdout, []string{"NETWORK", "MEMBERS", "ENTRIES"}, rows)
	}
	return exitOK
}

func clusterDiag(e *env, nid, tbl string, all bool) int {
	c, err := e.client()
	if err != nil {
		return e.usageError("cluster diag", "%v", err)
	}
	defer c.Close()
	d, err := c.ClusterDiagnostics(context.Background(), nid, tbl, all)
	if err != nil {
		return e.fail("cluster diagnostics", err)
	}
	printJSON(e.stdout, d)
	return exitOK
}
