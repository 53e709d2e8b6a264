package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

const clusterUsage = `Usage: dnet cluster COMMAND

Commands:
  info   show this node, its peers and its gossip networks
  diag   dump the gossip database (JSON)

Run 'dnet cluster COMMAND --help' for a command's options.
`

var clusterCommands = map[string]subcommand{
	"info": clusterInfo,
	"diag": clusterDiag,
}

const clusterInfoUsage = `Usage: dnet cluster info [OPTIONS]

Show this node's cluster configuration, its peers and the networks whose
gossip it takes part in.

Options:
      --format FORMAT  table or json
  -H, --host ADDR      daemon address
`

func clusterInfo(e *env, args []string) int {
	fs := newFlagSet("cluster info", clusterInfoUsage)
	e.hostFlag(fs)
	var format formatFlag
	outputFlags(fs, &format, nil)
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if len(pos) != 0 {
		return e.usageError("cluster info", "unexpected arguments %q", pos)
	}
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

const clusterDiagUsage = `Usage: dnet cluster diag [OPTIONS]

Dump this node's gossip database as JSON: peers, networks and entries.

Options:
      --network ID   only this network (its full ID)
      --table NAME   only this table
      --all          include deleted and hidden entries
  -H, --host ADDR    daemon address
`

func clusterDiag(e *env, args []string) int {
	fs := newFlagSet("cluster diag", clusterDiagUsage)
	e.hostFlag(fs)
	var nid, tbl string
	var all bool
	fs.StringVar(&nid, "network", "", "")
	fs.StringVar(&tbl, "table", "", "")
	fs.BoolVar(&all, "all", false, "")
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if len(pos) != 0 {
		return e.usageError("cluster diag", "unexpected arguments %q", pos)
	}
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
