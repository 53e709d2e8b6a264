package main

import (
	"context"
	"fmt"

	"github.com/cnmkit/libnetwork/api"
	"github.com/spf13/pflag"
)

// templateFlag is a --format that takes a Go template as well as table
// and json; the template is parsed when the flag is set.
type templateFlag struct {
	f   outputFormat
	set bool
}

func (t *templateFlag) String() string { return t.f.raw }

func (t *templateFlag) Set(v string) error {
	f, err := parseFormat(v)
	if err != nil {
		return err
	}
	t.f, t.set = f, true
	return nil
}

func (t *templateFlag) Type() string { return "string" }

// listOpts are the output flags of every ls command.
type listOpts struct {
	format  templateFlag
	quiet   bool
	noTrunc bool
}

func (o *listOpts) register(fs *pflag.FlagSet) {
	fs.Var(&o.format, "format", "output `FORMAT`: table, json (an array of the objects), 'table TEMPLATE' or a Go TEMPLATE (with json, join, split, lower, upper, truncate, pad)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print IDs only")
	fs.BoolVar(&o.noTrunc, "no-trunc", false, "do not truncate IDs")
}

// lister describes an ls command: one API call, an optional filter, then
// IDs, JSON, or rows through a template (by default, the command's table).
type lister[T any] struct {
	name   string // "network ls"
	what   string // for errors: "list networks"
	fetch  func(c *api.Client) ([]T, error)
	keep   func(T) bool // nil keeps all
	id     func(T) string
	row    func(v T, trunc bool) interface{}
	header interface{} // a row whose fields are the column titles
	table  string      // the default table template
}

func runList[T any](e *env, o *listOpts, l lister[T]) int {
	c, err := e.client()
	if err != nil {
		return e.usageError(l.name, "%v", err)
	}
	defer c.Close()
	all, err := l.fetch(c)
	if err != nil {
		return e.fail(l.what, err)
	}
	items := make([]T, 0, len(all))
	for _, it := range all {
		if l.keep == nil || l.keep(it) {
			items = append(items, it)
		}
	}
	f := o.format.f
	switch {
	case o.quiet:
		if o.format.set {
			fmt.Fprintln(e.stderr, "WARNING: ignoring --format: --quiet is set")
		}
		for _, it := range items {
			id := l.id(it)
			if !o.noTrunc {
				id = shortID(id)
			}
			fmt.Fprintln(e.stdout, id)
		}
		return exitOK
	case f.json:
		printJSON(e.stdout, items)
		return exitOK
	case f.tmpl == nil:
		f, err = parseFormat("table " + l.table)
		if err != nil {
			panic(err) // the commands' own templates parse
		}
	}
	rows := make([]interface{}, 0, len(items))
	for _, it := range items {
		rows = append(rows, l.row(it, !o.noTrunc))
	}
	if err := f.rows(e.stdout, l.header, rows); err != nil {
		return e.usageError(l.name, "%v", err)
	}
	return exitOK
}

// truncID is id, shortened unless the user asked for --no-trunc.
func truncID(id string, trunc bool) string {
	if trunc {
		return shortID(id)
	}
	return id
}

// bg is the context of the CLI's API calls.
var bg = context.Background()
