package main

import (
	"context"
	"fmt"

	"github.com/cnmkit/libnetwork/api"
)

// lister describes an "ls" command: flags (-q, --format, -H and extra),
// no arguments, one API call, then JSON, IDs or a table.
type lister[T any] struct {
	name, usage string // "network ls" and its usage text
	what        string // for errors: "list networks"
	flags       func(fs *flagSet)
	fetch       func(c *api.Client) ([]T, error)
	id          func(T) string
	header      []string
	row         func(T) []string
}

func runList[T any](e *env, args []string, l lister[T]) int {
	fs := newFlagSet(l.name, l.usage)
	e.hostFlag(fs)
	var format formatFlag
	var quiet bool
	if l.flags != nil {
		l.flags(fs)
	}
	outputFlags(fs, &format, &quiet)
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if len(pos) != 0 {
		return e.usageError(l.name, "unexpected arguments %q", pos)
	}
	c, err := e.client()
	if err != nil {
		return e.usageError(l.name, "%v", err)
	}
	defer c.Close()
	items, err := l.fetch(c)
	if err != nil {
		return e.fail(l.what, err)
	}
	switch {
	case format == "json":
		printJSON(e.stdout, items)
	case quiet:
		for _, it := range items {
			fmt.Fprintln(e.stdout, l.id(it))
		}
	default:
		var rows [][]string
		for _, it := range items {
			rows = append(rows, l.row(it))
		}
		table(e.stdout, l.header, rows)
	}
	return exitOK
}

// bg is the context of the CLI's API calls.
var bg = context.Background()
