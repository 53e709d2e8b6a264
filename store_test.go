package libnetwork

import (
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

// countingStore counts the writes and deletes that reach a store.
type countingStore struct {
	datastore.DataStore
	mu     sync.Mutex
	writes map[string]int
}

func (s *countingStore) count(o datastore.KVObject) {
	s.mu.Lock()
	s.writes[datastore.Key(o.Key()...)]++
	s.mu.Unlock()
}

func (s *countingStore) PutObject(o datastore.KVObject) error {
	s.count(o)
	return s.DataStore.PutObject(o)
}

func (s *countingStore) PutObjectAtomic(o datastore.KVObject) error {
	s.count(o)
	return s.DataStore.PutObjectAtomic(o)
}

func (s *countingStore) DeleteObjectAtomic(o datastore.KVObject) error {
	s.count(o)
	return s.DataStore.DeleteObjectAtomic(o)
}

func (s *countingStore) DeleteObject(o datastore.KVObject) error {
	s.count(o)
	return s.DataStore.DeleteObject(o)
}

// take returns the counts since the last call and resets them.
func (s *countingStore) take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.writes
	s.writes = map[string]int{}
	return w
}

// TestOneWritePerObject checks that each API call writes each object it
// changes once, and nothing else.
func TestOneWritePerObject(t *testing.T) {
	e := newTestEnv(t)
	cs := &countingStore{DataStore: e.c.getStore(datastore.LocalScope), writes: map[string]int{}}
	e.c.storeMu.Lock()
	e.c.stores[datastore.LocalScope] = cs
	e.c.storeMu.Unlock()

	expect := func(what string, keys ...[]string) {
		t.Helper()
		got := cs.take()
		want := map[string]int{}
		for _, k := range keys {
			want[datastore.Key(k...)] = 1
		}
		if len(got) != len(want) {
			t.Fatalf("%s: writes %v, want %v", what, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s: writes %v, want %v", what, got, want)
			}
		}
	}
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	expect("NewNetwork", []string{"network", n.ID()})
	ep := must(n.CreateEndpoint("ep"))(t)
	epKey := []string{"endpoint", n.ID(), ep.ID()}
	expect("CreateEndpoint", epKey)
	sb := must(e.c.NewSandbox("c1"))(t)
	sbKey := []string{"sandbox", sb.ID()}
	expect("NewSandbox", sbKey)
	check(t, ep.Join(sb))
	// The first join to a network with DNS starts the embedded DNS server:
	// the sandbox's resolv.conf (whose hash it stores) changes.
	expect("first Join", epKey, sbKey)
	check(t, ep.Leave(sb))
	expect("Leave", epKey)
	check(t, ep.Join(sb))
	expect("Join", epKey)
	check(t, sb.Rename("newname"))
	expect("Rename", epKey)
	check(t, sb.Refresh(OptionHostname("x")))
	expect("Refresh", sbKey, epKey)
	check(t, ep.Delete(true)) // leave + delete
	expect("forced Endpoint.Delete", epKey)
	ep2 := must(n.CreateEndpoint("ep2"))(t)
	ep3 := must(n.CreateEndpoint("ep3"))(t)
	check(t, ep2.Join(sb))
	check(t, ep3.Join(sb))
	cs.take()
	check(t, sb.Delete()) // leaves and deletes ep2 and ep3
	expect("Sandbox.Delete with endpoints", sbKey, []string{"endpoint", n.ID(), ep2.ID()}, []string{"endpoint", n.ID(), ep3.ID()})
	sb = must(e.c.NewSandbox("c2"))(t)
	sbKey = []string{"sandbox", sb.ID()}
	cs.take()
	check(t, sb.Delete())
	expect("Sandbox.Delete", sbKey)
	check(t, n.Delete())
	expect("Network.Delete", []string{"network", n.ID()})
}

// TestGlobalScope: networks of global scope, and their endpoints, live in
// the global store when one is configured, and are restored from it.
func TestGlobalScope(t *testing.T) {
	globalFile := t.TempDir() + "/global.db"
	globalOpts := []config.Option{
		config.OptionKVProvider("boltdb"),
		config.OptionKVProviderURL(globalFile),
		config.OptionKVConfig(&store.Config{Bucket: "global", PersistConnection: true}),
	}
	e := newTestEnv(t, globalOpts...)
	n := e.fakeNetwork("gnet", "10.40.0.0/24", NetworkOptionScope(datastore.GlobalScope))
	ep := must(n.CreateEndpoint("gep"))(t)
	gs := e.c.getStore(datastore.GlobalScope)
	if gs == nil {
		t.Fatal("no global store")
	}
	var nr netRecord
	nr.meta = &kvMeta{}
	check(t, gs.GetObject(datastore.Key(networkKeyPrefix, n.ID()), &nr))
	if nr.Name != "gnet" {
		t.Fatalf("network in the global store: %+v", nr)
	}
	er := epRecord{meta: &kvMeta{}}
	check(t, gs.GetObject(datastore.Key(endpointKeyPrefix, n.ID(), ep.ID()), &er))
	ls := e.c.getStore(datastore.LocalScope)
	if err := ls.GetObject(datastore.Key(networkKeyPrefix, n.ID()), &netRecord{meta: &kvMeta{}}); !types.IsNotFound(err) {
		t.Fatalf("global network in the local store: %v", err)
	}
	e.restart(globalOpts...)
	n2 := must(e.c.NetworkByID(n.ID()))(t)
	if n2.Info().Scope() != datastore.GlobalScope {
		t.Fatalf("scope after restart: %s", n2.Info().Scope())
	}
	check(t, must(n2.EndpointByID(ep.ID()))(t).Delete(false))
	check(t, n2.Delete())
	// Without a global store, global networks cannot be made.
	e.restart()
	if _, err := e.c.NewNetwork(fakeType, "g2", "", NetworkOptionScope(datastore.GlobalScope)); !types.IsNoService(err) {
		t.Fatalf("global network without a global store: %v", err)
	}
}
