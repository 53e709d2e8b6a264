package networkdb

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"time"

	"github.com/cnmkit/libnetwork/types"
	"github.com/hashicorp/memberlist"
)

// DefaultBindPort is the default gossip port (TCP and UDP). It differs from
// Docker's 7946 so that both can run on one host.
const DefaultBindPort = 7947

// Config configures a NetworkDB instance.
type Config struct {
	// NodeName is the unique name of this node in the cluster (the seed's
	// field). When set it is the node's name, whatever NodeID says.
	NodeName string
	// NodeID is the node's name when NodeName is empty.
	NodeID string
	// Hostname is an informational host name for this node.
	Hostname string
	// BindAddr is the IP address the gossip listeners bind to.
	BindAddr string
	// AdvertiseAddr is the IP address announced to peers; empty means
	// derived from BindAddr.
	AdvertiseAddr string
	// BindPort is the TCP and UDP gossip port; 0 picks a free port.
	BindPort int
	// Keys are the encryption keys (16, 24 or 32 bytes). The first one is
	// the primary key. No keys means no encryption.
	Keys [][]byte
	// PacketBufferSize is the largest UDP payload sent.
	PacketBufferSize int
	// GossipInterval is the memberlist gossip interval (membership
	// broadcasts) and the batching budget of cluster-wide events.
	GossipInterval time.Duration
	// BulkSyncInterval is the period of the per-network anti-entropy sync
	// with a random network member.
	BulkSyncInterval time.Duration
	// ReapInterval is how long tombstones and the entries of failed nodes
	// are kept before they are collected.
	ReapInterval time.Duration
	// NodeFailureGrace is how long after memberlist declares a node dead
	// its entries stay visible before they are removed.
	NodeFailureGrace time.Duration
	// ReconnectInterval is how often this node tries to reach a random
	// failed node again, which heals partitions in which each side
	// declared the other dead.
	ReconnectInterval time.Duration
	// ProbeInterval and ProbeTimeout tune memberlist failure detection.
	ProbeInterval time.Duration
	ProbeTimeout  time.Duration
	// BatchDelay is how long a write waits for more writes to share its
	// packets. Zero sends at once.
	BatchDelay time.Duration
	// SyncChunkSize is the largest bulk-sync message; bigger syncs stream
	// in several chunks.
	SyncChunkSize int
	// Memberlist, if set, is called last on the memberlist configuration
	// (advanced tuning, custom transports).
	Memberlist func(*memberlist.Config)
}

// DefaultConfig returns a configuration tuned for LAN clusters.
func DefaultConfig() *Config {
	host, _ := os.Hostname()
	return &Config{
		NodeID:            randomID(),
		Hostname:          host,
		BindAddr:          "0.0.0.0",
		BindPort:          DefaultBindPort,
		PacketBufferSize:  1400,
		GossipInterval:    100 * time.Millisecond,
		BulkSyncInterval:  5 * time.Second,
		ReapInterval:      5 * time.Minute,
		NodeFailureGrace:  2 * time.Second,
		ReconnectInterval: 5 * time.Second,
		ProbeInterval:     time.Second,
		ProbeTimeout:      500 * time.Millisecond,
		BatchDelay:        500 * time.Microsecond,
		SyncChunkSize:     512 << 10,
	}
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// minPacket is the smallest PacketBufferSize that leaves room for one
// small event after memberlist's framing and encryption.
const minPacket = 512

// name returns the node's name in the cluster.
func (c *Config) name() string {
	if c.NodeName != "" {
		return c.NodeName
	}
	return c.NodeID
}

// tunablesUnset reports whether c sets none of the tunables: a Config
// literal with only the seed's fields (NodeName, BindAddr, BindPort).
func (c *Config) tunablesUnset() bool {
	return c.PacketBufferSize == 0 && c.GossipInterval == 0 && c.BulkSyncInterval == 0 &&
		c.ReapInterval == 0 && c.NodeFailureGrace == 0 && c.ReconnectInterval == 0 &&
		c.ProbeInterval == 0 && c.ProbeTimeout == 0 && c.BatchDelay == 0 && c.SyncChunkSize == 0
}

// withDefaults returns a copy of c; when c sets no tunable at all they are
// DefaultConfig's, so that the seed's Config{NodeName, BindAddr, BindPort}
// makes a working node. A Config that sets some tunables is taken as it is.
func (c *Config) withDefaults() *Config {
	out := *c
	if c.tunablesUnset() {
		d := DefaultConfig()
		out.PacketBufferSize, out.GossipInterval, out.BulkSyncInterval = d.PacketBufferSize, d.GossipInterval, d.BulkSyncInterval
		out.ReapInterval, out.NodeFailureGrace, out.ReconnectInterval = d.ReapInterval, d.NodeFailureGrace, d.ReconnectInterval
		out.ProbeInterval, out.ProbeTimeout = d.ProbeInterval, d.ProbeTimeout
		out.BatchDelay, out.SyncChunkSize = d.BatchDelay, d.SyncChunkSize
	}
	return &out
}

func (c *Config) validate() error {
	switch {
	case c == nil:
		return types.BadRequestErrorf("networkdb: nil config")
	case c.name() == "":
		return types.BadRequestErrorf("networkdb: empty NodeName and NodeID")
	case c.BindPort < 0 || c.BindPort > 65535:
		return types.BadRequestErrorf("networkdb: bad BindPort %d", c.BindPort)
	case c.PacketBufferSize < minPacket || c.PacketBufferSize > 65000:
		return types.BadRequestErrorf("networkdb: PacketBufferSize %d out of range [%d, 65000]", c.PacketBufferSize, minPacket)
	case c.GossipInterval <= 0:
		return types.BadRequestErrorf("networkdb: GossipInterval %v must be positive", c.GossipInterval)
	case c.BulkSyncInterval <= 0:
		return types.BadRequestErrorf("networkdb: BulkSyncInterval %v must be positive", c.BulkSyncInterval)
	case c.ReapInterval <= 0:
		return types.BadRequestErrorf("networkdb: ReapInterval %v must be positive", c.ReapInterval)
	case c.NodeFailureGrace < 0:
		return types.BadRequestErrorf("networkdb: NodeFailureGrace %v is negative", c.NodeFailureGrace)
	case c.ReconnectInterval <= 0:
		return types.BadRequestErrorf("networkdb: ReconnectInterval %v must be positive", c.ReconnectInterval)
	case c.ProbeInterval <= 0 || c.ProbeTimeout <= 0:
		return types.BadRequestErrorf("networkdb: probe interval %v / timeout %v must be positive", c.ProbeInterval, c.ProbeTimeout)
	case c.BatchDelay < 0:
		return types.BadRequestErrorf("networkdb: BatchDelay %v is negative", c.BatchDelay)
	case c.SyncChunkSize < c.PacketBufferSize:
		return types.BadRequestErrorf("networkdb: SyncChunkSize %d smaller than PacketBufferSize", c.SyncChunkSize)
	}
	for i, k := range c.Keys {
		if err := memberlist.ValidateKey(k); err != nil {
			return types.BadRequestErrorf("networkdb: key %d: %w", i, err)
		}
	}
	return nil
}
