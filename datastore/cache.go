package datastore

import (
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/cnmkit/libnetwork/types"
)

// entry is the cached state of one key of the local scope.
type entry struct {
	obj    KVObject // private copy; nil: the key is known to be absent
	idx    uint64   // index handed to callers
	disk   uint64   // libkv's index of the value on disk
	onDisk bool     // false for Skip objects, which live only here
}

// cache holds the local scope's objects. Readers take mu shared; every
// change happens with the datastore's write lock held as well.
type cache struct {
	mu      sync.RWMutex
	entries map[string]*entry
	// Prefixes whose every key is in entries: those ending in "/" (all
	// prefixes made by Key) in a set, any others in a short slice.
	complete map[string]bool
	odd      []string
}

func newCache() *cache {
	return &cache{entries: map[string]*entry{}, complete: map[string]bool{}}
}

// coveredLocked reports whether key lies under a fully loaded prefix. It
// costs one map lookup per "/" in key.
func (c *cache) coveredLocked(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' && c.complete[key[:i+1]] {
			return true
		}
	}
	for _, p := range c.odd {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// lookup returns key's entry (nil if known absent) and whether the cache
// knows the key at all.
func (c *cache) lookup(key string) (*entry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if e, ok := c.entries[key]; ok {
		return e, true
	}
	return nil, c.coveredLocked(key)
}

// set records key's entry; e.obj nil records the key as absent.
func (c *cache) set(key string, e *entry) {
	c.mu.Lock()
	c.entries[key] = e
	c.mu.Unlock()
}

// dropTree forgets every key under prefix and marks prefix as loaded (so
// they read as absent).
func (c *cache) dropTree(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if strings.HasPrefix(k, prefix) {
			delete(c.entries, k)
		}
	}
	c.markCompleteLocked(prefix)
}

// markComplete records that every key under prefix is in the cache.
func (c *cache) markComplete(prefix string) {
	c.mu.Lock()
	c.markCompleteLocked(prefix)
	c.mu.Unlock()
}

func (c *cache) markCompleteLocked(prefix string) {
	if c.coveredLocked(prefix) {
		return
	}
	// Forget prefixes the new one subsumes.
	for p := range c.complete {
		if strings.HasPrefix(p, prefix) {
			delete(c.complete, p)
		}
	}
	odd := c.odd[:0]
	for _, p := range c.odd {
		if !strings.HasPrefix(p, prefix) {
			odd = append(odd, p)
		}
	}
	c.odd = odd
	if strings.HasSuffix(prefix, "/") {
		c.complete[prefix] = true
	} else {
		c.odd = append(c.odd, prefix)
	}
}

// list returns the present entries under prefix sorted by key, or false
// if the prefix is not fully loaded.
func (c *cache) list(prefix string) ([]string, []*entry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.coveredLocked(prefix) {
		return nil, nil, false
	}
	var keys []string
	for k, e := range c.entries {
		if e.obj != nil && strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]*entry, len(keys))
	for i, k := range keys {
		out[i] = c.entries[k]
	}
	return keys, out, true
}

// copyOut copies a cached object into dst so the caller never shares the
// cache's copy: CopyTo when dst has the cached object's type, else through
// the serialised value.
func copyOut(key string, e *entry, dst KVObject) error {
	var err error
	if reflect.TypeOf(e.obj) == reflect.TypeOf(dst) {
		err = e.obj.CopyTo(dst)
	} else {
		err = dst.SetValue(e.obj.Value())
	}
	if err != nil {
		return types.InternalErrorf("datastore: copy of %s into %T: %w", key, dst, err)
	}
	dst.SetIndex(e.idx)
	return nil
}

// keepCopy returns a private copy of o at index idx for the cache.
func keepCopy(o KVObject, value []byte, idx uint64) KVObject {
	cp := o.New()
	if err := o.CopyTo(cp); err != nil {
		// Fall back on the value just written.
		cp = o.New()
		_ = cp.SetValue(value)
	}
	cp.SetIndex(idx)
	return cp
}
