package datastore_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

func assertLocked(t *testing.T, err error, path string) {
	t.Helper()
	if !errors.Is(err, datastore.ErrStoreLocked) || !types.IsForbidden(err) {
		t.Fatalf("got %v, want ErrStoreLocked (ForbiddenError)", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("error %q does not name the file %s", err, path)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	dir := t.TempDir()
	first := openLocal(t, dir)
	_, err := datastore.NewDataStore(datastore.LocalScope, datastore.DefaultScopes(dir)[datastore.LocalScope])
	assertLocked(t, err, dbPath(dir))

	// The failed open left the first store working.
	if err := first.PutObjectAtomic(newObj("a", 1)); err != nil {
		t.Fatalf("first store after failed second open: %v", err)
	}
	first.Close()
	second := openLocal(t, dir)
	if got := mustGet(t, second, "a"); got.Count != 1 {
		t.Fatalf("reopen after close: %+v", got)
	}
}

func TestOpenHeldByOtherProcess(t *testing.T) {
	dir := t.TempDir()
	path := dbPath(dir)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // the helper closes its store and exits
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper process %d: %v", cmd.Process.Pid, err)
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper process: %q, %v", line, err)
	}

	_, err = datastore.NewDataStore(datastore.LocalScope, datastore.DefaultScopes(dir)[datastore.LocalScope])
	assertLocked(t, err, path)
}

// After a restart libkv's boltdb counter starts again at 0; a copy read
// before the restart must still lose its compare-and-swap.
func TestRestartKeepsDataAndCAS(t *testing.T) {
	dir := t.TempDir()
	ds := openLocal(t, dir)
	o := newObj("a", 1, "t")
	if err := ds.PutObjectAtomic(o); err != nil {
		t.Fatal(err)
	}
	stale := mustGet(t, ds, "a")
	ds.Close()
	if err := ds.PutObjectAtomic(newObj("b", 1)); !types.IsNoService(err) {
		t.Fatalf("put after close: got %v, want NoServiceError", err)
	}

	ds = openLocal(t, dir)
	got := mustGet(t, ds, "a")
	if got.Count != 1 || len(got.Tags) != 1 || got.Tags[0] != "t" {
		t.Fatalf("after restart: %+v", got)
	}
	// Without epochs, an update here would reuse the stale copy's index
	// (libkv's counter restarts); try the stale copy after every update.
	for i := 0; i < 5; i++ {
		cur := mustGet(t, ds, "a")
		cur.Count++
		if err := ds.PutObjectAtomic(cur); err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		s := *stale
		s.Count = 1000
		if err := ds.PutObjectAtomic(&s); !errors.Is(err, datastore.ErrKeyModified) {
			t.Fatalf("stale copy from before restart, after %d updates: got %v, want ErrKeyModified", i+1, err)
		}
	}
	if got := mustGet(t, ds, "a"); got.Count != 6 {
		t.Fatalf("count %d, want 6", got.Count)
	}
}
