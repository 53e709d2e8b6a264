package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
)

// outputFormat is what --format asks of a list or an inspect: the
// command's default view, "table" (the default table), "json", or a Go
// template, printed once per object; "table TEMPLATE" prints a header
// and aligns the columns (Docker's rules; \t and \n are escapes).
type outputFormat struct {
	raw   string
	json  bool
	table bool               // the default table, or a table template
	tmpl  *template.Template // nil for the default views
}

// templateFuncs are the functions --format templates can call, as in
// Docker's templates.
var templateFuncs = template.FuncMap{
	"json": func(v interface{}) (string, error) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimSpace(b.String()), nil
	},
	"join":  strings.Join,
	"split": strings.Split,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"truncate": func(s string, n int) string {
		if n >= 0 && len(s) > n {
			return s[:n]
		}
		return s
	},
	"pad": func(s string, left, right int) string {
		return strings.Repeat(" ", left) + s + strings.Repeat(" ", right)
	},
}

// parseFormat reads a --format value.
func parseFormat(v string) (outputFormat, error) {
	f := outputFormat{raw: v}
	switch t := strings.TrimSpace(v); {
	case t == "":
	case t == "json":
		f.json = true
	case t == "table":
		f.table = true
	default:
		if rest, ok := strings.CutPrefix(t, "table "); ok {
			f.table, t = true, strings.TrimSpace(rest)
		}
		if !strings.Contains(t, "{{") {
			return f, fmt.Errorf("invalid --format %q: want table, json or a Go template such as '{{.Name}}'", v)
		}
		t = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(t)
		tmpl, err := template.New("format").Funcs(templateFuncs).Option("missingkey=error").Parse(t)
		if err != nil {
			return f, fmt.Errorf("invalid --format %q: %v", v, err)
		}
		f.tmpl = tmpl
	}
	return f, nil
}

// exec runs the template on v.
func (f outputFormat) exec(w io.Writer, v interface{}) error {
	if err := f.tmpl.Execute(w, v); err != nil {
		return fmt.Errorf("--format %q: %v", f.raw, err)
	}
	return nil
}

// rows renders objects through the template, one line each, under the
// header's line for a table; nothing is written unless every object
// renders.
func (f outputFormat) rows(w io.Writer, header interface{}, rows []interface{}) error {
	var b bytes.Buffer
	var out io.Writer = &b
	var tw *tabwriter.Writer
	if f.table {
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		out = tw
		if err := f.exec(out, header); err != nil {
			return err
		}
		fmt.Fprintln(out)
	}
	for _, r := range rows {
		if err := f.exec(out, r); err != nil {
			return err
		}
		fmt.Fprintln(out)
	}
	if tw != nil {
		tw.Flush()
	}
	_, err := w.Write(b.Bytes())
	return err
}
