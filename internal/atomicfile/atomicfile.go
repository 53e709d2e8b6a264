// Package atomicfile replaces small files atomically and serialises
// read-modify-write cycles per path.
package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// defaultPerm is the mode of a file created by WriteFile.
const defaultPerm fs.FileMode = 0o644

// TestHookBeforeRename, when set by a test, runs after the temporary file is
// written and synced and before it replaces the target; an error aborts the
// write. Only tests set it.
var TestHookBeforeRename func(tmp string) error

// WriteFile replaces path with data: it writes a temporary file in the
// same directory, gives it the mode (and, where allowed, the owner) of the
// file it replaces, syncs it and renames it over path. On any error the old
// file is left untouched and the temporary file is removed.
func WriteFile(path string, data []byte) (err error) {
	perm := defaultPerm
	fi, statErr := os.Stat(path)
	switch {
	case statErr == nil:
		perm = fi.Mode().Perm()
	case !errors.Is(statErr, fs.ErrNotExist):
		return statErr
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if fi != nil {
		keepOwner(f, fi)
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if TestHookBeforeRename != nil {
		if err = TestHookBeforeRename(tmp); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable; failures are ignored because the
// new content is already in place.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}

// pathLocks serialises read-modify-write cycles per file path. Entries are
// reference counted and removed when the last holder unlocks.
type pathLocks struct {
	mu sync.Mutex
	m  map[string]*pathLock
}

type pathLock struct {
	mu   sync.Mutex
	refs int
}

var locks = pathLocks{m: map[string]*pathLock{}}

// Lock takes the lock of path and returns its release function.
func Lock(path string) func() { return locks.lock(path) }

// Locks reports how many paths have a lock entry.
func Locks() int { return locks.size() }

// lock takes the lock of path and returns its release function.
func (p *pathLocks) lock(path string) func() {
	key := filepath.Clean(path)
	p.mu.Lock()
	l := p.m[key]
	if l == nil {
		l = &pathLock{}
		p.m[key] = l
	}
	l.refs++
	p.mu.Unlock()

	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		p.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(p.m, key)
		}
		p.mu.Unlock()
	}
}

// size reports how many paths have a lock entry (for tests).
func (p *pathLocks) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}
