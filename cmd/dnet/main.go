// Command dnet runs a libnetwork controller as a daemon with a JSON HTTP
// API, drives that daemon from the command line, and shows the SDK at work
// in a throwaway network namespace (dnet demo).
//
// Usage:
//
//	dnet [-H ADDR] COMMAND [ARGS]
//
//	dnet daemon [flags]                 run the daemon
//	dnet network create|ls|inspect|rm   manage networks
//	dnet endpoint create|ls|inspect|rm  manage endpoints
//	dnet sandbox create|ls|inspect|rm   manage sandboxes
//	dnet sandbox attach|detach          plug an endpoint into a sandbox
//	dnet cluster info|diag              show the gossip cluster
//	dnet demo                           run the demo (root; isolated)
//
// Exit codes: 0 success, 1 an error from the daemon (or no daemon), 2 a
// usage error.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// envHost names the daemon address when -H is not given.
const envHost = "DNET_HOST"

// defaultHost is the daemon's default socket (under the default exec root).
const defaultHost = "unix:///run/cnmkit/dnet.sock"

const mainUsage = `Usage: dnet [-H ADDR] COMMAND [ARGS]

Runs and drives a libnetwork (CNM) controller.

Commands:
  daemon     run the daemon: a controller and its HTTP API
  network    create, list, inspect and remove networks
  endpoint   create, list, inspect and remove endpoints
  sandbox    create, list, inspect and remove sandboxes; attach and detach endpoints
  cluster    show the cluster's peers and gossip state
  demo       show the SDK at work in a throwaway network namespace (root)

Global options:
  -H, --host ADDR   daemon address: unix:///path or tcp://127.0.0.1:PORT
                    (default $DNET_HOST, else ` + defaultHost + `)

Run 'dnet COMMAND --help' for a command's options.
Exit codes: 0 success, 1 error from the daemon, 2 usage error.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// env is what a command runs with.
type env struct {
	stdout, stderr io.Writer
	host           string
}

func run(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, host: os.Getenv(envHost)}
	if e.host == "" {
		e.host = defaultHost
	}
	fs := newFlagSet("dnet", mainUsage)
	e.hostFlag(fs)
	rest, code, done := parseFlags(fs, args, stdout, stderr, true)
	if done {
		return code
	}
	if len(rest) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	cmd, cargs := rest[0], rest[1:]
	switch cmd {
	case "daemon":
		return cmdDaemon(e, cargs)
	case "network", "networks", "net":
		return e.group("network", networkUsage, networkCommands, cargs)
	case "endpoint", "endpoints", "ep":
		return e.group("endpoint", endpointUsage, endpointCommands, cargs)
	case "sandbox", "sandboxes", "sb":
		return e.group("sandbox", sandboxUsage, sandboxCommands, cargs)
	case "cluster":
		return e.group("cluster", clusterUsage, clusterCommands, cargs)
	case "demo":
		return cmdDemo(e, cargs)
	case "help":
		fmt.Fprint(stdout, mainUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "dnet: unknown command %q\n\n%s", cmd, mainUsage)
	return exitUsage
}

// subcommand is one command of a group (network, endpoint, sandbox).
type subcommand func(e *env, args []string) int

// group dispatches to the subcommand named by args[0].
func (e *env) group(name, usage string, cmds map[string]subcommand, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		fmt.Fprint(e.stdout, usage)
		return exitOK
	}
	sub := args[0]
	if alias, ok := map[string]string{"list": "ls", "remove": "rm", "delete": "rm"}[sub]; ok {
		sub = alias
	}
	if c, ok := cmds[sub]; ok {
		return c(e, args[1:])
	}
	fmt.Fprintf(e.stderr, "dnet %s: unknown command %q\n\n%s", name, args[0], usage)
	return exitUsage
}

// fail reports an error from the daemon and returns exitError.
func (e *env) fail(what string, err error) int {
	msg := err.Error()
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	fmt.Fprintf(e.stderr, "dnet: %s: %s", what, msg)
	return exitError
}

// usageError reports a usage error and returns exitUsage.
func (e *env) usageError(cmd, format string, a ...interface{}) int {
	fmt.Fprintf(e.stderr, "dnet %s: %s\nRun 'dnet %s --help' for usage.\n", cmd, fmt.Sprintf(format, a...), cmd)
	return exitUsage
}
