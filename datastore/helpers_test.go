package datastore_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/datastore/memkv"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/docker/libkv/store"
)

func TestMain(m *testing.M) {
	memkv.Register() // before any test opens a store
	if os.Getenv(holdEnv) != "" {
		holdFile(os.Getenv(holdEnv))
		return
	}
	// As root, in network namespaces of their own: the etcd servers the
	// tests start listen on the tests' own loopback.
	testutils.IsolatedMain(m)
}

// testObj is a KVObject with a slice, to catch shallow copies.
type testObj struct {
	ID    string   `json:"id"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`

	prefix []string
	index  uint64
	exists bool
	skip   bool
}

func newObj(id string, count int, tags ...string) *testObj {
	return &testObj{ID: id, Count: count, Tags: tags, prefix: []string{"obj"}}
}

func (o *testObj) Key() []string       { return append(append([]string{}, o.prefix...), o.ID) }
func (o *testObj) KeyPrefix() []string { return append([]string{}, o.prefix...) }
func (o *testObj) Value() []byte {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	return b
}
func (o *testObj) SetValue(b []byte) error { return json.Unmarshal(b, o) }
func (o *testObj) Index() uint64           { return o.index }
func (o *testObj) SetIndex(i uint64)       { o.index, o.exists = i, true }
func (o *testObj) Exists() bool            { return o.exists }
func (o *testObj) DataScope() string       { return datastore.LocalScope }
func (o *testObj) Skip() bool              { return o.skip }
func (o *testObj) New() datastore.KVObject {
	return &testObj{prefix: append([]string{}, o.prefix...)}
}
func (o *testObj) CopyTo(dst datastore.KVObject) error {
	d, ok := dst.(*testObj)
	if !ok {
		return fmt.Errorf("CopyTo %T", dst)
	}
	*d = *o
	d.Tags = append([]string(nil), o.Tags...)
	d.prefix = append([]string{}, o.prefix...)
	return nil
}

// openLocal opens a boltdb local store under dir and closes it at cleanup.
func openLocal(t testing.TB, dir string) datastore.DataStore {
	t.Helper()
	ds, err := datastore.NewDataStore(datastore.LocalScope, datastore.DefaultScopes(dir)[datastore.LocalScope])
	if err != nil {
		t.Fatalf("open local store in %s: %v", dir, err)
	}
	t.Cleanup(ds.Close)
	return ds
}

// openGlobal opens a global store on the memkv server registered as name.
func openGlobal(t testing.TB, name string, timeout time.Duration) datastore.DataStore {
	t.Helper()
	ds, err := datastore.NewDataStore(datastore.GlobalScope, globalCfg(name, timeout))
	if err != nil {
		t.Fatalf("open global store %s: %v", name, err)
	}
	t.Cleanup(ds.Close)
	return ds
}

func globalCfg(name string, timeout time.Duration) *datastore.ScopeCfg {
	return &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{
		Provider: string(memkv.Backend),
		Address:  name,
		Config:   &store.Config{ConnectionTimeout: timeout},
	}}
}

// scopes are the store setups every generic test runs against.
var scopes = []struct {
	name string
	open func(t testing.TB) datastore.DataStore
}{
	{"local-boltdb", func(t testing.TB) datastore.DataStore { return openLocal(t, t.TempDir()) }},
	{"global-memkv", func(t testing.TB) datastore.DataStore {
		name := t.Name()
		s := memkv.Serve(name)
		t.Cleanup(s.Stop)
		return openGlobal(t, name, 5*time.Second)
	}},
	{"global-etcd", func(t testing.TB) datastore.DataStore {
		return openEtcd(t, testutils.StartEtcd(t, nil).ClientAddr, 5*time.Second)
	}},
	{"local-memkv", func(t testing.TB) datastore.DataStore {
		name := t.Name()
		s := memkv.Serve(name)
		t.Cleanup(s.Stop)
		cfg := globalCfg(name, 5*time.Second)
		ds, err := datastore.NewDataStore(datastore.LocalScope, cfg)
		if err != nil {
			t.Fatalf("open local memkv store: %v", err)
		}
		t.Cleanup(ds.Close)
		return ds
	}},
}

// get reads the object id under prefix "obj".
func get(t testing.TB, ds datastore.DataStore, id string) (*testObj, error) {
	t.Helper()
	o := newObj(id, 0)
	err := ds.GetObject(datastore.Key(o.Key()...), o)
	return o, err
}

// mustGet reads the object id or fails.
func mustGet(t testing.TB, ds datastore.DataStore, id string) *testObj {
	t.Helper()
	o, err := get(t, ds, id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return o
}

// holdEnv names the boltdb file a helper process holds open.
const holdEnv = "DATASTORE_TEST_HOLD_FILE"

// holdFile is the helper process: open the file, say "ready", wait for
// stdin to close.
func holdFile(path string) {
	ds, err := datastore.NewDataStore(datastore.LocalScope, &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{
		Provider: "boltdb", Address: path,
	}})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	buf := make([]byte, 1)
	_, _ = os.Stdin.Read(buf)
	ds.Close()
}

func dbPath(dir string) string { return filepath.Join(dir, datastore.DefaultLocalFile) }
