package datastore

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv"
	"github.com/docker/libkv/store"
	berrors "go.etcd.io/bbolt/errors"
	"golang.org/x/sys/unix"
)

// openBolt opens the boltdb file at path with one persistent connection.
// It returns the store and the absolute path.
func openBolt(path string, cfg *store.Config) (store.Store, string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, path, types.BadRequestErrorf("datastore file %q: %w", path, err)
	}
	c := store.Config{}
	if cfg != nil {
		c = *cfg
	}
	if c.Bucket == "" {
		c.Bucket = DefaultBucket
	}
	// Without a persistent connection libkv reopens the file per call.
	c.PersistConnection = true
	if c.ConnectionTimeout <= 0 {
		// bbolt waits for the lock forever when the timeout is 0.
		c.ConnectionTimeout = DefaultLockTimeout
	}
	if err := probeLock(abs); err != nil {
		return nil, abs, err
	}
	s, err := libkv.NewStore(store.BOLTDB, []string{abs}, &c)
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		// Taken between the probe and the open.
		return nil, abs, lockedErr(abs)
	case errors.Is(err, os.ErrPermission):
		return nil, abs, types.ForbiddenErrorf("datastore file %s: %w", abs, err)
	case err != nil:
		return nil, abs, types.InternalErrorf("datastore file %s: open: %w", abs, err)
	}
	return s, abs, nil
}

// probeLock fails at once if another process or open store holds the
// boltdb lock (an exclusive flock) on path. A missing file is free.
func probeLock(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return types.ForbiddenErrorf("datastore file %s: %w", path, err)
	}
	defer f.Close() // also drops the probe's lock
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return lockedErr(path)
	}
	if err != nil {
		return types.InternalErrorf("datastore file %s: lock probe: %w", path, err)
	}
	return unix.Flock(int(f.Fd()), unix.LOCK_UN)
}

func lockedErr(path string) error {
	return types.ForbiddenErrorf("datastore file %s is in use by another process or another open datastore: %w", path, ErrStoreLocked)
}

// Index layout of the cached (local) scope: issued indexes are
// epoch<<epochShift | sequence. The epoch is raised at every open, so an
// index issued now never equals one issued before a restart, nor an index
// read back from disk (those are libkv's per-open counters, < 1<<epochShift).
// libkv's boltdb counter restarts at 0 on every open; without the epoch a
// stale copy could pass a compare-and-swap after a restart.
const (
	epochKey   = "cnmkit/datastore/epoch"
	epochShift = 40
	seqMask    = 1<<epochShift - 1
)

// bumpEpoch reads, raises and stores the open counter of a local store.
func (d *datastore) bumpEpoch() error {
	var n uint64
	p, err := bounded(d, "open", epochKey, func() (*store.KVPair, error) { return d.store.Get(epochKey) })
	switch {
	case err == nil:
		n, _ = strconv.ParseUint(string(p.Value), 10, 64)
	case !errors.Is(err, ErrKeyNotFound):
		return err
	}
	n++
	if n >= 1<<(64-epochShift) {
		n = 1
	}
	if err := boundedErr(d, "open", epochKey, func() error {
		return d.store.Put(epochKey, []byte(strconv.FormatUint(n, 10)), nil)
	}); err != nil {
		return err
	}
	d.epoch = n
	return nil
}

// nextIndex issues a new index; d.wmu is held.
func (d *datastore) nextIndex() uint64 {
	d.seq++
	return d.epoch<<epochShift | d.seq&seqMask
}
