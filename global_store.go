package libnetwork

import (
	"os"
	"sync"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/datastore/etcdkv"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
	"github.com/sirupsen/logrus"
)

// The cluster store: a global store shared by the hosts of a cluster (a
// watchable backend such as etcd, not the boltdb file a clustered
// controller keeps without one). Networks of global-scope drivers live
// there with their endpoints, an endpoint count per network and, for the
// IPAM's GlobalDefault space and the VXLAN IDs, the cluster's allocations.

// globalState is the controller's cluster-store state.
type globalState struct {
	mu   sync.Mutex     // guards stop
	stop chan struct{}  // closed by stopGlobalWatch
	wg   sync.WaitGroup // the watch and the prober
	// sync serialises the adoption and removal of networks seen in the
	// store.
	sync sync.Mutex
	// skipped are the unreadable records of the last sync, by key, at
	// the index logged (under sync).
	skipped map[string]uint64
	// unlisted are the endpoints (by network, then endpoint ID) to take
	// out of their network's endpoint count, until the time given: the
	// removal failed while the store was away, and the write that added
	// them may still land until the backend's call bound has passed.
	// Guarded by mu.
	unlisted map[string]map[string]time.Time
}

// sharedStore returns the cluster store, or nil: the global store when it
// is shared by the hosts (watchable).
func (c *controller) sharedStore() datastore.DataStore {
	s := c.getStore(datastore.GlobalScope)
	if s == nil || !s.Watchable() {
		return nil
	}
	return s
}

// clusterStore returns the cluster store for a call that needs it. While
// the store is known to be unreachable (a call failed with
// datastore.ErrNotReachable and the prober has not reached it since) the
// call fails at once with a types.NoServiceError naming the store.
func (c *controller) clusterStore() (datastore.DataStore, error) {
	s := c.sharedStore()
	if s == nil {
		return nil, ErrDataStoreNotInitialized(datastore.GlobalScope)
	}
	if !s.Active() {
		sc := c.config().Scopes[datastore.GlobalScope]
		return nil, types.NoServiceErrorf("cluster store %s at %s is not reachable (retried in the background): %w",
			sc.Client.Provider, sc.Client.Address, datastore.ErrNotReachable)
	}
	return s, nil
}

// shared reports whether n lives in the cluster store.
func (n *network) shared() bool {
	return n.persist && n.storeScope() == datastore.GlobalScope && n.ctrl.sharedStore() != nil
}

// nodeName is this host's name in the cluster (unique: the gossip agent
// refuses two members of one name), else its host name; endpoints in the
// cluster store carry it.
func (c *controller) nodeName() string {
	if name := c.config().Cluster.NodeName; name != "" {
		return name
	}
	name, _ := os.Hostname()
	return name
}

// checkClusterName refuses a name used by a network of the cluster store
// that this controller has not seen yet.
func (c *controller) checkClusterName(name string) error {
	s, err := c.clusterStore()
	if err != nil {
		return err
	}
	recs, err := listNetworkRecords(s)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Name == name {
			return NetworkNameError(name)
		}
	}
	return nil
}

// listNetworkRecords lists the network records of the cluster store s;
// records it cannot read are skipped with a log line.
func listNetworkRecords(s datastore.DataStore) ([]*netRecord, error) {
	objs, err := listObjects(s, []string{networkKeyPrefix}, &rawRecord{})
	if err != nil {
		return nil, err
	}
	var out []*netRecord
	for _, o := range objs {
		raw := o.(*rawRecord)
		r := &netRecord{meta: &kvMeta{}}
		if err := r.SetValue(raw.value); err != nil || r.ID == "" {
			logrus.WithError(err).Warn("cluster store: unreadable network record skipped")
			continue
		}
		r.SetIndex(raw.Index())
		out = append(out, r)
	}
	return out, nil
}

// rawRecord is a record of any content, kept as bytes (for listing
// records one at a time decoded).
type rawRecord struct {
	kvMeta
	value []byte
}

func (r *rawRecord) Key() []string                     { return nil }
func (r *rawRecord) KeyPrefix() []string               { return nil }
func (r *rawRecord) Value() []byte                     { return r.value }
func (r *rawRecord) SetValue(b []byte) error           { r.value = append([]byte(nil), b...); return nil }
func (r *rawRecord) DataScope() string                 { return datastore.GlobalScope }
func (r *rawRecord) Skip() bool                        { return true }
func (r *rawRecord) New() datastore.KVObject           { return &rawRecord{} }
func (r *rawRecord) CopyTo(o datastore.KVObject) error { return copyRecord(r, o) }

// decodeNetworkPair decodes a network record of the cluster store, or
// logs why it is skipped and returns nil.
func decodeNetworkPair(p *store.KVPair) *netRecord {
	if len(p.Value) == 0 {
		return nil
	}
	r := &netRecord{meta: &kvMeta{}}
	if err := r.SetValue(p.Value); err != nil || r.ID == "" {
		logrus.WithField("key", p.Key).WithError(err).Warn("cluster store: unreadable network record skipped")
		return nil
	}
	if datastore.Key(r.Key()...) != p.Key {
		logrus.WithFields(logrus.Fields{"key": p.Key, "nid": r.ID}).Warn("cluster store: network record under another network's key skipped")
		return nil
	}
	r.SetIndex(p.LastIndex)
	return r
}

// storedPools reports whether n's pools and addresses are kept in a store
// by its IPAM driver (the default one's GlobalDefault space on a cluster
// store): they are not requested again after a restart.
func (n *network) storedPools() bool {
	if n.hasSpecialDriver() {
		return false
	}
	ipam, _, err := n.ctrl.ipamDriver(n.ipamType)
	if err != nil {
		return false
	}
	s, ok := ipam.(interface{ Stored(string) bool })
	return ok && s.Stored(n.addrSpace)
}

// storeErr wraps an error of the cluster store s, naming it; an
// unreachable store's error already names its address.
func storeErr(s datastore.DataStore, what string, err error) error {
	if types.IsNoService(err) || types.IsTimeout(err) {
		return err
	}
	return types.InternalErrorf("%s in the %s store: %w", what, s.Scope(), err)
}

// writeLifetime bounds how long a write the cluster store did not answer
// in time may still land: the backend's own call bound (etcdkv's), plus a
// margin.
func (c *controller) writeLifetime() time.Duration {
	d := etcdkv.DefaultTimeout
	if sc := c.config().Scopes[datastore.GlobalScope]; sc != nil && sc.Client.Config != nil && sc.Client.Config.ConnectionTimeout > 0 {
		d = sc.Client.Config.ConnectionTimeout
	}
	return d + time.Second
}
