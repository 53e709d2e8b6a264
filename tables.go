package libnetwork

import (
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// tableBackend carries the table entries drivers publish during Join to the
// other hosts (the gossip agent). nil means local only: entries are just
// recorded on their endpoints (and persisted with them).
type tableBackend interface {
	CreateEntry(tname, nid, key string, value []byte) error
	DeleteEntry(tname, nid, key string) error
}

// newTableBackend, when set, gives each new controller its table backend
// before it restores its state (tests use it to observe entries).
var newTableBackend func() tableBackend

// publishEntries hands a join's entries to the backend; on error the ones
// already published are withdrawn.
func (c *controller) publishEntries(nid string, entries []TableEntry) error {
	if c.tables == nil {
		return nil
	}
	for i, e := range entries {
		if err := c.tables.CreateEntry(e.TableName, nid, e.Key, e.Value); err != nil {
			c.withdrawEntries(nid, entries[:i])
			return types.InternalErrorf("publish entry %q of table %s in network %s: %w", e.Key, e.TableName, nid, err)
		}
	}
	return nil
}

// withdrawEntries deletes a join's entries from the backend; failures are logged.
func (c *controller) withdrawEntries(nid string, entries []TableEntry) {
	if c.tables == nil {
		return
	}
	for _, e := range entries {
		if err := c.tables.DeleteEntry(e.TableName, nid, e.Key); err != nil {
			logrus.WithFields(logrus.Fields{"nid": nid, "table": e.TableName, "key": e.Key}).WithError(err).Warn("withdraw table entry")
		}
	}
}

// networkTableEntries returns, for network nid, the tables its driver
// registered for and the entries its joined endpoints published: what an
// agent needs to join the network's gossip and feed the driver.
func (c *controller) networkTableEntries(nid string) ([]string, []TableEntry) {
	c.mu.RLock()
	n := c.networks[nid]
	c.mu.RUnlock()
	if n == nil {
		return nil, nil
	}
	var out []TableEntry
	n.mu.Lock()
	eps := make([]*endpoint, 0, len(n.endpoints))
	for _, ep := range n.endpoints {
		eps = append(eps, ep)
	}
	n.mu.Unlock()
	for _, ep := range eps {
		out = append(out, ep.tableEntries()...)
	}
	return n.driverTables(), out
}
