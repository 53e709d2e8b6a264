// Package crashpoint lets tests kill the process at a named step boundary
// of an operation, to prove that every operation either completes or is
// undone at the next start (see the root package's doc, "Crash safety").
//
// The step to die at is named by the environment variable CNMKIT_CRASHPOINT
// when the process starts; an optional "@N" suffix dies at the N-th hit of
// that step (1 by default). Without the variable Hit costs one load and
// one compare.
package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// EnvVar names the step at which the process kills itself.
const EnvVar = "CNMKIT_CRASHPOINT"

var (
	target string
	nth    int64 = 1
	hits   atomic.Int64
)

func init() { parse(os.Getenv(EnvVar)) }

func parse(v string) {
	target, nth = v, 1
	if name, n, ok := strings.Cut(v, "@"); ok {
		if i, err := strconv.ParseInt(n, 10, 64); err == nil && i > 0 {
			target, nth = name, i
		}
	}
	hits.Store(0)
}

// Hit is a step boundary named name: the process dies there by SIGKILL
// when CNMKIT_CRASHPOINT names it.
func Hit(name string) {
	if target == "" || name != target {
		return
	}
	if hits.Add(1) == nth {
		kill()
	}
}

// kill is replaced by the package's tests.
var kill = func() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // SIGKILL cannot be caught: nothing runs past this point
}
