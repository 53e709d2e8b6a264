// Command dnet runs a libnetwork controller as a daemon with a JSON HTTP
// API, drives that daemon from the command line in Docker's dialect, and
// shows the SDK at work in a throwaway network namespace (dnet demo).
//
// Usage:
//
//	dnet [-H ADDR] COMMAND [ARGS]
//
//	dnet daemon [flags]                           run the daemon
//	dnet network create|ls|inspect|rm|prune       manage networks
//	dnet network connect|disconnect NET SANDBOX   endpoint and attach in one step
//	dnet endpoint create|ls|inspect|rm            manage endpoints
//	dnet sandbox create|ls|inspect|rm             manage sandboxes
//	dnet sandbox attach|detach                    plug an endpoint into a sandbox
//	dnet cluster info|diag                        show the gossip cluster
//	dnet version                                  client and daemon versions
//	dnet demo                                     run the demo (root; isolated)
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

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// env is what a command runs with.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	host           string
}

func run(args []string, stdout, stderr io.Writer) int {
	e := &env{stdin: os.Stdin, stdout: stdout, stderr: stderr, host: os.Getenv(envHost)}
	if e.host == "" {
		e.host = defaultHost
	}
	return e.execute(args)
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
