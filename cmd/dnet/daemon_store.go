package main

import (
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/config"
)

// clusterStorePrefix is the scheme of --cluster-store: etcd is the one
// cluster store (libkv provider "etcd", the etcd v3 API).
const clusterStorePrefix = "etcd://"

// storeFlags binds --cluster-store and --cluster-store-opt (Docker's names).
type storeFlags struct {
	url  string
	opts listFlag
}

func (f *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "cluster-store", "", "")
	fs.Var(&f.opts, "cluster-store-opt", "")
}

// apply copies the store flags given on the command line over cfg.
func (f *storeFlags) apply(name string, cfg *daemonConfig) bool {
	switch name {
	case "cluster-store":
		cfg.ClusterStore = f.url
	case "cluster-store-opt":
		cfg.ClusterStoreOpts = map[string]string{}
		for _, o := range f.opts {
			for _, kv := range strings.Split(o, ",") {
				k, v, _ := strings.Cut(kv, "=")
				cfg.ClusterStoreOpts[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	default:
		return false
	}
	return true
}

// storeAddrs checks a --cluster-store URL, etcd://HOST:PORT[,HOST:PORT…],
// and returns its addresses.
func storeAddrs(u string) (string, error) {
	if !strings.HasPrefix(u, clusterStorePrefix) {
		return "", fmt.Errorf("--cluster-store %q: want %sHOST:PORT[,HOST:PORT...]", u, clusterStorePrefix)
	}
	rest := strings.TrimPrefix(u, clusterStorePrefix)
	var out []string
	for _, a := range strings.Split(rest, ",") {
		a = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(a), clusterStorePrefix))
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" {
			return "", fmt.Errorf("--cluster-store %q: address %q: want HOST:PORT", u, a)
		}
		if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
			return "", fmt.Errorf("--cluster-store %q: address %q: invalid port %q", u, a, port)
		}
		out = append(out, a)
	}
	return strings.Join(out, ","), nil
}

// checkStore validates the cluster store's URL and options.
func (cfg *daemonConfig) checkStore() error {
	if cfg.ClusterStore == "" {
		if len(cfg.ClusterStoreOpts) > 0 {
			return fmt.Errorf("--cluster-store-opt given without --cluster-store")
		}
		return nil
	}
	if _, err := storeAddrs(cfg.ClusterStore); err != nil {
		return err
	}
	for k := range cfg.ClusterStoreOpts {
		switch k {
		case config.KVCACertFile, config.KVCertFile, config.KVKeyFile:
		default:
			return fmt.Errorf("--cluster-store-opt %q: unknown option (want %s, %s or %s)", k, config.KVCACertFile, config.KVCertFile, config.KVKeyFile)
		}
	}
	return nil
}

// storeOptions returns the controller options of the cluster store (none
// without one): networks of the overlay driver, their endpoints and the
// GlobalDefault addresses then live in etcd, shared by every daemon on it.
func storeOptions(cfg daemonConfig) []config.Option {
	if cfg.ClusterStore == "" {
		return nil
	}
	addrs, _ := storeAddrs(cfg.ClusterStore) // checked by finish
	return []config.Option{
		config.OptionKVProvider("etcd"),
		config.OptionKVProviderURL(addrs),
		config.OptionKVOpts(cfg.ClusterStoreOpts),
	}
}
