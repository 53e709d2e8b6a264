package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/api/server"
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/drivers/bridge"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/options"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

const daemonUsage = `Usage: dnet daemon [OPTIONS]

Run a libnetwork controller on its embedded store and serve its HTTP API
(/v1/...) until SIGINT or SIGTERM.

Options:
      --config FILE          JSON config file (keys: data_dir, exec_root, socket,
                             tcp, default_bridge, log_level, resolv_conf,
                             bridge: {iptables, ip_forward, userland_proxy,
                             userland_proxy_path, firewall_backend}, cluster: {node_name,
                             bind_addr, advertise_addr, gossip_port, join,
                             gossip_keys}, cluster_store, cluster_store_opts,
                             plugin_sock_dirs, plugin_spec_dirs);
                             flags override it. A FILE.toml is
                             the config file of libnetwork's dnet
                             (config.ParseConfig: [daemon], [cluster], [scopes])
  -c FILE                    the same as --config
      --data-dir DIR         persistent state (default /var/lib/cnmkit)
      --exec-root DIR        run-time state: namespaces, socket (default /run/cnmkit)
      --socket PATH          API unix socket (default EXEC_ROOT/dnet.sock)
      --tcp HOST:PORT        also serve the API on TCP; loopback addresses only
      --default-bridge on|off
                             create the default bridge network (default off)
      --log-level LEVEL      debug, info, warn or error (default info)
      --resolv-conf FILE     host resolv.conf that sandboxes' files start from
                             (default /etc/resolv.conf)
      --iptables             bridge: program the firewall (default true)
      --firewall-backend nftables|iptables
                             bridge: how (default nftables where the kernel
                             has nf_tables, iptables otherwise)
      --ip-forward           bridge: enable IP forwarding (default true)
      --userland-proxy       bridge: serve published ports with a proxy process
      --userland-proxy-path PATH
                             bridge: the proxy binary
      --plugin-sock-dir DIR  look for network and IPAM plugins' NAME.sock here
                             (repeatable; default /run/docker/plugins)
      --plugin-spec-dir DIR  look for plugins' NAME.spec and NAME.json here
                             (repeatable; default /etc/docker/plugins and
                             /usr/lib/docker/plugins)

Cluster (multi-host networks; any of these runs the gossip agent):
      --node-name NAME       this host's unique name (default: the host name)
      --bind-addr IP         gossip listen address (default: all)
      --advertise-addr IP    address announced to the other hosts and used as
                             the VXLAN tunnel endpoint (default: the bind address)
      --gossip-port PORT     gossip TCP and UDP port (default 7947)
      --join HOST[:PORT]     a peer to join (repeatable); retried while alone
      --gossip-key KEY       gossip encryption key, hex or base64 of 16, 24 or
                             32 bytes (repeatable; the first one encrypts)
      --cluster-store etcd://HOST:PORT[,HOST:PORT...]
                             keep overlay networks, their endpoints and
                             addresses in this etcd, shared by every host on
                             it: a network created on one host appears on all,
                             its VXLAN ID and addresses unique in the cluster
      --cluster-store-opt KEY=VALUE[,KEY=VALUE...]
                             kv.cacertfile, kv.certfile, kv.keyfile: TLS to
                             the cluster store (all three; repeatable)
`

func cmdDaemon(e *env, args []string) int {
	fs := newFlagSet("daemon", daemonUsage)
	var df daemonFlags
	df.register(fs.FlagSet)
	pos, code, done := parseFlags(fs, args, e.stdout, e.stderr, false)
	if done {
		return code
	}
	if len(pos) != 0 {
		return e.usageError("daemon", "unexpected arguments %q", pos)
	}
	cfg := defaultDaemonConfig()
	if df.configFile != "" {
		if err := loadConfig(df.configFile, &cfg); err != nil {
			return e.usageError("daemon", "%v", err)
		}
	}
	df.apply(fs.FlagSet, &cfg)
	if err := cfg.finish(); err != nil {
		return e.usageError("daemon", "%v", err)
	}
	logrus.SetOutput(e.stderr)
	lvl, _ := logrus.ParseLevel(cfg.LogLevel)
	logrus.SetLevel(lvl)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	d, err := startDaemon(cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "dnet daemon: %v\n", err)
		return exitError
	}
	logrus.WithFields(logrus.Fields{"socket": cfg.Socket, "tcp": cfg.TCP, "data-dir": cfg.DataDir, "exec-root": cfg.ExecRoot}).Info("dnet daemon serving")
	var serveErr error
	select {
	case <-ctx.Done():
		logrus.Info("dnet daemon: signal received, stopping")
	case serveErr = <-d.errc:
	}
	d.stop()
	if serveErr != nil {
		fmt.Fprintf(e.stderr, "dnet daemon: %v\n", serveErr)
		return exitError
	}
	return exitOK
}

// daemon is a running controller and its API listeners.
type daemon struct {
	cfg   daemonConfig
	lock  *os.File
	ctrl  libnetwork.NetworkController
	srv   *http.Server
	lns   []net.Listener
	errc  chan error
	token os.FileInfo // the socket we created
}

// startDaemon takes the exec root, starts the controller and serves the API.
func startDaemon(cfg daemonConfig) (_ *daemon, err error) {
	d := &daemon{cfg: cfg, errc: make(chan error, 2)}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if err := os.MkdirAll(cfg.ExecRoot, 0o755); err != nil {
		return nil, fmt.Errorf("exec root: %w", err)
	}
	if d.lock, err = lockExecRoot(cfg.ExecRoot); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			d.shutdown()
		}
	}()
	st, err := server.OpenState(filepath.Join(cfg.DataDir, "dnet-state.json"))
	if err != nil {
		return nil, err
	}
	if d.ctrl, err = libnetwork.New(controllerOptions(cfg, st)...); err != nil {
		return nil, fmt.Errorf("start the controller: %w", err)
	}
	st.DropUnrecorded(d.ctrl)
	if err := st.Prune(d.ctrl); err != nil {
		logrus.WithError(err).Warn("prune daemon state")
	}
	ln, err := listenUnix(cfg.Socket)
	if err != nil {
		return nil, err
	}
	d.lns = append(d.lns, ln)
	d.token, _ = os.Lstat(cfg.Socket)
	if cfg.TCP != "" {
		tl, err := net.Listen("tcp", cfg.TCP)
		if err != nil {
			return nil, fmt.Errorf("listen on tcp %s: %w", cfg.TCP, err)
		}
		d.lns = append(d.lns, tl)
	}
	d.srv = &http.Server{Handler: server.New(d.ctrl, st), ReadHeaderTimeout: 10 * time.Second}
	for _, l := range d.lns {
		go func(l net.Listener) {
			if err := d.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.errc <- fmt.Errorf("serve %s: %w", l.Addr(), err)
			}
		}(l)
	}
	return d, nil
}

// controllerOptions is the controller's configuration.
func controllerOptions(cfg daemonConfig, st *server.State) []config.Option {
	opts := []config.Option{
		config.OptionDataDir(cfg.DataDir),
		config.OptionExecRoot(cfg.ExecRoot),
		config.OptionActiveSandboxes(st.ActiveSandboxes()),
		config.OptionCreateDefaultNetwork(cfg.DefaultBridge),
		config.OptionDriverConfig("bridge", map[string]interface{}{
			netlabel.GenericData: options.Generic{
				"EnableIPForwarding":  cfg.Bridge.IPForward,
				"EnableIPTables":      cfg.Bridge.IPTables,
				"EnableUserlandProxy": cfg.Bridge.UserlandProxy,
				"UserlandProxyPath":   cfg.Bridge.UserlandProxyPath,
				"FirewallBackend":     cfg.Bridge.FirewallBackend,
			},
			bridge.ExecRootKey: cfg.ExecRoot,
		}),
	}
	opts = append(opts, seedOptions(cfg)...)
	opts = append(opts, clusterOptions(cfg)...)
	opts = append(opts, storeOptions(cfg)...)
	if cfg.PluginSockDirs != nil || cfg.PluginSpecDirs != nil {
		opts = append(opts, config.OptionPluginDirs(cfg.PluginSockDirs, cfg.PluginSpecDirs))
	}
	if cfg.ResolvConf != "" {
		opts = append(opts, config.OptionHostResolvConf(cfg.ResolvConf))
	}
	if cfg.LogLevel == "debug" {
		opts = append(opts, config.OptionDebug(true))
	}
	return opts
}

// stop ends the API, stops the controller (its networks, endpoints and
// sandboxes stay for the next start) and removes the socket.
func (d *daemon) stop() {
	if d.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := d.srv.Shutdown(ctx); err != nil {
			logrus.WithError(err).Warn("stop the API server")
			_ = d.srv.Close()
		}
		cancel()
	}
	d.shutdown()
}

// shutdown releases what startDaemon took, in reverse order.
func (d *daemon) shutdown() {
	for _, l := range d.lns {
		_ = l.Close()
	}
	if d.token != nil {
		// Remove the socket only if it is still the one we made.
		if fi, err := os.Lstat(d.cfg.Socket); err == nil && os.SameFile(fi, d.token) {
			_ = os.Remove(d.cfg.Socket)
		}
		d.token = nil
	}
	if d.ctrl != nil {
		d.ctrl.Stop()
		d.ctrl = nil
	}
	if d.lock != nil {
		_ = os.Remove(d.lock.Name())
		_ = d.lock.Close()
		d.lock = nil
	}
}

// lockExecRoot takes <exec root>/dnet.lock: one daemon per exec root (a
// controller removes the namespaces under its exec root it does not know).
func lockExecRoot(execRoot string) (*os.File, error) {
	path := filepath.Join(execRoot, "dnet.lock")
	for attempt := 0; attempt < 5; attempt++ {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("exec root lock: %w", err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			pid := make([]byte, 32)
			n, _ := f.ReadAt(pid, 0)
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				who := "another dnet daemon"
				if p := strings.TrimSpace(string(pid[:n])); p != "" {
					who += " (pid " + p + ")"
				}
				return nil, fmt.Errorf("exec root %s is in use by %s: lock %s is held", execRoot, who, path)
			}
			return nil, fmt.Errorf("exec root lock %s: %w", path, err)
		}
		// The holder before us may have removed the file after we opened
		// it: the lock counts only if path is still our file.
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
			f.Close()
			continue
		}
		if err := f.Truncate(0); err == nil {
			_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		return f, nil
	}
	return nil, fmt.Errorf("exec root lock %s: the file keeps changing", path)
}

// listenUnix listens on a unix socket at path, replacing a stale socket
// but refusing one that a live daemon serves.
func listenUnix(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("socket dir: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("socket path %s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("socket %s is served by another daemon", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket %s: %w", path, err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	// The daemon removes the socket itself, only while it is still its own.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("socket %s: %w", path, err)
	}
	return ln, nil
}
