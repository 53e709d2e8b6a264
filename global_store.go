package libnetwork

import (
	"encoding/json"
	"sync"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

// The cluster store: a global store shared by the hosts of a cluster (a
// watchable backend such as etcd, not the boltdb file a clustered
// controller keeps without one). Networks of global-scope drivers live
// there with their endpoints, an endpoint count per network and, for the
// IPAM's GlobalDefault space and the VXLAN IDs, the cluster's allocations.

// endpointCountPrefix is the first key component of the endpoint counts.
const endpointCountPrefix = "endpoint_count"

// maxCountWrites bounds the compare-and-swap attempts of one count change.
const maxCountWrites = 100

// globalState is the controller's cluster-store state.
type globalState struct {
	mu   sync.Mutex    // guards stop and done
	stop chan struct{} // closed by stopGlobalWatch
	done chan struct{} // closed when the watch ends
	// sync serialises the adoption and removal of networks seen in the
	// store.
	sync sync.Mutex
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

// shared reports whether n lives in the cluster store.
func (n *network) shared() bool {
	return n.persist && n.storeScope() == datastore.GlobalScope && n.ctrl.sharedStore() != nil
}

// nodeName is this host's name in the cluster (unique: the gossip agent
// refuses two members of one name); endpoints in the cluster store carry it.
func (c *controller) nodeName() string {
	return c.config().Cluster.NodeName
}

// epCountRecord is the number of endpoints of a network on every host of
// the cluster (libnetwork's endpoint_cnt). A network is created with one
// at zero; deleting the network deletes it, only while it is zero, so an
// endpoint created at the same time on another host either counts and
// stops the delete or fails.
type epCountRecord struct {
	kvMeta
	nid   string
	Count uint64
}

func (r *epCountRecord) Key() []string           { return []string{endpointCountPrefix, r.nid} }
func (r *epCountRecord) KeyPrefix() []string     { return []string{endpointCountPrefix} }
func (r *epCountRecord) Value() []byte           { b, _ := json.Marshal(r); return b }
func (r *epCountRecord) SetValue(b []byte) error { return json.Unmarshal(b, r) }
func (r *epCountRecord) DataScope() string       { return datastore.GlobalScope }
func (r *epCountRecord) Skip() bool              { return false }
func (r *epCountRecord) New() datastore.KVObject { return &epCountRecord{nid: r.nid} }
func (r *epCountRecord) CopyTo(o datastore.KVObject) error {
	return copyRecord(r, o)
}

// storeErr wraps an error of the cluster store s, naming it.
func storeErr(s datastore.DataStore, what string, err error) error {
	if types.IsNoService(err) || types.IsTimeout(err) {
		return err // already names the store and its address
	}
	return types.InternalErrorf("%s in the %s store: %w", what, s.Scope(), err)
}

// createEndpointCount writes n's endpoint count at zero.
func (c *controller) createEndpointCount(n *network) error {
	s := c.sharedStore()
	r := &epCountRecord{nid: n.id}
	n.countMu.Lock()
	defer n.countMu.Unlock()
	n.count = nil
	if err := s.PutObjectAtomic(r); err != nil {
		if types.IsConflict(err) {
			return types.ConflictErrorf("network %s (%s): an endpoint count of that network ID is already in the cluster store: %w", n.name, n.id, err)
		}
		return storeErr(s, "create the endpoint count of network "+n.id, err)
	}
	n.count = r
	return nil
}

// addEndpointCount adds delta (+1 or -1) to n's endpoint count. Adding to
// a network whose count is gone (being deleted) is a ForbiddenError.
func (c *controller) addEndpointCount(n *network, delta int) error {
	s := c.sharedStore()
	if s == nil {
		return ErrDataStoreNotInitialized(datastore.GlobalScope)
	}
	n.countMu.Lock()
	defer n.countMu.Unlock()
	for range maxCountWrites {
		// The last known state first: a conflict means another host
		// changed it, and it is read again.
		r := &epCountRecord{nid: n.id}
		if n.count != nil {
			*r = *n.count
		} else if err := s.GetObject(datastore.Key(r.Key()...), r); err != nil {
			if types.IsNotFound(err) {
				if delta > 0 {
					return types.ForbiddenErrorf("network %s (%s) is being deleted (no endpoint count in the cluster store)", n.name, n.id)
				}
				return nil
			}
			return storeErr(s, "read the endpoint count of network "+n.id, err)
		}
		switch {
		case delta > 0:
			r.Count++
		case r.Count > 0:
			r.Count--
		}
		err := s.PutObjectAtomic(r)
		if err == nil {
			n.count = r
			return nil
		}
		n.count = nil
		if !types.IsConflict(err) && !types.IsNotFound(err) {
			return storeErr(s, "update the endpoint count of network "+n.id, err)
		}
	}
	return types.RetryErrorf("network %s (%s): endpoint count kept changing under %d attempts", n.name, n.id, maxCountWrites)
}

// deleteEndpointCount deletes n's endpoint count if it is zero: after it,
// no host can create an endpoint on n. A count above zero is a
// ForbiddenError naming the network and the count.
func (c *controller) deleteEndpointCount(n *network) error {
	s := c.sharedStore()
	n.countMu.Lock()
	defer n.countMu.Unlock()
	n.count = nil
	for range maxCountWrites {
		r := &epCountRecord{nid: n.id}
		if err := s.GetObject(datastore.Key(r.Key()...), r); err != nil {
			if types.IsNotFound(err) {
				return nil
			}
			return storeErr(s, "read the endpoint count of network "+n.id, err)
		}
		if r.Count > 0 {
			return types.ForbiddenErrorf("network %s (%s) has %d endpoints in the cluster: delete them first", n.name, n.id, r.Count)
		}
		err := s.DeleteObjectAtomic(r)
		if err == nil || types.IsNotFound(err) {
			return nil
		}
		if !types.IsConflict(err) {
			return storeErr(s, "delete the endpoint count of network "+n.id, err)
		}
	}
	return types.RetryErrorf("network %s (%s): endpoint count kept changing under %d attempts", n.name, n.id, maxCountWrites)
}

// checkClusterName refuses a name used by a network of the cluster store
// that this controller has not seen yet.
func (c *controller) checkClusterName(name string) error {
	s := c.sharedStore()
	objs, err := listObjects(s, []string{networkKeyPrefix}, &netRecord{meta: &kvMeta{}})
	if err != nil {
		return err
	}
	for _, o := range objs {
		if o.(*netRecord).Name == name {
			return NetworkNameError(name)
		}
	}
	return nil
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
