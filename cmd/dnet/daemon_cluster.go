package main

import (
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/config"
)

// defaultGossipPort is the gossip port when none is given (networkdb's).
const defaultGossipPort = 7947

// clusterConfig is the daemon's multi-host configuration (config file key
// "cluster"). Any field set makes the controller run its gossip agent.
type clusterConfig struct {
	NodeName      string   `json:"node_name"`
	BindAddr      string   `json:"bind_addr"`
	AdvertiseAddr string   `json:"advertise_addr"`
	GossipPort    int      `json:"gossip_port"`
	Join          []string `json:"join"`
	GossipKeys    []string `json:"gossip_keys"`
}

// enabled reports whether the configuration asks for a cluster.
func (c *clusterConfig) enabled() bool {
	return c.NodeName != "" || c.BindAddr != "" || c.AdvertiseAddr != "" || c.GossipPort != 0 ||
		len(c.Join) > 0 || len(c.GossipKeys) > 0
}

// clusterFlags binds the cluster flags of the daemon.
type clusterFlags struct {
	cfg  clusterConfig
	join listFlag
	keys listFlag
}

func (f *clusterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.cfg.NodeName, "node-name", "", "")
	fs.StringVar(&f.cfg.BindAddr, "bind-addr", "", "")
	fs.StringVar(&f.cfg.AdvertiseAddr, "advertise-addr", "", "")
	fs.IntVar(&f.cfg.GossipPort, "gossip-port", defaultGossipPort, "")
	fs.Var(&f.join, "join", "")
	fs.Var(&f.keys, "gossip-key", "")
}

// apply copies the cluster flags given on the command line over cfg.
func (f *clusterFlags) apply(name string, cfg *clusterConfig) {
	switch name {
	case "node-name":
		cfg.NodeName = f.cfg.NodeName
	case "bind-addr":
		cfg.BindAddr = f.cfg.BindAddr
	case "advertise-addr":
		cfg.AdvertiseAddr = f.cfg.AdvertiseAddr
	case "gossip-port":
		cfg.GossipPort = f.cfg.GossipPort
	case "join":
		cfg.Join = append([]string(nil), f.join...)
	case "gossip-key":
		cfg.GossipKeys = append([]string(nil), f.keys...)
	}
}

// check validates the cluster configuration: addresses, port, peers and
// keys (each named by its value, keys by position: they are secrets).
func (c *clusterConfig) check() error {
	if !c.enabled() {
		return nil
	}
	if strings.ContainsFunc(c.NodeName, func(r rune) bool { return r <= ' ' || r == 0x7f }) || len(c.NodeName) > 255 {
		return fmt.Errorf("--node-name %q: at most 255 characters, no blanks or control characters", c.NodeName)
	}
	if c.BindAddr != "" && net.ParseIP(c.BindAddr) == nil {
		return fmt.Errorf("--bind-addr %q: not an IP address", c.BindAddr)
	}
	if c.AdvertiseAddr != "" {
		if ip := net.ParseIP(c.AdvertiseAddr); ip == nil || ip.IsUnspecified() {
			return fmt.Errorf("--advertise-addr %q: not a specific IP address", c.AdvertiseAddr)
		}
	}
	if c.GossipPort < 0 || c.GossipPort > 65535 {
		return fmt.Errorf("--gossip-port %d: want 1-65535", c.GossipPort)
	}
	for _, p := range c.Join {
		if err := checkPeer(p); err != nil {
			return err
		}
	}
	_, err := c.keys()
	return err
}

// checkPeer checks a peer to join: "host" or "host:port".
func checkPeer(p string) error {
	if p == "" || strings.ContainsAny(p, " \t\n,") {
		return fmt.Errorf("--join %q: want HOST or HOST:PORT", p)
	}
	host, port, err := net.SplitHostPort(p)
	if err != nil {
		if strings.Count(p, ":") == 1 {
			return fmt.Errorf("--join %q: want HOST or HOST:PORT", p)
		}
		return nil // a host, or an IPv6 address without a port
	}
	if host == "" {
		return fmt.Errorf("--join %q: empty host", p)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("--join %q: invalid port %q", p, port)
	}
	return nil
}

// keys decodes the gossip keys: hex or base64, 16, 24 or 32 bytes each.
func (c *clusterConfig) keys() ([][]byte, error) {
	var out [][]byte
	for i, s := range c.GossipKeys {
		k, err := decodeKey(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("--gossip-key #%d: %w", i+1, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// decodeKey reads a key in hex or in base64 (standard or URL alphabet,
// padded or not); it must be 16, 24 or 32 bytes long. A string that reads
// both ways is taken in the first encoding that gives a valid length, hex
// first.
func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("empty key")
	}
	var decoded [][]byte
	if b, err := hex.DecodeString(s); err == nil {
		decoded = append(decoded, b)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			decoded = append(decoded, b)
		}
	}
	if len(decoded) == 0 {
		return nil, fmt.Errorf("not hex or base64")
	}
	for _, k := range decoded {
		switch len(k) {
		case 16, 24, 32:
			return k, nil
		}
	}
	return nil, fmt.Errorf("%d bytes, want 16, 24 or 32", len(decoded[0]))
}

// clusterOptions returns the controller option of the cluster (none
// without one). The overlay driver pins its namespaces under
// <exec root>/overlay: daemons with different exec roots never share them.
func clusterOptions(cfg daemonConfig) []config.Option {
	cl := cfg.Cluster
	if !cl.enabled() {
		return nil
	}
	keys, _ := cl.keys() // checked by finish
	port := cl.GossipPort
	if port == 0 {
		port = defaultGossipPort
	}
	return []config.Option{config.OptionCluster(config.ClusterCfg{
		NodeName:      cl.NodeName,
		BindAddr:      cl.BindAddr,
		AdvertiseAddr: cl.AdvertiseAddr,
		BindPort:      port,
		Peers:         append([]string(nil), cl.Join...),
		Keys:          keys,
	})}
}
