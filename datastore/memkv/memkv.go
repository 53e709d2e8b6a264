// Package memkv is an in-memory libkv backend (store.Store) with watches,
// locks and fault injection. It stands in for consul or etcd in tests and
// in single-process setups that want a "global" store without a server.
//
// A Server holds the data; each client made with Server.Client (or through
// libkv.NewStore with the Backend name and the server's name as address)
// sees the same keys, so several clients act like several hosts sharing one
// cluster store. Indexes are one counter per server, raised by every write,
// like consul's ModifyIndex. SetFault makes the server unreachable: calls
// then fail with store.ErrNotReachable, or hang until the fault is cleared
// or the client is closed.
//
// Semantics follow libkv's consul backend: Get, List and Delete of a
// missing key return store.ErrKeyNotFound; Watch sends the current value
// (if any) and then each new value, and does not report deletion; WatchTree
// sends the current list and then the whole list after every change under
// the directory. Watches coalesce: a slow reader gets the latest value, not
// every intermediate one. Watches are not affected by faults.
package memkv

import (
	"sort"
	"strings"
	"sync"

	"github.com/docker/libkv"
	"github.com/docker/libkv/store"
)

// Backend is the libkv backend name memkv registers under.
const Backend store.Backend = "memkv"

// Fault is a failure mode of a Server.
type Fault int

const (
	// Healthy serves every call.
	Healthy Fault = iota
	// Refuse fails every call at once with store.ErrNotReachable.
	Refuse
	// Hang blocks every call until the fault changes or the client closes.
	Hang
)

var (
	registerOnce sync.Once
	registryMu   sync.Mutex
	registry     = map[string]*Server{}
)

// Register adds Backend to libkv. Call it once before any libkv.NewStore
// call runs concurrently (libkv's registry is not locked), e.g. in TestMain.
func Register() {
	registerOnce.Do(func() { libkv.AddStore(Backend, newFromLibkv) })
}

// newFromLibkv is libkv's constructor: addrs[0] names a server made by Serve.
func newFromLibkv(addrs []string, _ *store.Config) (store.Store, error) {
	if len(addrs) != 1 {
		return nil, store.ErrNotReachable
	}
	registryMu.Lock()
	s := registry[addrs[0]]
	registryMu.Unlock()
	if s == nil {
		return nil, store.ErrNotReachable
	}
	if err := s.gate(nil); err != nil {
		return nil, err
	}
	return s.Client(), nil
}

// Item is a value held by a Server with the index of its last write.
type Item struct {
	Data  []byte
	Index uint64
}

// Server is one in-memory store shared by its clients.
type Server struct {
	name string

	mu      sync.Mutex
	data    map[string]Item
	index   uint64
	changed chan struct{} // closed and replaced on every write
	fault   Fault
	healed  chan struct{} // closed and replaced when the fault is cleared
	locks   map[string]*memLock
}

// NewServer returns an unnamed server; reach it only through Client.
func NewServer() *Server {
	return &Server{
		data:    map[string]Item{},
		changed: make(chan struct{}),
		healed:  make(chan struct{}),
		locks:   map[string]*memLock{},
	}
}

// Serve returns a new server registered under name, so that
// libkv.NewStore(Backend, []string{name}, nil) connects to it.
// It replaces any server of that name.
func Serve(name string) *Server {
	s := NewServer()
	s.name = name
	registryMu.Lock()
	registry[name] = s
	registryMu.Unlock()
	return s
}

// Stop unregisters the server; new libkv clients for its name fail.
// Existing clients keep working.
func (s *Server) Stop() {
	registryMu.Lock()
	if registry[s.name] == s {
		delete(registry, s.name)
	}
	registryMu.Unlock()
}

// SetFault sets the failure mode; Healthy releases hung calls.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault != Healthy && f == Healthy {
		close(s.healed)
		s.healed = make(chan struct{})
	}
	s.fault = f
}

// Index is the server's current index (the index of its last write).
func (s *Server) Index() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.index
}

// gate applies the fault: nil when healthy, an error when refused or
// when done closes while hung.
func (s *Server) gate(done <-chan struct{}) error {
	for {
		s.mu.Lock()
		f, healed := s.fault, s.healed
		s.mu.Unlock()
		switch f {
		case Healthy:
			return nil
		case Refuse:
			return store.ErrNotReachable
		}
		select {
		case <-healed:
		case <-done:
			return store.ErrNotReachable
		}
	}
}

// writeLocked stores value at key with the next index; s.mu is held.
func (s *Server) writeLocked(key string, value []byte) uint64 {
	s.index++
	v := make([]byte, len(value))
	copy(v, value)
	s.data[key] = Item{Data: v, Index: s.index}
	s.notifyLocked()
	return s.index
}

func (s *Server) deleteLocked(key string) {
	delete(s.data, key)
	s.index++
	s.notifyLocked()
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// pairLocked returns a copy of key's pair, or nil.
func (s *Server) pairLocked(key string) *store.KVPair {
	it, ok := s.data[key]
	if !ok {
		return nil
	}
	v := make([]byte, len(it.Data))
	copy(v, it.Data)
	return &store.KVPair{Key: key, Value: v, LastIndex: it.Index}
}

// listLocked returns copies of the pairs under prefix, sorted by key.
func (s *Server) listLocked(prefix string) []*store.KVPair {
	keys := make([]string, 0)
	for k := range s.data {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]*store.KVPair, 0, len(keys))
	for _, k := range keys {
		out = append(out, s.pairLocked(k))
	}
	return out
}

// normalize drops a leading slash, as libkv's consul backend does.
func normalize(key string) string { return strings.TrimPrefix(key, "/") }
