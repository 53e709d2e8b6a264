package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v interface{}) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintf(w, "{\"error\": %q}\n", err.Error())
		return
	}
	fmt.Fprintf(w, "%s\n", b)
}

// table writes rows under a header, in aligned columns.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// fields writes "key: value" lines, aligned.
func fields(w io.Writer, kv [][2]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	for _, f := range kv {
		fmt.Fprintf(tw, "%s:\t%s\n", f[0], f[1])
	}
	tw.Flush()
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinOrDash(l []string) string { return orDash(strings.Join(l, ", ")) }

// mapString shows a map as "k=v, k=v", sorted.
func mapString(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return joinOrDash(parts)
}

// labelString shows a map as "k=v,k=v", sorted (Docker's form in lists).
func labelString(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// inspectFormatVar registers the --format of an inspect command.
func inspectFormatVar(c *cobra.Command, format *templateFlag) {
	c.Flags().Var(format, "format", "output `FORMAT`: json (the default: a JSON array), table (fields for people) or a Go TEMPLATE (with json, join, ...) run on each object")
}

// inspectEach fetches every ref with get and prints what it found: a JSON
// array (the default), each object through print (table, separated by
// blank lines) or through the template. A ref that fails is reported and
// makes the exit code non-zero; the others still print.
func inspectEach[T any](e *env, format outputFormat, what string, refs []string, get func(ctx context.Context, ref string) (T, error), print func(*env, T)) int {
	rc := exitOK
	out := []T{}
	for _, ref := range refs {
		v, err := get(context.Background(), ref)
		if err != nil {
			rc = e.fail("inspect "+what+" "+ref, err)
			continue
		}
		out = append(out, v)
	}
	switch {
	case format.tmpl != nil:
		rows := make([]interface{}, len(out))
		for i, v := range out {
			rows[i] = v
		}
		format.table = false
		if err := format.rows(e.stdout, nil, rows); err != nil {
			return e.usageError(what+" inspect", "%v", err)
		}
	case format.table:
		for i, v := range out {
			if i > 0 {
				fmt.Fprintln(e.stdout)
			}
			print(e, v)
		}
	default:
		printJSON(e.stdout, out)
	}
	return rc
}
