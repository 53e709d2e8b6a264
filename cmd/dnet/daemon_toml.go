package main

import (
	"reflect"
	"strings"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
)

// loadConfig reads the config file at path onto cfg, in dnet's JSON or,
// for a .toml file, in the seed dnet's TOML.
func loadConfig(path string, cfg *daemonConfig) error {
	if isTOMLConfig(path) {
		return loadTOMLConfig(path, cfg)
	}
	return loadConfigFile(path, cfg)
}

// isTOMLConfig reports whether path names a config file of the seed's dnet
// (TOML, read by config.ParseConfig) rather than dnet's own JSON.
func isTOMLConfig(path string) bool { return strings.HasSuffix(path, ".toml") }

// loadTOMLConfig reads a config file of the seed's dnet onto cfg: the data
// dir, exec root and debug flag become dnet's own settings; the rest (labels,
// default network and driver, driver config, address pools, scopes, cluster)
// is handed to the controller as it is.
func loadTOMLConfig(path string, cfg *daemonConfig) error {
	c, err := config.ParseConfig(path)
	if err != nil {
		return err
	}
	cfg.DataDir, cfg.ExecRoot = c.Daemon.DataDir, c.Daemon.ExecRoot
	if c.Daemon.Debug {
		cfg.LogLevel = "debug"
	}
	cfg.seed = c
	return nil
}

// seedOptions returns the controller options a TOML config file gave.
func seedOptions(cfg daemonConfig) []config.Option {
	s := cfg.seed
	if s == nil {
		return nil
	}
	opts := []config.Option{func(c *config.Config) {
		d := s.Daemon
		c.Daemon.Labels = append(c.Daemon.Labels, d.Labels...)
		c.Daemon.DefaultNetwork, c.Daemon.DefaultDriver = d.DefaultNetwork, d.DefaultDriver
		for k, v := range d.DriverCfg {
			if _, ok := c.Daemon.DriverCfg[k]; !ok {
				c.Daemon.DriverCfg[k] = v
			}
		}
		if len(d.DefaultAddressPools) > 0 {
			c.Daemon.DefaultAddressPools = d.DefaultAddressPools
		}
		if len(d.GlobalAddressPools) > 0 {
			c.Daemon.GlobalAddressPools = d.GlobalAddressPools
		}
		for scope, sc := range s.Scopes {
			if scope == datastore.LocalScope {
				continue // derived from the data dir, as dnet's own
			}
			c.Scopes[scope] = sc
		}
	}}
	if !cfg.Cluster.enabled() && !reflect.DeepEqual(s.Cluster, config.ClusterCfg{}) {
		opts = append(opts, config.OptionCluster(s.Cluster))
	}
	return opts
}
