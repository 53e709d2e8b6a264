package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// exitCode is a command's exit code passed up through cobra, after the
// command has said what it had to say.
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit status %d", int(c)) }

// runE adapts a command body that returns an exit code.
func runE(f func(args []string) int) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error {
		if code := f(args); code != exitOK {
			return exitCode(code)
		}
		return nil
	}
}

// helpTemplate is the help and usage text of every command, as Docker's.
const helpTemplate = `Usage: {{.UseLine}}
{{with (or .Long .Short)}}
{{. | trimTrailingWhitespaces}}
{{end}}{{if gt (len .Aliases) 0}}
Aliases:
  {{.NameAndAliases}}
{{end}}{{if .HasExample}}
Examples:
{{.Example}}
{{end}}{{if .HasAvailableSubCommands}}
Commands:{{range .Commands}}{{if .IsAvailableCommand}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}
{{end}}{{if .HasAvailableLocalFlags}}
Options:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}
{{end}}{{if .HasAvailableInheritedFlags}}
Global Options:
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}
{{end}}{{if .HasAvailableSubCommands}}
Run '{{.CommandPath}} COMMAND --help' for more information on a command.
{{end}}`

const rootLong = `Runs and drives a libnetwork (CNM) controller, in the words of 'docker network'.

Exit codes: 0 success, 1 error from the daemon, 2 usage error.`

// execute runs the command line args and returns the exit code.
func (e *env) execute(args []string) int {
	args = e.leadingHost(args)
	root := e.rootCmd()
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	var ec exitCode
	if errors.As(err, &ec) {
		return int(ec)
	}
	if cmd == nil || cmd == root {
		fmt.Fprintf(e.stderr, "dnet: %v\nRun 'dnet --help' for usage.\n", err)
		return exitUsage
	}
	return e.usageError(strings.TrimPrefix(cmd.CommandPath(), "dnet "), "%v", err)
}

// leadingHost takes -H ADDR (or --host) given before the command: the
// commands that parse their own flags (daemon, demo) would not know it.
func (e *env) leadingHost(args []string) []string {
	for len(args) > 0 {
		a := args[0]
		switch {
		case (a == "-H" || a == "--host") && len(args) > 1:
			e.host, args = args[1], args[2:]
		case strings.HasPrefix(a, "--host="):
			e.host, args = strings.TrimPrefix(a, "--host="), args[1:]
		case strings.HasPrefix(a, "-H=") || (strings.HasPrefix(a, "-H") && len(a) > 2):
			e.host, args = strings.TrimPrefix(strings.TrimPrefix(a, "-H"), "="), args[1:]
		default:
			return args
		}
	}
	return args
}

// rootCmd is the whole command tree.
func (e *env) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "dnet [OPTIONS] COMMAND",
		Short:         "Run and drive a libnetwork (CNM) controller",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE:          e.groupRun,
	}
	root.PersistentFlags().StringVarP(&e.host, "host", "H", e.host,
		"the daemon's `ADDR`ess: unix:///PATH or tcp://127.0.0.1:PORT (default $"+envHost+", else "+defaultHost+")")
	root.PersistentFlags().Lookup("host").DefValue = ""
	root.AddCommand(
		e.ownFlagsCmd("daemon", "Run the daemon: a controller and its HTTP API", daemonUsage, cmdDaemon),
		e.networkCmd(),
		e.endpointCmd(),
		e.sandboxCmd(),
		e.clusterCmd(),
		e.versionCmd(),
		e.ownFlagsCmd("demo", "Show the SDK at work in a throwaway network namespace (root)", demoUsage, cmdDemo),
	)
	root.SetHelpTemplate(helpTemplate)
	root.SetUsageTemplate(helpTemplate)
	root.CompletionOptions.HiddenDefaultCmd = true
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.DisableFlagsInUseLine = true
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	return root
}

// group is a command made of subcommands.
func (e *env) group(use, short string, aliases []string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use + " COMMAND", Short: short, Aliases: aliases, Args: cobra.ArbitraryArgs, RunE: e.groupRun}
	c.AddCommand(subs...)
	return c
}

// groupRun runs a group without a known subcommand: "help" shows the
// help, nothing is a usage error (with the help on stderr), anything else
// an unknown command.
func (e *env) groupRun(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, c.UsageString())
		return exitCode(exitUsage)
	}
	if args[0] == "help" {
		return c.Help()
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	c.SuggestionsMinimumDistance = 2
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %q?)", s[0])
	}
	return errors.New(msg)
}

// ownFlagsCmd is a command that parses its flags itself, with Go's flag
// package (daemon, demo): single-dash long flags keep working.
func (e *env) ownFlagsCmd(name, short, usage string, f func(*env, []string) int) *cobra.Command {
	c := &cobra.Command{
		Use: name + " [OPTIONS]", Short: short, DisableFlagParsing: true,
		RunE: runE(func(args []string) int { return f(e, args) }),
	}
	c.SetHelpFunc(func(*cobra.Command, []string) { fmt.Fprint(e.stdout, usage) })
	return c
}

// Positional-argument checks, in the words of the old flag parser.

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("want %s, got %d arguments", what, len(args))
		}
		return nil
	}
}

func minArgs(what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) == 0 {
			return fmt.Errorf("want at least one %s", what)
		}
		return nil
	}
}

func noArgs(_ *cobra.Command, args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("unexpected arguments %q", args)
	}
	return nil
}
