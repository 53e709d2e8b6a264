// Command seedapi writes, for every package of SEED-API.md that the project
// has, a test file that refers to each of the seed's declarations with its
// exact type, so that a drift from the seed's API fails the build.
//
// Usage (from the module root): go run ./hack/seedapi ../shared/seed-api/SEED-API.md
// (SEEDAPI_ALL=1 also writes the packages still pending, to list their drift
// with go vet).
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

const module = "github.com/cnmkit/libnetwork"

// omitted are declarations left out on purpose; README.md gives the reasons.
var omitted = map[string]bool{
	"config.OptionDiscoveryWatcher": true,
	"config.ClusterCfg.Watcher":     true,
}

// pending are packages of ours that do not have the seed's API yet (see
// README.md): their test is not written until they do.
var pending = map[string]bool{
	"drivers/bridge":  true,
	"drivers/overlay": true, "drvregistry": true, "ipam": true, "ipams/null": true,
	"iptables": true, "netlabel": true, "netutils": true, "networkdb": true, "osl": true,
	"portallocator": true, "portmapper": true, "resolvconf": true, "types": true,
}

// imports maps the qualifiers used in SEED-API.md to import paths.
var imports = map[string]string{
	"net":           "net",
	"sync":          "sync",
	"io":            "io",
	"store":         "github.com/docker/libkv/store",
	"events":        "github.com/docker/go-events",
	"driverapi":     module + "/driverapi",
	"ipamapi":       module + "/ipamapi",
	"types":         module + "/types",
	"discoverapi":   module + "/discoverapi",
	"datastore":     module + "/datastore",
	"config":        module + "/config",
	"portallocator": module + "/portallocator",
	"iptables":      module + "/iptables",
}

type section struct {
	path string
	src  []string
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: seedapi SEED-API.md")
		os.Exit(2)
	}
	secs, err := readSections(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, s := range secs {
		dir := s.path
		pkg, ok := packageName(dir)
		if !ok {
			fmt.Printf("skip %s: no such package here\n", s.path)
			continue
		}
		if pending[s.path] && os.Getenv("SEEDAPI_ALL") == "" {
			fmt.Printf("skip %s: pending (SEEDAPI_ALL=1 writes it)\n", s.path)
			continue
		}
		out, err := generate(s, pkg)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", s.path, err)
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join(dir, "seedapi_test.go"), out, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("wrote %s\n", filepath.Join(dir, "seedapi_test.go"))
	}
}

func readSections(file string) ([]section, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var secs []section
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			secs = append(secs, section{path: strings.TrimSpace(strings.TrimPrefix(line, "## "))})
		case line == "```go":
			in = true
		case line == "```":
			in = false
		case in && len(secs) > 0:
			secs[len(secs)-1].src = append(secs[len(secs)-1].src, line)
		}
	}
	return secs, sc.Err()
}

var pkgClause = regexp.MustCompile(`(?m)^package (\w+)`)

func packageName(dir string) (string, bool) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if m := pkgClause.FindSubmatch(b); m != nil {
			return string(m[1]), true
		}
	}
	return "", false
}

var (
	bareConst = regexp.MustCompile(`^const (\w+)(?: (\S+))?$`)
	bareVar   = regexp.MustCompile(`^var (\w+)$`)
)

type gen struct {
	fset  *token.FileSet
	qual  string
	body  bytes.Buffer
	used  map[string]bool
	types int
}

func generate(s section, pkg string) ([]byte, error) {
	g := &gen{fset: token.NewFileSet(), used: map[string]bool{}}
	g.qual = s.path
	if s.path == "." {
		g.qual = "libnetwork"
	}
	var src []string
	for _, l := range s.src {
		if m := bareConst.FindStringSubmatch(l); m != nil {
			if g.skip(m[1]) {
				continue
			}
			if m[2] != "" {
				g.printf("var _ %s = %s\n", m[2], m[1])
				g.note(m[2])
			} else {
				g.printf("var _ = %s\n", m[1])
			}
			continue
		}
		if m := bareVar.FindStringSubmatch(l); m != nil {
			if !g.skip(m[1]) {
				g.printf("var _ = &%s\n", m[1])
			}
			continue
		}
		src = append(src, l)
	}
	f, err := parser.ParseFile(g.fset, "seed.go", "package p\n"+strings.Join(src, "\n"), 0)
	if err != nil {
		return nil, err
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			g.funcDecl(d)
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					g.typeSpec(sp)
				case *ast.ValueSpec:
					g.valueSpec(d.Tok, sp)
				}
			}
		}
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "// Code generated by hack/seedapi from SEED-API.md; DO NOT EDIT.\n\n//go:build linux\n\npackage %s\n\n", pkg)
	var names []string
	for q := range g.used {
		names = append(names, q)
	}
	sort.Strings(names)
	if len(names) > 0 {
		out.WriteString("import (\n")
		for _, q := range names {
			p, ok := imports[q]
			if !ok {
				return nil, fmt.Errorf("no import path for qualifier %q", q)
			}
			if strings.HasSuffix(p, "/"+s.path) || (s.path == "." && p == module) {
				continue
			}
			fmt.Fprintf(&out, "\t%q\n", p)
		}
		out.WriteString(")\n\n")
	}
	out.WriteString("// The seed's API (SEED-API.md): each declaration with its exact type.\n")
	out.Write(g.body.Bytes())
	res, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%v\n%s", err, out.String())
	}
	return res, nil
}

func (g *gen) skip(name string) bool { return omitted[g.qual+"."+name] }

func (g *gen) printf(format string, a ...interface{}) { fmt.Fprintf(&g.body, format, a...) }

var qualifier = regexp.MustCompile(`\b([a-z]\w*)\.[A-Z]`)

// note records the qualifiers a type expression uses.
func (g *gen) note(expr string) {
	for _, m := range qualifier.FindAllStringSubmatch(expr, -1) {
		g.used[m[1]] = true
	}
}

func (g *gen) str(n ast.Node) string {
	var b bytes.Buffer
	printer.Fprint(&b, g.fset, n)
	s := b.String()
	g.note(s)
	return s
}

// fields writes a field list as unnamed types, one per name.
func (g *gen) fields(fl *ast.FieldList) []string {
	var out []string
	if fl == nil {
		return nil
	}
	for _, f := range fl.List {
		t := g.str(f.Type)
		n := len(f.Names)
		if n == 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			out = append(out, t)
		}
	}
	return out
}

func (g *gen) sig(recv []string, ft *ast.FuncType) string {
	params := append(recv, g.fields(ft.Params)...)
	s := "func(" + strings.Join(params, ", ") + ")"
	res := g.fields(ft.Results)
	switch len(res) {
	case 0:
	case 1:
		s += " " + res[0]
	default:
		s += " (" + strings.Join(res, ", ") + ")"
	}
	return s
}

func (g *gen) funcDecl(d *ast.FuncDecl) {
	if d.Recv == nil {
		if g.skip(d.Name.Name) {
			return
		}
		g.printf("var _ %s = %s\n", g.sig(nil, d.Type), d.Name.Name)
		return
	}
	rt := g.str(d.Recv.List[0].Type)
	base := strings.TrimPrefix(rt, "*")
	if g.skip(base + "." + d.Name.Name) {
		return
	}
	g.printf("var _ %s = (%s).%s\n", g.sig([]string{rt}, d.Type), rt, d.Name.Name)
}

func (g *gen) typeSpec(sp *ast.TypeSpec) {
	name := sp.Name.Name
	if g.skip(name) {
		return
	}
	switch t := sp.Type.(type) {
	case *ast.StructType:
		g.printf("var _ = func(v *%s) {\n", name)
		for _, f := range t.Fields.List {
			var b bytes.Buffer
			printer.Fprint(&b, g.fset, f.Type)
			ft := b.String()
			names := f.Names
			if len(names) == 0 {
				fname := ft
				if i := strings.LastIndex(fname, "."); i >= 0 {
					fname = fname[i+1:]
				}
				names = []*ast.Ident{{Name: strings.TrimPrefix(fname, "*")}}
			}
			for _, n := range names {
				if !n.IsExported() || g.skip(name+"."+n.Name) {
					continue
				}
				g.note(ft)
				g.printf("\tvar _ *%s = &v.%s\n", ft, n.Name)
			}
		}
		g.printf("}\n")
	case *ast.InterfaceType:
		for _, m := range t.Methods.List {
			if len(m.Names) == 0 {
				g.printf("var _ %s = %s(nil)\n", g.str(m.Type), name)
				continue
			}
			for _, n := range m.Names {
				g.printf("var _ %s = %s.%s\n", g.sig([]string{name}, m.Type.(*ast.FuncType)), name, n.Name)
			}
		}
	case *ast.Ident, *ast.SelectorExpr:
		u := g.str(t)
		if id, ok := t.(*ast.Ident); ok && isPredeclared(id.Name) {
			g.underlying(name, u)
			return
		}
		g.printf("var _ = func(v %s) %s { return %s(v) }\n", name, u, u)
	default:
		g.underlying(name, g.str(t))
	}
}

// underlying checks that a named type's underlying type is exactly u.
func (g *gen) underlying(name, u string) {
	g.types++
	fn := fmt.Sprintf("seedUnderlying%d", g.types)
	g.printf("func %s[T ~%s]() {}\n\nvar _ = %s[%s]\n", fn, u, fn, name)
}

func (g *gen) valueSpec(tok token.Token, sp *ast.ValueSpec) {
	for _, n := range sp.Names {
		if g.skip(n.Name) {
			continue
		}
		ref := n.Name
		if tok == token.VAR {
			ref = "&" + n.Name
		}
		if sp.Type != nil {
			t := g.str(sp.Type)
			if tok == token.VAR {
				t = "*" + t
			}
			g.printf("var _ %s = %s\n", t, ref)
		} else {
			g.printf("var _ = %s\n", ref)
		}
	}
}

func isPredeclared(n string) bool {
	switch n {
	case "bool", "string", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
		"uint32", "uint64", "uintptr", "byte", "rune", "float32", "float64", "error":
		return true
	}
	return false
}
