package bridge

import (
	"path/filepath"

	"github.com/cnmkit/libnetwork/internal/crashpoint"
	"github.com/cnmkit/libnetwork/internal/journal"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/vishvananda/netlink"
)

// Crash safety of network creation. The network's record is stored after
// its setup (it holds what the setup found: whether the driver made the
// bridge and its addresses), so a process killed during the setup leaves
// kernel objects that no record owns. Before the setup the driver writes an
// intent record naming the network and its bridge in the journal under the
// exec root (IntentDir); it is removed once the network's record is stored
// or its setup rolled back. At start, an intent whose network has no record
// is rolled back: the bridge goes, if it has the name the driver gives
// (cnm-<network ID>, not a name the user chose, whose device may be the
// user's) and no restored network uses it. The firewall rules of such a
// network are not removed here: the firewall is rebuilt from the restored
// networks. Everything else the driver makes (veth pairs, port mappings)
// is owned by an endpoint record or found on a restored bridge (restore.go).

// IntentDir is the directory, under the exec root, of the intent journal
// shared by the controller and the drivers.
const IntentDir = "intents"

const netIntentPrefix = "bridge-net-"

// openJournal opens the journal under the exec root of config, if any.
func openJournal(config map[string]interface{}) (*journal.Journal, error) {
	root, _ := config[netlabel.ExecRoot].(string)
	if root == "" {
		return nil, nil
	}
	return journal.Open(filepath.Join(root, IntentDir))
}

// beginCreate records the intent to create n; the returned func drops it.
func (d *driver) beginCreate(n *bridgeNetwork) (func(), error) {
	if d.journal == nil || d.store == nil {
		return func() {}, nil
	}
	done, err := d.journal.Begin(netIntentPrefix+n.id, newNetworkRecord(n.config))
	if err != nil {
		return nil, err
	}
	crashpoint.Hit("bridge-create/intent")
	return done, nil
}

// rollbackCreates undoes the network creations a killed process left half
// done; it runs after the stored networks are restored.
func (d *driver) rollbackCreates() {
	if d.journal == nil {
		return
	}
	recs, err := d.journal.List(netIntentPrefix)
	if err != nil {
		d.log("").WithError(err).Warn("restore: list network intents")
		return
	}
	used := map[string]bool{}
	for _, n := range d.networks {
		used[n.config.BridgeName] = true
	}
	for _, r := range recs {
		var rec networkRecord
		if err := r.Decode(&rec); err != nil {
			d.log("").WithError(err).Warn("restore: skip unreadable network intent")
			_ = d.journal.Remove(r.Key)
			continue
		}
		nid, name := rec.Config.ID, rec.Config.BridgeName
		if _, ok := d.networks[nid]; !ok && name == generatedBridgeName(nid) && !used[name] {
			d.removeOwnBridge(nid, name)
		}
		if err := d.journal.Remove(r.Key); err != nil {
			d.log(nid).WithError(err).Warn("restore: remove network intent")
		}
	}
}

// removeOwnBridge deletes the bridge left by an interrupted creation of
// network nid.
func (d *driver) removeOwnBridge(nid, name string) {
	l, err := d.nlh.LinkByName(name)
	if err != nil {
		return // not made yet
	}
	if _, ok := l.(*netlink.Bridge); !ok {
		return
	}
	d.log(nid).WithField("bridge", name).Info("restore: remove the bridge of an interrupted network creation")
	if err := d.nlh.LinkDel(l); err != nil && !isGone(err) {
		d.log(nid).WithField("bridge", name).WithError(err).Warn("restore: remove bridge")
	}
}

// generatedBridgeName is the bridge name the driver gives network nid.
func generatedBridgeName(nid string) string {
	if len(nid) > bridgeIDChars {
		nid = nid[:bridgeIDChars]
	}
	return bridgePrefix + nid
}
