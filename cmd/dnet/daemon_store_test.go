package main

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// TestClusterStoreFlags: --cluster-store and --cluster-store-opt parse to
// the etcd addresses and TLS options; bad values are refused naming them.
func TestClusterStoreFlags(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		addrs     string
		opts      int
		wantError string
	}{
		{args: nil},
		{args: []string{"--cluster-store", "etcd://h1:2379"}, addrs: "h1:2379"},
		{args: []string{"--cluster-store", "etcd://h1:2379,h2:2380"}, addrs: "h1:2379,h2:2380"},
		{args: []string{"--cluster-store", "etcd://10.0.0.1:2379", "--cluster-store-opt", "kv.cacertfile=/a,kv.certfile=/b", "--cluster-store-opt", "kv.keyfile=/c"}, addrs: "10.0.0.1:2379", opts: 3},
		{args: []string{"--cluster-store", "consul://h1:8500"}, wantError: `"consul://h1:8500"`},
		{args: []string{"--cluster-store", "etcd://"}, wantError: `address ""`},
		{args: []string{"--cluster-store", "etcd://h1"}, wantError: `address "h1"`},
		{args: []string{"--cluster-store", "etcd://h1:99999"}, wantError: `port "99999"`},
		{args: []string{"--cluster-store", "etcd://h1:2379", "--cluster-store-opt", "kv.path=/x"}, wantError: `"kv.path"`},
		{args: []string{"--cluster-store-opt", "kv.cacertfile=/a"}, wantError: "without --cluster-store"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("daemon", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			var df daemonFlags
			df.register(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			cfg := defaultDaemonConfig()
			df.apply(fs, &cfg)
			cfg.DataDir, cfg.ExecRoot = t.TempDir(), t.TempDir()
			err := cfg.finish()
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("error %v, want one naming %s", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(storeOptions(cfg)); (tc.addrs == "") != (got == 0) {
				t.Fatalf("%d store options", got)
			}
			if tc.addrs != "" {
				if a, _ := storeAddrs(cfg.ClusterStore); a != tc.addrs {
					t.Fatalf("addresses %q, want %q", a, tc.addrs)
				}
			}
			if len(cfg.ClusterStoreOpts) != tc.opts {
				t.Fatalf("options %v, want %d", cfg.ClusterStoreOpts, tc.opts)
			}
		})
	}
}
