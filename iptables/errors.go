package iptables

import (
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
)

// Error is a failed iptables, iptables-restore or iptables-save command. The
// errors this package returns wrap it in a types class (BadRequest for bad
// arguments, NotFound for a missing chain or rule, Conflict for an existing
// chain, Forbidden for a chain in use, Retry for a held lock, NoService for a
// missing binary or table, Internal otherwise); get it with errors.As.
type Error struct {
	Args       []string // the command line, binary first
	ExitStatus int      // -1 when the command did not run to an exit
	Stderr     string   // iptables' own message, trimmed
	Err        error    // the exec error
}

// Error returns the command, its exit status and iptables' message.
func (e *Error) Error() string {
	cmd := strings.Join(e.Args, " ")
	if e.Stderr != "" {
		return fmt.Sprintf("%s: %s (exit status %d)", cmd, e.Stderr, e.ExitStatus)
	}
	return fmt.Sprintf("%s: %v", cmd, e.Err)
}

// Unwrap returns the exec error.
func (e *Error) Unwrap() error { return e.Err }

type classErr struct{ e *Error }

func (c classErr) Error() string { return c.e.Error() }
func (c classErr) Unwrap() error { return c.e }

type badRequestErr struct{ classErr }
type notFoundErr struct{ classErr }
type conflictErr struct{ classErr }
type forbiddenErr struct{ classErr }
type retryErr struct{ classErr }
type noServiceErr struct{ classErr }
type internalErr struct{ classErr }

func (badRequestErr) BadRequest() {}
func (notFoundErr) NotFound()     {}
func (conflictErr) Conflict()     {}
func (forbiddenErr) Forbidden()   {}
func (retryErr) Retry()           {}
func (noServiceErr) NoService()   {}
func (internalErr) Internal()     {}

func newError(argv []string, status int, stderr string, cause error) error {
	e := &Error{Args: append([]string(nil), argv...), ExitStatus: status, Stderr: cleanStderr(stderr), Err: cause}
	c := classErr{e}
	msg := strings.ToLower(e.Stderr)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(msg, s) {
				return true
			}
		}
		return false
	}
	switch {
	case errors.Is(cause, exec.ErrNotFound), errors.Is(cause, fs.ErrNotExist):
		return noServiceErr{c}
	case has("holding the xtables lock", "resource temporarily unavailable"):
		return retryErr{c}
	case has("chain already exists", "file exists"):
		return conflictErr{c}
	case has("no chain/target/match", "does a matching rule exist", "doesn't exist", "no such file or directory"),
		strings.Contains(msg, "chain '") && strings.Contains(msg, "does not exist"):
		return notFoundErr{c}
	case status == 3, has("does not exist", "needs to be upgraded", "can't initialize"):
		return noServiceErr{c}
	case has("too many links", "resource busy", "permission denied", "must be root"):
		return forbiddenErr{c}
	case status == 2, has("unknown option", "bad argument", "invalid", "not found", "parameter problem"):
		return badRequestErr{c}
	}
	return internalErr{c}
}

// cleanStderr drops the usage hint and the backend warnings from stderr.
func cleanStderr(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "Try `") || strings.HasPrefix(l, "# Warning:") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "; ")
}
