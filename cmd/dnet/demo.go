package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const demoUsage = `Usage: dnet demo [OPTIONS]

Show the SDK at work, step by step, with real packets: start a controller
on its embedded store, create a bridge network and two containers, attach
them, prove connectivity (ICMP echo and a TCP exchange), publish a port and
reach it from an "outside" namespace, resolve one container from the other
by name, then remove everything and check that nothing is left.

Needs root. Everything runs in a throwaway network and mount namespace and
in temporary directories: the host's links, routes, firewall rules and
namespaces are not touched. Exits 0 only if every check passed.

Options:
  -v, --verbose  show the controller's log
`

// demoChildEnv marks the demo process that runs inside the throwaway
// namespaces.
const demoChildEnv = "DNET_DEMO_ISOLATED"

func cmdDemo(e *env, args []string) int {
	fs := newFlagSet("demo", demoUsage)
	var verbose bool
	fs.BoolVar(&verbose, "v", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if len(pos) != 0 {
		return e.usageError("demo", "unexpected arguments %q", pos)
	}
	if os.Getenv(demoChildEnv) == "1" {
		return runDemo(e, verbose)
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(e.stderr, "dnet demo: needs root: it creates network namespaces, a bridge and firewall rules (all inside a throwaway namespace)")
		return exitError
	}
	return reexecIsolated(e, args)
}

// reexecIsolated runs the demo again in a new network and mount namespace:
// nothing it does can reach the host's namespaces. Go makes the new mount
// namespace's mounts private, so pinned namespaces stay in it as well.
func reexecIsolated(e *env, args []string) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(e.stderr, "dnet demo: find own binary: %v\n", err)
		return exitError
	}
	cmd := exec.Command(self, append([]string{"demo"}, args...)...)
	cmd.Env = append(os.Environ(), demoChildEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, e.stdout, e.stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Unshareflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS,
		Pdeathsig:    syscall.SIGKILL,
	}
	sigc := make(chan os.Signal, 2)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigc)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(e.stderr, "dnet demo: start the isolated demo: %v\n", err)
		return exitError
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	for {
		select {
		case s := <-sigc:
			// The child cleans up and reports; it ends by itself.
			_ = cmd.Process.Signal(s)
		case err := <-waited:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode()
			}
			if err != nil {
				fmt.Fprintf(e.stderr, "dnet demo: %v\n", err)
				return exitError
			}
			return exitOK
		}
	}
}

// stepStatus is the outcome of a demo step.
type stepStatus string

const (
	stepOK      stepStatus = "ok"
	stepFailed  stepStatus = "FAIL"
	stepSkipped stepStatus = "skip"
)

// runner runs the demo's steps, prints each as it ends and keeps score.
type runner struct {
	ctx    context.Context
	out    io.Writer
	start  time.Time
	n      int
	ok     int
	failed int
	skip   int
}

// step runs fn as step title unless an earlier step failed (then it is
// skipped). fn returns a detail line for people. It reports success.
func (r *runner) step(title string, fn func() (string, error)) bool {
	if r.failed > 0 {
		r.report(title, stepSkipped, 0, "not run: an earlier step failed")
		return false
	}
	if err := r.ctx.Err(); err != nil {
		r.failed++
		r.report(title, stepFailed, 0, "interrupted")
		return false
	}
	return r.always(title, fn)
}

// always runs fn as step title even after a failure (clean-up steps).
func (r *runner) always(title string, fn func() (string, error)) bool {
	t0 := time.Now()
	detail, err := fn()
	d := time.Since(t0)
	if err != nil {
		r.failed++
		if detail != "" {
			detail += "; "
		}
		r.report(title, stepFailed, d, detail+err.Error())
		return false
	}
	r.ok++
	r.report(title, stepOK, d, detail)
	return true
}

// skipped records a step that could not be checked, with the reason.
func (r *runner) skipped(title, reason string) {
	r.report(title, stepSkipped, 0, "skipped: "+reason)
}

func (r *runner) report(title string, st stepStatus, d time.Duration, detail string) {
	r.n++
	if st == stepSkipped {
		r.skip++
	}
	dur := ""
	if d > 0 {
		dur = fmtDur(d)
	}
	fmt.Fprintf(r.out, "%3d  %-4s %9s  %s\n", r.n, st, dur, title)
	for _, line := range strings.Split(detail, "\n") {
		if line != "" {
			fmt.Fprintf(r.out, "%18s  %s\n", "", line)
		}
	}
}

// summary prints the result and returns the exit code.
func (r *runner) summary() int {
	total := time.Since(r.start)
	if r.failed > 0 {
		fmt.Fprintf(r.out, "\ndemo FAILED: %d failed, %d passed, %d skipped, in %s\n", r.failed, r.ok, r.skip, fmtDur(total))
		return exitError
	}
	fmt.Fprintf(r.out, "\ndemo passed: %d checks passed, %d skipped, in %s\n", r.ok, r.skip, fmtDur(total))
	return exitOK
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%dµs", d.Microseconds())
}
