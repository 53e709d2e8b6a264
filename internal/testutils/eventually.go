package testutils

import (
	"errors"
	"testing"
	"time"
)

// Eventually polls cond, backing off from 1 ms to 50 ms, until it returns
// nil; after within it fails the test with what and cond's last error.
func Eventually(t testing.TB, what string, within time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	wait := time.Millisecond
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after %s: %v", what, within, err)
		}
		time.Sleep(wait)
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
}

// ErrNotYet is the error of a boolean condition that does not hold.
var ErrNotYet = errors.New("not yet")

// Holds turns a boolean condition into one for Eventually.
func Holds(cond func() bool) func() error {
	return func() error {
		if cond() {
			return nil
		}
		return ErrNotYet
	}
}
