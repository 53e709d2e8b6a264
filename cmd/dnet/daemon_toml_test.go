package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/api/server"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

// A config file of libnetwork's dnet (TOML, -c) sets dnet's paths and
// debug level and hands the rest to the controller; flags still win.
func TestTOMLConfigFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "libnetwork.toml")
	if err := os.WriteFile(file, []byte(`title = "LibNetwork Configuration file"

[daemon]
  debug = true
  DataDir = "/from/toml"
  DefaultNetwork = "mynet"
  Labels = ["com.docker.network.driver.bridge.x=1", "owner=me"]

[cluster]
  Address = "10.1.2.3"
  Discovery = "nodes://10.1.2.4:7947"

[scopes.global.client]
  provider = "etcd"
  address = "10.1.2.9:2379"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseDaemon(t, "-c", file, "--exec-root", "/run/flag")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/from/toml" || cfg.ExecRoot != "/run/flag" || cfg.LogLevel != "debug" {
		t.Fatalf("dnet settings from the TOML file: %+v", cfg)
	}
	st, err := server.OpenState(filepath.Join(t.TempDir(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := config.New(controllerOptions(cfg, st)...)
	if c.Daemon.DefaultNetwork != "mynet" || len(c.Daemon.Labels) != 2 {
		t.Fatalf("daemon section not handed over: %+v", c.Daemon)
	}
	if c.Cluster.Address != "10.1.2.3" || c.Cluster.Discovery != "nodes://10.1.2.4:7947" {
		t.Fatalf("cluster section not handed over: %+v", c.Cluster)
	}
	g := c.Scopes[datastore.GlobalScope]
	if g == nil || g.Client.Provider != "etcd" || g.Client.Address != "10.1.2.9:2379" {
		t.Fatalf("global scope not handed over: %+v", g)
	}
	if l := c.Scopes[datastore.LocalScope]; l == nil || !strings.HasPrefix(l.Client.Address, "/from/toml/") {
		t.Fatalf("local scope not under the data dir: %+v", l)
	}

	bad := filepath.Join(t.TempDir(), "bad.toml")
	if err := os.WriteFile(bad, []byte("[daemon]\n  DataDri = \"/x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := parseDaemon(t, "-c", bad); !types.IsBadRequest(err) || !strings.Contains(err.Error(), "DataDri") {
		t.Fatalf("a TOML file with a typo: %v", err)
	}
}
