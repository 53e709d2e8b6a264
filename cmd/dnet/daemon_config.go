package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/cnmkit/libnetwork/firewall"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/cnmkit/libnetwork/config"
	"github.com/sirupsen/logrus"
)

// daemonConfig is the daemon's configuration: defaults, then the config
// file, then the flags given.
type daemonConfig struct {
	DataDir       string        `json:"data_dir"`
	ExecRoot      string        `json:"exec_root"`
	Socket        string        `json:"socket"`
	TCP           string        `json:"tcp"`
	DefaultBridge bool          `json:"default_bridge"`
	LogLevel      string        `json:"log_level"`
	ResolvConf    string        `json:"resolv_conf"`
	Bridge        bridgeConfig  `json:"bridge"`
	Cluster       clusterConfig `json:"cluster"`
	// ClusterStore is the cluster store, etcd://HOST:PORT[,HOST:PORT...];
	// ClusterStoreOpts its TLS files (kv.cacertfile, kv.certfile, kv.keyfile).
	ClusterStore     string            `json:"cluster_store"`
	ClusterStoreOpts map[string]string `json:"cluster_store_opts"`
	// PluginSockDirs and PluginSpecDirs are searched for network and IPAM
	// plugins (default: Docker's plugin dirs).
	PluginSockDirs []string `json:"plugin_sock_dirs"`
	PluginSpecDirs []string `json:"plugin_spec_dirs"`

	seed *config.Config // a TOML config file of the seed's dnet, if given
}

// bridgeConfig configures the bridge driver.
type bridgeConfig struct {
	IPTables          bool   `json:"iptables"`
	IPForward         bool   `json:"ip_forward"`
	UserlandProxy     bool   `json:"userland_proxy"`
	UserlandProxyPath string `json:"userland_proxy_path"`
	// FirewallBackend is "nftables", "iptables" or "" (nf_tables where
	// the kernel has it).
	FirewallBackend string `json:"firewall_backend"`
}

func defaultDaemonConfig() daemonConfig {
	return daemonConfig{
		DataDir:  config.DefaultDataDir,
		ExecRoot: config.DefaultExecRoot,
		LogLevel: "info",
		Bridge:   bridgeConfig{IPTables: true, IPForward: true},
	}
}

// loadConfigFile reads a JSON config file strictly onto cfg.
func loadConfigFile(path string, cfg *daemonConfig) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if dec.More() {
		return fmt.Errorf("config file %s: unexpected data after the object", path)
	}
	return nil
}

// onOff is a flag that reads on/off (or a boolean).
type onOff bool

func (o *onOff) String() string {
	if *o {
		return "on"
	}
	return "off"
}

func (o *onOff) Set(v string) error {
	switch v {
	case "on":
		*o = true
		return nil
	case "off":
		*o = false
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("want on or off, got %q", v)
	}
	*o = onOff(b)
	return nil
}

// daemonFlags binds the daemon's flags; apply copies those given on the
// command line over cfg.
type daemonFlags struct {
	configFile string
	cfg        daemonConfig
	defBridge  onOff
	cluster    clusterFlags
	store      storeFlags
	sockDirs   listFlag
	specDirs   listFlag
}

func (f *daemonFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.configFile, "config", "", "")
	fs.StringVar(&f.configFile, "c", "", "")
	fs.StringVar(&f.cfg.DataDir, "data-dir", "", "")
	fs.StringVar(&f.cfg.ExecRoot, "exec-root", "", "")
	fs.StringVar(&f.cfg.Socket, "socket", "", "")
	fs.StringVar(&f.cfg.TCP, "tcp", "", "")
	fs.Var(&f.defBridge, "default-bridge", "")
	fs.StringVar(&f.cfg.LogLevel, "log-level", "", "")
	fs.StringVar(&f.cfg.ResolvConf, "resolv-conf", "", "")
	fs.BoolVar(&f.cfg.Bridge.IPTables, "iptables", true, "")
	fs.BoolVar(&f.cfg.Bridge.IPForward, "ip-forward", true, "")
	fs.BoolVar(&f.cfg.Bridge.UserlandProxy, "userland-proxy", false, "")
	fs.StringVar(&f.cfg.Bridge.UserlandProxyPath, "userland-proxy-path", "", "")
	fs.StringVar(&f.cfg.Bridge.FirewallBackend, "firewall-backend", "", "")
	fs.Var(&f.sockDirs, "plugin-sock-dir", "")
	fs.Var(&f.specDirs, "plugin-spec-dir", "")
	f.cluster.register(fs)
	f.store.register(fs)
}

func (f *daemonFlags) apply(fs *flag.FlagSet, cfg *daemonConfig) {
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "data-dir":
			cfg.DataDir = f.cfg.DataDir
		case "exec-root":
			cfg.ExecRoot = f.cfg.ExecRoot
		case "socket":
			cfg.Socket = f.cfg.Socket
		case "tcp":
			cfg.TCP = f.cfg.TCP
		case "default-bridge":
			cfg.DefaultBridge = bool(f.defBridge)
		case "log-level":
			cfg.LogLevel = f.cfg.LogLevel
		case "resolv-conf":
			cfg.ResolvConf = f.cfg.ResolvConf
		case "iptables":
			cfg.Bridge.IPTables = f.cfg.Bridge.IPTables
		case "ip-forward":
			cfg.Bridge.IPForward = f.cfg.Bridge.IPForward
		case "userland-proxy":
			cfg.Bridge.UserlandProxy = f.cfg.Bridge.UserlandProxy
		case "userland-proxy-path":
			cfg.Bridge.UserlandProxyPath = f.cfg.Bridge.UserlandProxyPath
		case "firewall-backend":
			cfg.Bridge.FirewallBackend = f.cfg.Bridge.FirewallBackend
		case "plugin-sock-dir":
			cfg.PluginSockDirs = append([]string{}, f.sockDirs...)
		case "plugin-spec-dir":
			cfg.PluginSpecDirs = append([]string{}, f.specDirs...)
		default:
			if !f.store.apply(fl.Name, cfg) {
				f.cluster.apply(fl.Name, &cfg.Cluster)
			}
		}
	})
}

// finish checks cfg and fills in what derives from it (absolute paths,
// the default socket).
func (cfg *daemonConfig) finish() error {
	if cfg.DataDir == "" || cfg.ExecRoot == "" {
		return fmt.Errorf("data dir %q and exec root %q must not be empty", cfg.DataDir, cfg.ExecRoot)
	}
	if err := firewall.ValidName(cfg.Bridge.FirewallBackend); err != nil {
		return err
	}
	var err error
	if cfg.DataDir, err = filepath.Abs(cfg.DataDir); err != nil {
		return err
	}
	if cfg.ExecRoot, err = filepath.Abs(cfg.ExecRoot); err != nil {
		return err
	}
	if cfg.Socket == "" {
		cfg.Socket = filepath.Join(cfg.ExecRoot, "dnet.sock")
	}
	if cfg.Socket, err = filepath.Abs(cfg.Socket); err != nil {
		return err
	}
	if _, err := logrus.ParseLevel(cfg.LogLevel); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	if cfg.Bridge.UserlandProxy && cfg.Bridge.UserlandProxyPath == "" {
		if cfg.Bridge.UserlandProxyPath, err = findProxy(); err != nil {
			return err
		}
	}
	if cfg.TCP != "" {
		if err := checkLoopback(cfg.TCP); err != nil {
			return err
		}
	}
	if err := cfg.checkStore(); err != nil {
		return err
	}
	return cfg.Cluster.check()
}

// checkLoopback refuses a TCP listen address that is not on loopback:
// the API has no authentication.
func checkLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--tcp %q: want HOST:PORT on loopback: %w", addr, err)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("--tcp %q: invalid port %q", addr, port)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--tcp %q: refusing a non-loopback address (the API has no authentication); use 127.0.0.1 or ::1", addr)
	}
	return nil
}
