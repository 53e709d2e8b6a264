package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/config"
)

// parseDaemon parses daemon args (and the config file they name) into a
// finished configuration.
func parseDaemon(t *testing.T, args ...string) (daemonConfig, error) {
	t.Helper()
	fs := newFlagSet("daemon", daemonUsage)
	var df daemonFlags
	df.register(fs.FlagSet)
	var out, errOut bytes.Buffer
	if _, _, done := parseFlags(fs, args, &out, &errOut, false); done {
		t.Fatalf("parse %q: %s", args, errOut.String())
	}
	cfg := defaultDaemonConfig()
	if df.configFile != "" {
		if err := loadConfig(df.configFile, &cfg); err != nil {
			return cfg, err
		}
	}
	df.apply(fs.FlagSet, &cfg)
	return cfg, cfg.finish()
}

func TestClusterFlags(t *testing.T) {
	key16 := bytes.Repeat([]byte{7}, 16)
	key32 := bytes.Repeat([]byte{9}, 32)
	cfg, err := parseDaemon(t, "--node-name", "h1", "--bind-addr", "192.168.50.1", "--advertise-addr", "192.168.50.1",
		"--gossip-port", "7950", "--join", "192.168.50.2", "--join", "192.168.50.3:7950",
		"--gossip-key", hex.EncodeToString(key16), "--gossip-key", base64.StdEncoding.EncodeToString(key32))
	if err != nil {
		t.Fatal(err)
	}
	want := clusterConfig{NodeName: "h1", BindAddr: "192.168.50.1", AdvertiseAddr: "192.168.50.1", GossipPort: 7950,
		Join:       []string{"192.168.50.2", "192.168.50.3:7950"},
		GossipKeys: []string{hex.EncodeToString(key16), base64.StdEncoding.EncodeToString(key32)}}
	if !reflect.DeepEqual(cfg.Cluster, want) {
		t.Fatalf("cluster %+v\nwant    %+v", cfg.Cluster, want)
	}
	c := config.New(clusterOptions(cfg)...)
	cl := c.Cluster
	if cl.NodeName != "h1" || cl.BindPort != 7950 || len(cl.Peers) != 2 || !bytes.Equal(cl.Keys[0], key16) || !bytes.Equal(cl.Keys[1], key32) {
		t.Fatalf("controller cluster config %+v", cl)
	}

	// No cluster flag: no agent; the default port alone does not start one.
	cfg, err = parseDaemon(t)
	if err != nil || cfg.Cluster.enabled() || clusterEnabled(config.New(clusterOptions(cfg)...)) {
		t.Fatalf("no cluster flags: %+v %v", cfg.Cluster, err)
	}
	// One flag starts it, with the default port.
	cfg, err = parseDaemon(t, "--join", "192.168.50.2")
	if err != nil || config.New(clusterOptions(cfg)...).Cluster.BindPort != defaultGossipPort {
		t.Fatalf("join only: %+v %v", cfg.Cluster, err)
	}
}

func clusterEnabled(c *config.Config) bool {
	cl := c.Cluster
	return cl.NodeName != "" || cl.BindAddr != "" || cl.BindPort != 0 || len(cl.Peers) > 0 || len(cl.Keys) > 0
}

func TestClusterConfigFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "dnet.json")
	body := `{"cluster":{"node_name":"f1","bind_addr":"10.0.0.1","gossip_port":7000,"join":["10.0.0.2"],"gossip_keys":["` +
		strings.Repeat("ab", 24) + `"]}}`
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseDaemon(t, "--config", file, "--node-name", "flag1")
	if err != nil {
		t.Fatal(err)
	}
	want := clusterConfig{NodeName: "flag1", BindAddr: "10.0.0.1", GossipPort: 7000, Join: []string{"10.0.0.2"},
		GossipKeys: []string{strings.Repeat("ab", 24)}}
	if !reflect.DeepEqual(cfg.Cluster, want) {
		t.Fatalf("cluster %+v\nwant    %+v", cfg.Cluster, want)
	}
	// --join on the command line replaces the file's list.
	cfg, err = parseDaemon(t, "--config", file, "--join", "10.0.0.3", "--join", "10.0.0.4")
	if err != nil || !reflect.DeepEqual(cfg.Cluster.Join, []string{"10.0.0.3", "10.0.0.4"}) {
		t.Fatalf("join override: %+v %v", cfg.Cluster.Join, err)
	}
}

func TestClusterBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // in the error
	}{
		{[]string{"--bind-addr", "nope"}, `"nope"`},
		{[]string{"--advertise-addr", "0.0.0.0"}, `"0.0.0.0"`},
		{[]string{"--advertise-addr", "h"}, `"h"`},
		{[]string{"--gossip-port", "70000"}, "70000"},
		{[]string{"--gossip-port", "-1"}, "-1"},
		{[]string{"--join", "10.0.0.1:x"}, `"10.0.0.1:x"`},
		{[]string{"--join", "10.0.0.1:0"}, `"10.0.0.1:0"`},
		{[]string{"--join", ":7946"}, `":7946"`},
		{[]string{"--join", "a b"}, `"a b"`},
		{[]string{"--node-name", "a b"}, `"a b"`},
		{[]string{"--gossip-key", "zz!"}, "#1: not hex or base64"},
		{[]string{"--gossip-key", strings.Repeat("ab", 16), "--gossip-key", strings.Repeat("ab", 10)}, "#2: 10 bytes, want 16, 24 or 32"},
		{[]string{"--gossip-key", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 33))}, "#1: 33 bytes"},
		{[]string{"--gossip-key", ""}, "#1: empty key"},
	} {
		_, err := parseDaemon(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error with %s", c.args, err, c.want)
		}
	}
	// A key's value is a secret: errors name it by position only.
	secret := strings.Repeat("cd", 10)
	if _, err := parseDaemon(t, "--gossip-key", secret); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("bad key error %v shows the key", err)
	}
}
