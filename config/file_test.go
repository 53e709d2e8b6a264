package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseConfig(t *testing.T) {
	p := writeFile(t, "libnetwork.toml", `title = "LibNetwork Configuration file"

[daemon]
  debug = true
  DataDir = "/tmp/cnm-data"
  DefaultNetwork = "mynet"
  Labels = ["com.docker.network.driver.bridge.x=1", "owner=me"]

[cluster]
  Address = "10.1.2.3"
  Discovery = "nodes://10.1.2.4:7947,10.1.2.5"
  Heartbeat = 20

[scopes.global.client]
  provider = "etcd"
  address = "10.1.2.9:2379"
`)
	c, err := ParseConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Daemon.Debug || c.Daemon.DataDir != "/tmp/cnm-data" || c.Daemon.DefaultNetwork != "mynet" {
		t.Fatalf("daemon section: %+v", c.Daemon)
	}
	if c.Daemon.ExecRoot != DefaultExecRoot || c.Daemon.DefaultDriver != DefaultDriver {
		t.Fatalf("defaults lost: %+v", c.Daemon)
	}
	if len(c.Daemon.Labels) != 2 {
		t.Fatalf("labels: %v", c.Daemon.Labels)
	}
	if c.Cluster.Address != "10.1.2.3" || c.Cluster.Discovery != "nodes://10.1.2.4:7947,10.1.2.5" || c.Cluster.Heartbeat != 20 {
		t.Fatalf("cluster section: %+v", c.Cluster)
	}
	g := c.Scopes[datastore.GlobalScope]
	if g == nil || g.Client.Provider != "etcd" || g.Client.Address != "10.1.2.9:2379" {
		t.Fatalf("global scope: %+v", g)
	}
	l := c.Scopes[datastore.LocalScope]
	if l == nil || l.Client.Address != filepath.Join("/tmp/cnm-data", datastore.DefaultLocalFile) {
		t.Fatalf("local scope not derived from the data dir: %+v", l)
	}
}

func TestParseConfigBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.toml")
	tests := []struct {
		name, path, want string
	}{
		{"missing file", missing, missing},
		{"bad TOML", writeFile(t, "bad.toml", "[daemon\n"), "invalid TOML"},
		{"unknown key", writeFile(t, "typo.toml", "[daemon]\n  DataDri = \"/x\"\n"), "daemon.DataDri"},
		{"old datastore table", writeFile(t, "old.toml", "[datastore.client]\n  provider = \"consul\"\n"), "datastore.client.provider"},
		{"wrong type", writeFile(t, "type.toml", "[daemon]\n  debug = \"yes\"\n"), "invalid TOML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig(tt.path)
			if !types.IsBadRequest(err) || !strings.Contains(err.Error(), tt.want) || c != nil {
				t.Fatalf("got %v, %v; want a BadRequest naming %q", c, err, tt.want)
			}
		})
	}
}

func TestParseConfigOptions(t *testing.T) {
	c := ParseConfigOptions(OptionDataDir("/d"), OptionLabels([]string{"a=b", "com.docker.network.driver.bridge.mtu=1400", "c"}),
		OptionDiscoveryAddress(" 10.0.0.1 "))
	if c.Scopes[datastore.LocalScope].Client.Address != filepath.Join("/d", datastore.DefaultLocalFile) {
		t.Fatalf("local scope: %+v", c.Scopes[datastore.LocalScope])
	}
	if strings.Join(c.Daemon.Labels, " ") != "a=b com.docker.network.driver.bridge.mtu=1400 c" {
		t.Fatalf("OptionLabels must keep every label, got %v", c.Daemon.Labels)
	}
	if c.Cluster.Address != "10.0.0.1" {
		t.Fatalf("discovery address %q", c.Cluster.Address)
	}
	// LoadDefaultScopes keeps a configured scope.
	c.Scopes[datastore.LocalScope].Client.Address = "/elsewhere"
	c.LoadDefaultScopes("/other")
	if c.Scopes[datastore.LocalScope].Client.Address != "/elsewhere" {
		t.Fatal("LoadDefaultScopes replaced a configured scope")
	}
}

func TestIsValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"net1": true, "Net.1_x-y": true, "0": true, strings.Repeat("a", MaxNameLen): true,
		strings.Repeat("a", MaxNameLen+1): false, "a b": false, "a/b": false, "-a": false, ".a": false,
		"": false, "  ": false, "\t\n": false, "é": false,
	} {
		if got := IsValidName(name); got != want {
			t.Errorf("IsValidName(%q) = %v, want %v", name, got, want)
		}
	}
}
