package osl

import (
	"errors"
	"os"
	"sync"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// maxMountLayers bounds the mounts GC takes off one key (a key bind-mounted
// over itself again stacks a layer per mount).
const maxMountLayers = 32

// garbageKeys are the keys of removed sandboxes whose namespace file could
// not be unpinned and removed at once (Destroy, or the undo of a failed
// NewSandbox); GC collects them.
type garbageKeys struct {
	mu   sync.Mutex
	keys map[string]bool
}

var garbage = &garbageKeys{keys: map[string]bool{}}

func (g *garbageKeys) add(key string) {
	g.mu.Lock()
	g.keys[key] = true
	g.mu.Unlock()
}

func (g *garbageKeys) forget(key string) {
	g.mu.Lock()
	delete(g.keys, key)
	g.mu.Unlock()
}

func (g *garbageKeys) has(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.keys[key]
}

func (g *garbageKeys) list() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.keys))
	for k := range g.keys {
		out = append(out, k)
	}
	return out
}

// unpin removes the namespace pinned at key; when that fails the key is
// left to GC.
func unpin(key string) error {
	if err := ns.RemovePinned(key); err != nil {
		garbage.add(key)
		logrus.WithFields(logrus.Fields{"key": key, "error": err}).Warn("osl: sandbox key left to GC")
		return err
	}
	garbage.forget(key)
	return nil
}

// GC collects, right away, the namespace files of removed sandboxes that
// could not be removed when their sandbox was (Destroy, a failed
// NewSandbox): each is unmounted, every stacked mount of it included, and
// deleted. Keys that still fail stay for a later GC and are logged.
func GC() {
	for _, key := range garbage.list() {
		if err := collect(key); err != nil {
			logrus.WithFields(logrus.Fields{"key": key, "error": err}).Warn("osl: collect sandbox key")
			continue
		}
		garbage.forget(key)
		logrus.WithField("key", key).Debug("osl: collected sandbox key")
	}
}

// collect unmounts every mount at key and removes the file.
func collect(key string) error {
	for range maxMountLayers {
		err := unix.Unmount(key, unix.MNT_DETACH)
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOENT) {
			break // not (or no longer) a mount point
		}
		if err != nil {
			return types.InternalErrorf("unmount sandbox key %q: %w", key, err)
		}
	}
	if err := os.Remove(key); err != nil && !os.IsNotExist(err) {
		return types.InternalErrorf("remove sandbox key %q: %w", key, err)
	}
	return nil
}

// reclaim collects key before it is pinned again when a removed sandbox
// left it to GC.
func reclaim(key string) {
	if garbage.has(key) && collect(key) == nil {
		garbage.forget(key)
	}
}
