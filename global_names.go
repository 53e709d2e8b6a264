package libnetwork

import (
	"encoding/json"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// networkNamePrefix is the first key component of the cluster's network
// names: one record per name, created with compare-and-swap, so that two
// hosts creating networks of one name at once cannot both succeed.
const networkNamePrefix = "network_name"

// nameRecord reserves a network name in the cluster store for network NID.
type nameRecord struct {
	kvMeta
	name string
	NID  string
}

func (r *nameRecord) Key() []string           { return []string{networkNamePrefix, r.name} }
func (r *nameRecord) KeyPrefix() []string     { return []string{networkNamePrefix} }
func (r *nameRecord) Value() []byte           { b, _ := json.Marshal(r); return b }
func (r *nameRecord) SetValue(b []byte) error { return json.Unmarshal(b, r) }
func (r *nameRecord) DataScope() string       { return datastore.GlobalScope }
func (r *nameRecord) Skip() bool              { return false }
func (r *nameRecord) New() datastore.KVObject { return &nameRecord{name: r.name} }
func (r *nameRecord) CopyTo(o datastore.KVObject) error {
	return copyRecord(r, o)
}

// reserveClusterName reserves n's name in the cluster store: a name held
// by another network is a NetworkNameError.
func (c *controller) reserveClusterName(n *network) error {
	s, err := c.clusterStore()
	if err != nil {
		return err
	}
	if err := s.PutObjectAtomic(&nameRecord{name: n.name, NID: n.id}); err != nil {
		if types.IsConflict(err) {
			return NetworkNameError(n.name)
		}
		return storeErr(s, "reserve the network name "+n.name, err)
	}
	return nil
}

// releaseClusterName gives back the name of network nid, if it holds it.
func (c *controller) releaseClusterName(name, nid string) {
	s := c.sharedStore()
	if s == nil {
		return
	}
	r := &nameRecord{name: name}
	if err := s.GetObject(datastore.Key(r.Key()...), r); err != nil {
		if !types.IsNotFound(err) {
			logrus.WithFields(logrus.Fields{"name": name, "nid": nid}).WithError(err).Warn("release the network name in the cluster store")
		}
		return
	}
	if r.NID != nid {
		return
	}
	if err := s.DeleteObjectAtomic(r); err != nil && !types.IsNotFound(err) {
		logrus.WithFields(logrus.Fields{"name": name, "nid": nid}).WithError(err).Warn("release the network name in the cluster store")
	}
}
