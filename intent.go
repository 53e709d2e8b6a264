package libnetwork

import (
	"path/filepath"

	"github.com/cnmkit/libnetwork/internal/crashpoint"
	"github.com/cnmkit/libnetwork/internal/journal"
	"github.com/sirupsen/logrus"
)

// intentDir is the directory of the intent journal under the exec root
// (shared with the drivers: bridge.IntentDir).
const intentDir = "intents"

// Operations recorded in the journal; each is also the key prefix of its
// records ("<op>-<object ID>").
const (
	opNetworkCreate  = "network-create"
	opNetworkDelete  = "network-delete"
	opEndpointCreate = "endpoint-create"
	opEndpointDelete = "endpoint-delete"
	opJoin           = "join"
	opLeave          = "leave"
	opSandboxCreate  = "sandbox-create"
	opSandboxDelete  = "sandbox-delete"
	// What a creation on a cluster-store network took in the cluster
	// (global_claim.go).
	opNetworkClaim  = "network-claim"
	opEndpointClaim = "endpoint-claim"
)

// intent is what an operation in flight was about.
type intent struct {
	Op       string `json:"op"`
	Network  string `json:"nid,omitempty"`
	Driver   string `json:"driver,omitempty"`
	Endpoint string `json:"eid,omitempty"`
	Sandbox  string `json:"sid,omitempty"`
	// Claims: the cluster resources taken so far (network name, pool IDs,
	// "poolID|IP" addresses, VXLAN IDs).
	Name  string   `json:"name,omitempty"`
	Pools []string `json:"pools,omitempty"`
	Addrs []string `json:"addrs,omitempty"`
	VNIs  []uint64 `json:"vnis,omitempty"`
}

// key is the record's name: one per object and operation.
func (in intent) key() string {
	switch in.Op {
	case opNetworkCreate, opNetworkDelete, opNetworkClaim:
		return in.Op + "-" + in.Network
	case opSandboxCreate, opSandboxDelete:
		return in.Op + "-" + in.Sandbox
	}
	return in.Op + "-" + in.Endpoint
}

// openJournal opens the controller's intent journal under the exec root.
func (c *controller) openJournal() error {
	j, err := journal.Open(filepath.Join(c.execRoot(), intentDir))
	if err != nil {
		return err
	}
	c.journal = j
	return nil
}

// begin records in before the operation's first change; the returned
// func, called once the operation is complete or undone, drops the record.
// Crash step "<op>/intent" follows the write.
func (c *controller) begin(in intent) (func(), error) {
	if c.journal == nil {
		return func() {}, nil
	}
	done, err := c.journal.Begin(in.key(), in)
	if err != nil {
		return nil, err
	}
	crashpoint.Hit(in.Op + "/intent")
	return done, nil
}

// step marks a step boundary of op for the crash tests.
func step(op, name string) { crashpoint.Hit(op + "/" + name) }

// intents lists the journal's records.
func (c *controller) intents() []intent {
	if c.journal == nil {
		return nil
	}
	recs, err := c.journal.List("")
	if err != nil {
		logrus.WithError(err).Warn("restore: list intents")
		return nil
	}
	var out []intent
	for _, r := range recs {
		var in intent
		if err := r.Decode(&in); err != nil || in.Op == "" {
			continue // a driver's record, or unreadable
		}
		if in.key() != r.Key {
			continue
		}
		out = append(out, in)
	}
	return out
}

// dropIntent removes in's record once it is reconciled.
func (c *controller) dropIntent(in intent) {
	if err := c.journal.Remove(in.key()); err != nil {
		logrus.WithError(err).Warn("restore: remove intent")
	}
}
