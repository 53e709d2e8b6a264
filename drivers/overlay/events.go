package overlay

import (
	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/sirupsen/logrus"
)

// EventNotify takes a change of PeerTable: a remote endpoint's FDB and
// neighbour entries are added, replaced or removed in the network's
// overlay namespace (or only remembered while this host has no endpoint
// on the network). Entries announced with this host's tunnel address are
// local endpoints and are ignored. Malformed values, and values whose
// addresses fit no segment of the network, are dropped with a log line.
func (d *driver) EventNotify(etype driverapi.EventType, nid, tableName, key string, value []byte) {
	if tableName != PeerTable {
		return
	}
	log := logFor(nid).WithFields(logrus.Fields{"eid": shortID(key), "event": etype.String()})
	defer func() {
		if r := recover(); r != nil {
			log.Errorf("overlay: peer event dropped after a panic: %v", r)
		}
	}()
	n, err := d.network(nid)
	if err != nil {
		log.WithError(err).Debug("overlay: peer event for an unknown network ignored")
		return
	}
	if key == "" {
		log.Warn("overlay: peer event without an endpoint ID dropped")
		return
	}
	tun := d.tunnelAddrs()
	if n.encrypted {
		// Runs after the unlock below: the peer set may have changed.
		defer d.resyncESP(nid)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.deleted {
		return
	}
	var touched []claimKey
	switch etype {
	case driverapi.Delete:
		touched = n.peers.removeRemote(key)
	case driverapi.Create, driverapi.Update:
		rec, err := DecodePeerRecord(value)
		if err != nil {
			log.WithError(err).Warn("overlay: malformed peer entry dropped")
			return
		}
		if tun != nil && rec.TunnelIP.Equal(tun.advertise) {
			// One of ours: the bridge reaches it. It may have been
			// announced from another host before.
			touched = n.peers.removeRemote(key)
			break
		}
		if tun != nil && (rec.TunnelIP.To4() == nil) != (tun.local.To4() == nil) {
			log.WithField("vtep", rec.TunnelIP).Warn("overlay: peer entry with a tunnel address of the other IP family dropped")
			touched = n.peers.removeRemote(key)
			break
		}
		seg, err := n.segmentOf(rec.Addr, rec.AddrV6)
		if err != nil {
			log.WithError(err).Warn("overlay: peer entry outside the network's subnets dropped")
			touched = n.peers.removeRemote(key)
			break
		}
		touched = n.peers.addRemote(key, rec, seg)
	default:
		log.Warn("overlay: peer event of unknown type dropped")
		return
	}
	n.peers.reconcile(n.tables(), log, touched)
}
