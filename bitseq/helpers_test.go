package bitseq

import (
	"math/bits"
	"sync"
	"testing"

	"github.com/docker/libkv/store"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

// checkInvariants fails t unless h's runs cover every word, are canonical,
// keep the padding bits set and agree with the free count.
func checkInvariants(t testing.TB, h *Handle) {
	t.Helper()
	h.Lock()
	defer h.Unlock()
	s := &h.st
	if len(s.runs) == 0 {
		t.Fatalf("no runs")
	}
	var next uint32
	var set uint64
	for i, r := range s.runs {
		if r.start != next || r.count == 0 {
			t.Fatalf("run %d = %+v, want start %d and count > 0", i, r, next)
		}
		if i > 0 && s.runs[i-1].block == r.block {
			t.Fatalf("runs %d and %d both hold %#x", i-1, i, r.block)
		}
		set += uint64(bits.OnesCount64(r.block)) * uint64(r.count)
		next = r.end()
	}
	if next != nwords(s.bits) {
		t.Fatalf("runs cover %d words, want %d", next, nwords(s.bits))
	}
	pad := paddingMask(s.bits)
	if s.runs[len(s.runs)-1].block&pad != pad {
		t.Fatalf("padding bits not set")
	}
	set -= uint64(bits.OnesCount64(pad))
	if s.unselected != s.bits-set {
		t.Fatalf("unselected = %d, want %d", s.unselected, s.bits-set)
	}
}

// memStore is an in-memory datastore.DataStore with compare-and-swap.
type memStore struct {
	mu    sync.Mutex
	index uint64
	kv    map[string]memEntry
	puts  int
}

type memEntry struct {
	value []byte
	index uint64
}

func newMemStore() *memStore { return &memStore{kv: map[string]memEntry{}} }

func (m *memStore) GetObject(key string, o datastore.KVObject) error {
	m.mu.Lock()
	e, ok := m.kv[key]
	m.mu.Unlock()
	if !ok {
		return types.NotFoundErrorf("key %s not found", key)
	}
	if err := o.SetValue(e.value); err != nil {
		return err
	}
	o.SetIndex(e.index)
	return nil
}

func (m *memStore) check(o datastore.KVObject) (string, error) {
	key := datastore.Key(o.Key()...)
	e, ok := m.kv[key]
	switch {
	case o.Exists() && (!ok || e.index != o.Index()):
		return key, types.ConflictErrorf("key %s modified", key)
	case !o.Exists() && ok:
		return key, types.ConflictErrorf("key %s exists", key)
	}
	return key, nil
}

func (m *memStore) PutObjectAtomic(o datastore.KVObject) error { return m.put(o, true) }
func (m *memStore) PutObject(o datastore.KVObject) error       { return m.put(o, false) }

func (m *memStore) put(o datastore.KVObject, cas bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key, err := m.check(o)
	if err != nil && cas {
		return err
	}
	m.index++
	m.puts++
	m.kv[key] = memEntry{value: o.Value(), index: m.index}
	o.SetIndex(m.index)
	return nil
}

func (m *memStore) DeleteObjectAtomic(o datastore.KVObject) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	key, err := m.check(o)
	if err != nil {
		return err
	}
	delete(m.kv, key)
	return nil
}

func (m *memStore) DeleteObject(o datastore.KVObject) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.kv, datastore.Key(o.Key()...))
	return nil
}

func (m *memStore) DeleteTree(datastore.KVObject) error {
	return types.NotImplementedErrorf("DeleteTree")
}
func (m *memStore) List(string, datastore.KVObject) ([]datastore.KVObject, error) {
	return nil, types.NotImplementedErrorf("List")
}
func (m *memStore) Map(string, datastore.KVObject) (map[string]datastore.KVObject, error) {
	return nil, types.NotImplementedErrorf("Map")
}
func (m *memStore) Watchable() bool { return false }
func (m *memStore) Watch(datastore.KVObject, <-chan struct{}) (<-chan datastore.KVObject, error) {
	return nil, types.NotImplementedErrorf("Watch")
}
func (m *memStore) RestartWatch()        {}
func (m *memStore) Active() bool         { return true }
func (m *memStore) Scope() string        { return datastore.LocalScope }
func (m *memStore) KVStore() store.Store { return nil }
func (m *memStore) Close()               {}

func (m *memStore) has(key string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.kv[key]
	return ok
}
