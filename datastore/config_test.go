package datastore_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

func TestKey(t *testing.T) {
	cases := []struct {
		parts []string
		want  string
	}{
		{nil, "cnmkit/network/v1.0/"},
		{[]string{"network"}, "cnmkit/network/v1.0/network/"},
		{[]string{"endpoint", "n1", "e1"}, "cnmkit/network/v1.0/endpoint/n1/e1/"},
	}
	for _, tc := range cases {
		got := datastore.Key(tc.parts...)
		if got != tc.want {
			t.Errorf("Key(%q) = %q, want %q", tc.parts, got, tc.want)
		}
		if len(tc.parts) == 0 {
			continue
		}
		back, err := datastore.ParseKey(got)
		if err != nil || !reflect.DeepEqual(back, tc.parts) {
			t.Errorf("ParseKey(%q) = %q, %v; want %q", got, back, err, tc.parts)
		}
	}
}

func TestParseKeyBad(t *testing.T) {
	for _, key := range []string{"", "/", "cnmkit/network/v1.0/", "cnmkit/network/v2.0/network/x/", "docker/network/v1.0/network/x/", "network/x"} {
		_, err := datastore.ParseKey(key)
		if !types.IsBadRequest(err) || !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("ParseKey(%q): got %v, want BadRequestError naming the key", key, err)
		}
	}
	if parts, err := datastore.ParseKey("/cnmkit/network/v1.0/network/x"); err != nil || !reflect.DeepEqual(parts, []string{"network", "x"}) {
		t.Errorf("ParseKey without trailing slash: %q, %v", parts, err)
	}
}

func TestDefaultScopes(t *testing.T) {
	s := datastore.DefaultScopes("/data/dir")
	local := s[datastore.LocalScope]
	if len(s) != 1 || local == nil || !local.IsValid() {
		t.Fatalf("DefaultScopes: %+v", s)
	}
	c := local.Client
	if c.Provider != "boltdb" || c.Address != "/data/dir/local-kv.db" || c.Config.Bucket != "cnmkit" || !c.Config.PersistConnection {
		t.Fatalf("local scope config: %+v %+v", c, c.Config)
	}
	if c.Config.ConnectionTimeout <= 0 || c.Config.ConnectionTimeout > 2*time.Second {
		t.Fatalf("lock timeout %v, want in (0, 2s]", c.Config.ConnectionTimeout)
	}
}

func TestNewDataStoreBadInput(t *testing.T) {
	dir := t.TempDir()
	good := datastore.ScopeClientCfg{Provider: "boltdb", Address: filepath.Join(dir, "x.db")}
	cases := []struct {
		name  string
		scope string
		cfg   *datastore.ScopeCfg
		names string // the message must contain it
	}{
		{"empty scope", "", &datastore.ScopeCfg{Client: good}, `""`},
		{"swarm scope", datastore.SwarmScope, &datastore.ScopeCfg{Client: good}, `"swarm"`},
		{"bogus scope", "galactic", &datastore.ScopeCfg{Client: good}, `"galactic"`},
		{"nil config", datastore.LocalScope, nil, "no configuration"},
		{"no provider", datastore.LocalScope, &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{Address: "x"}}, "no provider"},
		{"no address", datastore.GlobalScope, &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{Provider: "consul"}}, `"consul"`},
		{"unregistered provider", datastore.GlobalScope, &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{Provider: "nosuchkv", Address: "h:1"}}, `"nosuchkv"`},
		{"two bolt files", datastore.LocalScope, &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{Provider: "boltdb", Address: "a.db,b.db"}}, "a.db,b.db"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := datastore.NewDataStore(tc.scope, tc.cfg)
			if ds != nil || !types.IsBadRequest(err) || !strings.Contains(err.Error(), tc.names) {
				t.Fatalf("got %v, %v; want BadRequestError naming %s", ds, err, tc.names)
			}
		})
	}
	// Nothing was created by the rejected configurations.
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Fatalf("rejected configs left files: %v", m)
	}
}

func TestNewDataStoreFromConfig(t *testing.T) {
	dir := t.TempDir()
	_, err := datastore.NewDataStoreFromConfig(discoverapi.DatastoreConfigData{
		Scope: datastore.LocalScope, Provider: "boltdb", Address: filepath.Join(dir, "a.db"), Config: "bucket=x",
	})
	if !types.IsBadRequest(err) || !strings.Contains(err.Error(), "string") {
		t.Fatalf("config of wrong type: got %v, want BadRequestError naming the type", err)
	}
	ds, err := datastore.NewDataStoreFromConfig(discoverapi.DatastoreConfigData{
		Scope: datastore.LocalScope, Provider: "boltdb", Address: filepath.Join(dir, "a.db"),
		Config: &store.Config{Bucket: "other"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	if ds.Scope() != datastore.LocalScope {
		t.Fatalf("scope %q", ds.Scope())
	}
	if err := ds.PutObjectAtomic(newObj("a", 1)); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, ds, "a"); got.Count != 1 {
		t.Fatalf("got %+v", got)
	}
}
