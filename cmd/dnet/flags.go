package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/cnmkit/libnetwork/api"
	"github.com/spf13/pflag"
)

// flagSet is a command's flags and its help text.
type flagSet struct {
	*flag.FlagSet
	usage string
}

// newFlagSet returns a flag set that reports nothing by itself: parseFlags
// prints help and errors.
func newFlagSet(name, usage string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	return &flagSet{FlagSet: fs, usage: usage}
}

// parseFlags parses args, flags and positional arguments in any order
// (after "--" everything is positional; with stopAtArg the first
// positional argument ends the parsing). done reports that the command
// must end with code: help was printed (0) or the usage was wrong (2).
func parseFlags(fs *flagSet, args []string, stdout, stderr io.Writer, stopAtArg bool) (pos []string, code int, done bool) {
	var errBuf bytes.Buffer
	fs.SetOutput(&errBuf)
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, fs.usage)
			return nil, exitOK, true
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n\n%s", fs.Name(), err, fs.usage)
			return nil, exitUsage, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, false
		}
		consumed := len(args) - len(rest)
		if stopAtArg || (consumed > 0 && args[consumed-1] == "--") {
			return append(pos, rest...), 0, false
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// client returns a client of the daemon at e.host.
func (e *env) client() (*api.Client, error) {
	return api.NewClient(e.host)
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func (l *listFlag) Type() string { return "list" }

// mapFlag is a repeatable key=value flag.
type mapFlag map[string]string

func (m mapFlag) String() string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (m mapFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	m[k] = val
	return nil
}

func (m mapFlag) Type() string { return "map" }

// formatFlag is the output format: table (for people) or json.
type formatFlag string

func (f *formatFlag) String() string { return string(*f) }

func (f *formatFlag) Set(v string) error {
	switch v {
	case "table", "json":
		*f = formatFlag(v)
		return nil
	}
	return fmt.Errorf("unknown format %q: want table or json", v)
}

func (f *formatFlag) Type() string { return "string" }

// formatFlagVar registers --format (table or json).
func formatFlagVar(fs *pflag.FlagSet, format *formatFlag) {
	*format = "table"
	fs.Var(format, "format", "output `FORMAT`: table or json")
}
