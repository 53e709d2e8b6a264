package libnetwork

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/networkdb"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
	"github.com/hashicorp/memberlist"
)

// clusterStoreFile is the file, in the data dir, of the store a clustered
// controller keeps its global-scope objects in when no global store is
// configured.
const clusterStoreFile = "global-kv.db"

// agentTestHook, when set, adjusts a new agent's networkdb configuration
// and may wrap its transport (tests: fast failure detection, cut links).
var agentTestHook func(node string, cfg *networkdb.Config, tr memberlist.NodeAwareTransport) memberlist.NodeAwareTransport

// rejoinTiming is how the agent retries joining its peers while it is
// alone in the cluster: after min, doubling up to max; check is how often
// it looks whether it is alone.
type rejoinTiming struct{ min, max, check time.Duration }

// agentRejoin is read once by each new agent (tests shorten it).
var agentRejoin = rejoinTiming{min: 500 * time.Millisecond, max: 10 * time.Second, check: 10 * time.Second}

// clusterEnabled reports whether cl asks for a gossip agent.
func clusterEnabled(cl *config.ClusterCfg) bool {
	return cl.NodeName != "" || cl.BindAddr != "" || cl.AdvertiseAddr != "" || cl.BindPort != 0 ||
		len(cl.Peers) > 0 || len(cl.Keys) > 0 || cl.Address != "" || cl.Discovery != ""
}

// prepareCluster checks the cluster configuration and fills its defaults
// (node name: the host name; bind address: all; port:
// networkdb.DefaultBindPort). A clustered controller without a global
// store keeps its global-scope objects in a store file of its own.
func prepareCluster(cfg *config.Config) error {
	cl := &cfg.Cluster
	if !clusterEnabled(cl) {
		return nil
	}
	if err := normalizeCluster(cl); err != nil {
		return err
	}
	if s := cfg.Scopes[datastore.GlobalScope]; !s.IsValid() {
		cfg.Scopes[datastore.GlobalScope] = &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{
			Provider: string(store.BOLTDB),
			Address:  filepath.Join(cfg.Daemon.DataDir, clusterStoreFile),
			Config: &store.Config{
				Bucket:            datastore.DefaultBucket,
				ConnectionTimeout: datastore.DefaultLockTimeout,
				PersistConnection: true,
			},
		}}
	}
	return nil
}

// normalizeCluster validates cl in place and fills its defaults.
func normalizeCluster(cl *config.ClusterCfg) error {
	cl.NodeName = strings.TrimSpace(cl.NodeName)
	if cl.NodeName == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			return types.BadRequestErrorf("cluster node name is empty and the host name is unknown: %v", err)
		}
		cl.NodeName = host
	}
	if len(cl.NodeName) > 255 || strings.IndexFunc(cl.NodeName, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return types.BadRequestErrorf("invalid cluster node name %q: at most 255 characters, no blanks or control characters", cl.NodeName)
	}
	cl.BindAddr = strings.TrimSpace(cl.BindAddr)
	if cl.BindAddr == "" {
		cl.BindAddr = "0.0.0.0"
	}
	if net.ParseIP(cl.BindAddr) == nil {
		return types.BadRequestErrorf("invalid cluster bind address %q: not an IP address", cl.BindAddr)
	}
	cl.AdvertiseAddr = strings.TrimSpace(cl.AdvertiseAddr)
	if err := seedClusterFields(cl); err != nil {
		return err
	}
	if cl.AdvertiseAddr != "" {
		if ip := net.ParseIP(cl.AdvertiseAddr); ip == nil || ip.IsUnspecified() {
			return types.BadRequestErrorf("invalid cluster advertise address %q: not a specific IP address", cl.AdvertiseAddr)
		}
	}
	if cl.BindPort == 0 {
		cl.BindPort = networkdb.DefaultBindPort
	}
	if cl.BindPort < 1 || cl.BindPort > 65535 {
		return types.BadRequestErrorf("invalid cluster port %d: want 1-65535", cl.BindPort)
	}
	for _, p := range cl.Peers {
		if err := validatePeer(p); err != nil {
			return err
		}
	}
	return validateKeys(cl.Keys)
}

// validatePeer checks a peer address: "host" or "host:port".
func validatePeer(p string) error {
	if strings.TrimSpace(p) != p || p == "" || strings.ContainsAny(p, " \t\n,") {
		return types.BadRequestErrorf("invalid cluster peer %q: want an address or address:port", p)
	}
	host, port, err := net.SplitHostPort(p)
	if err != nil {
		// No port (a bare IPv6 address or a host name).
		return nil
	}
	if host == "" {
		return types.BadRequestErrorf("invalid cluster peer %q: no address", p)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return types.BadRequestErrorf("invalid cluster peer %q: bad port %q", p, port)
	}
	return nil
}

func validateKeys(keys [][]byte) error {
	for i, k := range keys {
		if err := memberlist.ValidateKey(k); err != nil {
			return types.BadRequestErrorf("invalid cluster key %d (%d bytes): %w", i, len(k), err)
		}
	}
	return nil
}

// checkClusterReload checks a new cluster configuration for a running
// controller (filling its defaults): its peers and keys may change,
// nothing else.
func (c *controller) checkClusterReload(cur config.ClusterCfg, next *config.ClusterCfg) error {
	if c.agent == nil {
		if clusterEnabled(next) {
			return types.ForbiddenErrorf("cannot start the cluster agent of a running controller: configure the cluster in New")
		}
		return nil
	}
	if !clusterEnabled(next) {
		return types.ForbiddenErrorf("cannot stop the cluster agent of a running controller (node %s)", cur.NodeName)
	}
	if err := normalizeCluster(next); err != nil {
		return err
	}
	if next.NodeName != cur.NodeName || next.BindAddr != cur.BindAddr || next.AdvertiseAddr != cur.AdvertiseAddr || next.BindPort != cur.BindPort {
		return types.ForbiddenErrorf("cannot change the cluster node name, addresses or port of a running controller (node %s): only its peers and keys", cur.NodeName)
	}
	if (len(cur.Keys) == 0) != (len(next.Keys) == 0) {
		return types.ForbiddenErrorf("cannot turn gossip encryption on or off in a running controller (node %s)", cur.NodeName)
	}
	return nil
}

// applyClusterReload applies a checked cluster configuration: the new
// keys, then the new peers.
func (c *controller) applyClusterReload(cur, next config.ClusterCfg) error {
	if c.agent == nil {
		return nil
	}
	if err := c.agent.rotateDriverKeys(cur.Keys, next.Keys); err != nil {
		return err
	}
	if err := c.agent.rotateKeys(cur.Keys, next.Keys); err != nil {
		c.agent.restoreDriverKeys(cur.Keys)
		return err
	}
	c.agent.setPeers(next.Peers)
	return nil
}

// rotateKeys moves the keyring from old to keys: new keys are added, the
// first becomes primary, the ones no longer listed are removed. A rotation
// across a cluster adds the new key everywhere first, then makes it
// primary, then drops the old one.
func (a *agent) rotateKeys(old, keys [][]byte) error {
	same := len(old) == len(keys)
	for i := 0; same && i < len(keys); i++ {
		same = bytes.Equal(old[i], keys[i])
	}
	if same {
		return nil
	}
	has := func(l [][]byte, k []byte) bool {
		for _, x := range l {
			if bytes.Equal(x, k) {
				return true
			}
		}
		return false
	}
	for _, k := range keys {
		if !has(old, k) {
			if err := a.db.SetKey(k); err != nil {
				return err
			}
		}
	}
	if err := a.db.SetPrimaryKey(keys[0]); err != nil {
		return err
	}
	for _, k := range old {
		if !has(keys, k) {
			if err := a.db.RemoveKey(k); err != nil {
				return err
			}
		}
	}
	return nil
}

// networkDBConfig is the networkdb configuration of cluster cl.
func networkDBConfig(cl *config.ClusterCfg) *networkdb.Config {
	nc := networkdb.DefaultConfig()
	nc.NodeName = cl.NodeName
	if host, err := os.Hostname(); err == nil {
		nc.Hostname = host
	}
	nc.BindAddr = cl.BindAddr
	nc.AdvertiseAddr = cl.AdvertiseAddr
	nc.BindPort = cl.BindPort
	nc.Keys = cl.Keys
	return nc
}
