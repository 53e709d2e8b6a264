package ipam

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/docker/libkv/store"

	"github.com/cnmkit/libnetwork/bitseq"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/datastore/memkv"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/types"
)

func openBolt(t *testing.T, dir string) datastore.DataStore {
	t.Helper()
	ds, err := datastore.NewDataStore(datastore.LocalScope, datastore.DefaultScopes(dir)[datastore.LocalScope])
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func storeAlloc(t *testing.T, lc, gl datastore.DataStore) *Allocator {
	t.Helper()
	a, err := NewAllocator(lc, gl)
	if err != nil {
		t.Fatalf("NewAllocator: %v", err)
	}
	return a
}

// TestStoreSurvivesReopen: pools and addresses given by an allocator over
// a boltdb store are held for an allocator opened on the file afterwards.
func TestStoreSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ds := openBolt(t, dir)
	a := storeAlloc(t, ds, nil)
	auto := mustPool(t, a, "LocalDefault", "", "", false)
	if auto != "LocalDefault/172.17.0.0/16" {
		t.Fatalf("automatic pool %s", auto)
	}
	sub := mustPool(t, a, "LocalDefault", "10.5.0.0/16", "10.5.1.0/24", false)
	var given []string
	for range 3 {
		given = append(given, mustAddr(t, a, auto, nil, nil).IP.String())
	}
	subAddr := mustAddr(t, a, sub, nil, nil)
	if subAddr.IP.String() != "10.5.1.0" {
		t.Fatalf("first address of the sub-pool: %v", subAddr)
	}
	ds.Close()

	ds = openBolt(t, dir)
	defer ds.Close()
	b := storeAlloc(t, ds, nil)
	if next := mustPool(t, b, "LocalDefault", "", "", false); next != "LocalDefault/172.18.0.0/16" {
		t.Fatalf("automatic pool after reopen %s, want 172.18.0.0/16 (172.17 is in use)", next)
	}
	_, _, _, err := b.RequestPool("LocalDefault", "10.5.0.0/16", "10.5.1.0/24", nil, false)
	expectErr(t, "sub-pool again", err, ipamapi.ErrPoolOverlap, "10.5.0.0/16")
	for _, ip := range given {
		_, _, err := b.RequestAddress(auto, net.ParseIP(ip), nil)
		expectErr(t, "address given before the reopen", err, ipamapi.ErrIPAlreadyAllocated, ip)
	}
	if n := mustAddr(t, b, auto, nil, nil); n.IP.String() != "172.17.0.4" {
		t.Fatalf("next address %v, want 172.17.0.4", n)
	}
	if err := b.ReleaseAddress(auto, net.ParseIP(given[0])); err != nil {
		t.Fatal(err)
	}
	if n := mustAddr(t, b, auto, nil, nil); n.IP.String() != given[0] {
		t.Fatalf("address after release %v, want %s", n, given[0])
	}
	d := b.DumpDatabase()
	for _, want := range []string{"\nLocalDefault/172.17.0.0/16: ", "\n" + sub + ": ParentKey: LocalDefault/10.5.0.0/16", "\nLocalDefault/10.5.0.0/16: ParentKey: /, Pool: 10.5.0.0/16, Range: <nil>, RefCount: 1"} {
		if !contains(d, want) {
			t.Errorf("dump lacks %q:\n%s", want, d)
		}
	}
	if err := b.ReleasePool(sub); err != nil {
		t.Fatal(err)
	}
	if got := mustPool(t, b, "LocalDefault", "10.5.0.0/16", "", false); got != "LocalDefault/10.5.0.0/16" {
		t.Fatalf("pool after release %s", got)
	}
}

// TestStoreTwoAllocators: two allocators over one store see each other's
// pools and addresses and never give the same one twice.
func TestStoreTwoAllocators(t *testing.T) {
	ds := openBolt(t, t.TempDir())
	defer ds.Close()
	a, b := storeAlloc(t, ds, nil), storeAlloc(t, ds, nil)
	pa := mustPool(t, a, "LocalDefault", "", "", false)
	pb := mustPool(t, b, "LocalDefault", "", "", false)
	if pa == pb {
		t.Fatalf("both allocators chose %s", pa)
	}
	_, _, _, err := b.RequestPool("LocalDefault", "172.17.0.0/16", "", nil, false)
	expectErr(t, "pool of the other allocator", err, ipamapi.ErrPoolOverlap, "172.17.0.0/16")
	seen := map[string]bool{}
	for i := range 10 {
		al := a
		if i%2 == 1 {
			al = b // b knows pa only from the store
		}
		ip := mustAddr(t, al, pa, nil, nil).IP.String()
		if seen[ip] {
			t.Fatalf("address %s given twice", ip)
		}
		seen[ip] = true
	}
	if err := b.ReleasePool(pa); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.RequestAddress(pa, nil, nil); err == nil {
		t.Fatal("address of a pool the other allocator released")
	}
	if got := mustPool(t, a, "LocalDefault", "172.17.0.0/16", "", false); got != pa {
		t.Fatalf("pool ID %s", got)
	}
	// The released pool's bitmap went with it: the pool starts empty.
	if n := mustAddr(t, a, pa, nil, nil); n.IP.String() != "172.17.0.1" {
		t.Fatalf("first address of the pool made again %v", n)
	}
}

// TestStoreGlobalConcurrent: two hosts (two clients of one global store)
// take addresses of one pool at once; every address is given once.
func TestStoreGlobalConcurrent(t *testing.T) {
	memkv.Register()
	name := fmt.Sprintf("ipam-%d", time.Now().UnixNano())
	srv := memkv.Serve(name)
	defer srv.Stop()
	open := func() datastore.DataStore {
		ds, err := datastore.NewDataStore(datastore.GlobalScope, &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{
			Provider: string(memkv.Backend), Address: name, Config: &store.Config{ConnectionTimeout: 5 * time.Second}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ds.Close)
		return ds
	}
	a, b := storeAlloc(t, nil, open()), storeAlloc(t, nil, open())
	id := mustPool(t, a, "GlobalDefault", "", "", false)
	if id != "GlobalDefault/10.0.0.0/24" {
		t.Fatalf("automatic global pool %s", id)
	}
	const per = 40
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, 2*per)
	for _, al := range []*Allocator{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				n, _, err := al.RequestAddress(id, nil, nil)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if seen[n.IP.String()] {
					errs <- fmt.Errorf("address %s given twice", n.IP)
				}
				seen[n.IP.String()] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != 2*per {
		t.Fatalf("%d addresses, want %d", len(seen), 2*per)
	}
	if c := a.Capability(); !c.RequiresRequestReplay {
		t.Fatal("an allocator with its local space in memory does not ask for request replay")
	}
}

// TestStoreIPv6Windows: a pool of more than 2^32 addresses keeps each
// window it uses as its own bitmap; all of them go with the pool.
func TestStoreIPv6Windows(t *testing.T) {
	dir := t.TempDir()
	ds := openBolt(t, dir)
	a := storeAlloc(t, ds, ds)
	id := mustPool(t, a, "LocalDefault", "fd00::/64", "", true)
	far := net.ParseIP("fd00::5:0:0:7")
	mustAddr(t, a, id, far, nil)
	ds.Close()

	ds = openBolt(t, dir)
	defer ds.Close()
	b := storeAlloc(t, ds, ds)
	_, _, err := b.RequestAddress(id, far, nil)
	expectErr(t, "far address after reopen", err, ipamapi.ErrIPAlreadyAllocated, "fd00::5:0:0:7")
	if err := b.ReleasePool(id); err != nil {
		t.Fatal(err)
	}
	objs, err := ds.List(datastore.Key(bitmapApp), &bitseq.Handle{})
	if err != nil && !types.IsNotFound(err) {
		t.Fatal(err)
	}
	if len(objs) != 0 {
		t.Fatalf("%d bitmaps left after the pool's release", len(objs))
	}
	if c := b.Capability(); c.RequiresRequestReplay {
		t.Fatal("a store-backed allocator asks for request replay")
	}
}

// TestStoreFailureChangesNothing: a write the store refuses leaves the
// allocator as it was.
func TestStoreFailureChangesNothing(t *testing.T) {
	ds := openBolt(t, t.TempDir())
	a := storeAlloc(t, ds, nil)
	id := mustPool(t, a, "LocalDefault", "10.7.0.0/16", "", false)
	before := a.DumpDatabase()
	ds.Close()
	if _, _, _, err := a.RequestPool("LocalDefault", "10.8.0.0/16", "", nil, false); err == nil {
		t.Fatal("RequestPool on a closed store succeeded")
	}
	if err := a.ReleasePool(id); err == nil {
		t.Fatal("ReleasePool on a closed store succeeded")
	}
	if _, ok := a.pools[id]; !ok {
		t.Fatal("failed release dropped the pool")
	}
	if _, ok := a.pools["LocalDefault/10.8.0.0/16"]; ok {
		t.Fatal("failed request kept the pool")
	}
	if after := a.DumpDatabase(); after != before {
		t.Fatalf("state changed:\n%s\nwas\n%s", after, before)
	}
}

// TestStoreBadRecord: a record that does not describe sound pools is
// refused with an error naming the pool.
func TestStoreBadRecord(t *testing.T) {
	_, pool, _ := net.ParseCIDR("10.0.0.0/16")
	_, over, _ := net.ParseCIDR("10.0.0.0/8")
	k := func(s string) SubnetKey {
		var sk SubnetKey
		if err := sk.FromString(s); err != nil {
			t.Fatal(err)
		}
		return sk
	}
	tests := []struct {
		name    string
		subnets map[SubnetKey]*PoolData
		names   string
	}{
		{"overlap", map[SubnetKey]*PoolData{k("LocalDefault/10.0.0.0/16"): {Pool: pool, RefCount: 1}, k("LocalDefault/10.0.0.0/8"): {Pool: over, RefCount: 1}}, "LocalDefault/10.0.0.0/"},
		{"orphan child", map[SubnetKey]*PoolData{k("LocalDefault/10.0.0.0/16/10.0.1.0/24"): {Pool: pool, RefCount: 1}}, "LocalDefault/10.0.0.0/16"},
		{"zero refs", map[SubnetKey]*PoolData{k("LocalDefault/10.0.0.0/16"): {Pool: pool}}, "LocalDefault/10.0.0.0/16"},
		{"other space", map[SubnetKey]*PoolData{k("GlobalDefault/10.0.0.0/16"): {Pool: pool, RefCount: 1}}, "GlobalDefault/10.0.0.0/16"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ds := openBolt(t, t.TempDir())
			defer ds.Close()
			r := &spaceRecord{name: LocalDefaultAddressSpace, scope: datastore.LocalScope, subnets: tc.subnets}
			if err := ds.PutObjectAtomic(r); err != nil {
				t.Fatal(err)
			}
			_, err := NewAllocator(ds, nil)
			if !types.IsInternal(err) {
				t.Fatalf("NewAllocator = %v, want an InternalError", err)
			}
			expectErr(t, "bad record", err, err, tc.names)
		})
	}
}

// TestPredefinedMerged: the ipamutils lists become a few blocks, chosen in
// the lists' order.
func TestPredefinedMerged(t *testing.T) {
	a := newAlloc(t)
	if n := len(a.spaces[LocalDefaultAddressSpace].predefined); n != 5 {
		t.Fatalf("local predefined blocks %d, want 5", n)
	}
	if n := len(a.spaces[GlobalDefaultAddressSpace].predefined); n != 1 {
		t.Fatalf("global predefined blocks %d, want 1", n)
	}
	want := []string{}
	for i := 17; i <= 31; i++ {
		want = append(want, fmt.Sprintf("172.%d.0.0/16", i))
	}
	for i := 0; i < 256; i += 16 {
		want = append(want, fmt.Sprintf("192.168.%d.0/20", i))
	}
	for i, w := range want {
		_, p, _, err := a.RequestPool("LocalDefault", "", "", nil, false)
		if err != nil || p.String() != w {
			t.Fatalf("automatic pool %d = %v, %v; want %s", i, p, err, w)
		}
	}
	_, _, _, err := a.RequestPool("LocalDefault", "", "", nil, false)
	if !errors.Is(err, ipamapi.ErrNoAvailablePool) {
		t.Fatalf("pool past the list: %v", err)
	}
}
