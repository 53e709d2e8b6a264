package overlay

import (
	"bytes"
	"net"
	"sort"

	"github.com/sirupsen/logrus"
)

// The peer database of a network decides which FDB and neighbour entries
// the network's overlay namespace holds. It is keyed by endpoint ID, and
// every kernel entry (an FDB entry is keyed by MAC, a neighbour entry by
// IP, both per segment) is a key that endpoints *claim*:
//
//   - a remote peer claims its MAC (FDB entry: MAC → its VTEP) and its
//     addresses (neighbour entries: IP → MAC);
//   - a local endpoint claims the same keys, meaning "no tunnel entry": the
//     bridge reaches it directly.
//
// The kernel holds, for each key, the value of its winning claim: a local
// claim if there is one (a local endpoint is certainly alive), else the
// most recent remote claim. When an address moves between hosts, the events
// (delete from the old owner, create from the new one) may arrive in either
// order, and a stale entry may even be re-announced late: the newest claim
// replaces the kernel entry, the deletion of a claim that does not win
// changes nothing in the kernel, and the deletion of the winning claim
// falls back to the next one. So no entry keeps pointing at an old owner
// once its announcement is withdrawn, and an entry that now belongs to a
// new owner is never deleted by the old owner's withdrawal.

// claimKind says which kernel table a key is in.
type claimKind uint8

const (
	claimFDB   claimKind = iota + 1 // vxlan FDB: MAC → VTEP
	claimNeigh                      // vxlan neighbour: IP → MAC
)

// claimKey names one kernel entry of a network.
type claimKey struct {
	kind claimKind
	seg  int
	addr string // the MAC (FDB) or the IP (neighbour), as bytes
}

// entry is a kernel entry's value: for FDB the MAC and the VTEP address,
// for neighbours the MAC and the IP.
type entry struct {
	mac net.HardwareAddr
	ip  net.IP
}

func (e entry) equal(o entry) bool { return bytes.Equal(e.mac, o.mac) && e.ip.Equal(o.ip) }

// claim is one endpoint's claim on a key.
type claim struct {
	eid   string
	seq   uint64
	local bool
	val   entry
}

// peer is a remote endpoint announced in the peer table.
type peer struct {
	eid string
	rec *PeerRecord
	seg int
}

// kernelTables programs FDB and neighbour entries in an overlay namespace.
type kernelTables interface {
	setFDB(seg int, mac net.HardwareAddr, vtep net.IP) error
	delFDB(seg int, mac net.HardwareAddr, vtep net.IP) error
	setNeigh(seg int, ip net.IP, mac net.HardwareAddr) error
	delNeigh(seg int, ip net.IP, mac net.HardwareAddr) error
}

// peerDB is a network's peer database; its network's lock guards it.
type peerDB struct {
	seq        uint64
	peers      map[string]*peer
	local      map[string][]claimKey // keys claimed by local endpoints
	claims     map[claimKey][]claim
	programmed map[claimKey]entry // what the kernel holds now
}

func newPeerDB() *peerDB {
	return &peerDB{peers: map[string]*peer{}, local: map[string][]claimKey{},
		claims: map[claimKey][]claim{}, programmed: map[claimKey]entry{}}
}

// peerKeys returns the keys a peer with these properties claims, with the
// value of each.
func peerKeys(seg int, mac net.HardwareAddr, vtep net.IP, addrs ...*net.IPNet) ([]claimKey, []entry) {
	keys := []claimKey{{kind: claimFDB, seg: seg, addr: string(mac)}}
	vals := []entry{{mac: mac, ip: vtep}}
	for _, a := range addrs {
		if a == nil {
			continue
		}
		ip := a.IP
		if v4 := ip.To4(); v4 != nil {
			ip = v4
		}
		keys = append(keys, claimKey{kind: claimNeigh, seg: seg, addr: string(ip)})
		vals = append(vals, entry{mac: mac, ip: ip})
	}
	return keys, vals
}

// addRemote records (or updates) remote peer eid and returns the keys whose
// winner may have changed. An identical re-announcement changes nothing.
func (db *peerDB) addRemote(eid string, rec *PeerRecord, seg int) []claimKey {
	var touched []claimKey
	if old, ok := db.peers[eid]; ok {
		if old.seg == seg && old.rec.equal(rec) {
			return nil
		}
		touched = db.removeRemote(eid)
	}
	db.peers[eid] = &peer{eid: eid, rec: rec, seg: seg}
	db.seq++
	keys, vals := peerKeys(seg, rec.MAC, rec.TunnelIP, rec.Addr, rec.AddrV6)
	for i, k := range keys {
		db.claims[k] = append(db.claims[k], claim{eid: eid, seq: db.seq, val: vals[i]})
	}
	return append(touched, keys...)
}

// removeRemote forgets remote peer eid and returns the keys it claimed.
func (db *peerDB) removeRemote(eid string) []claimKey {
	p, ok := db.peers[eid]
	if !ok {
		return nil
	}
	delete(db.peers, eid)
	keys, _ := peerKeys(p.seg, p.rec.MAC, p.rec.TunnelIP, p.rec.Addr, p.rec.AddrV6)
	for _, k := range keys {
		db.dropClaim(k, eid, false)
	}
	return keys
}

// addLocal records the claims of local endpoint eid.
func (db *peerDB) addLocal(eid string, seg int, mac net.HardwareAddr, addrs ...*net.IPNet) []claimKey {
	touched := db.removeLocal(eid)
	keys, _ := peerKeys(seg, mac, nil, addrs...)
	db.seq++
	for _, k := range keys {
		db.claims[k] = append(db.claims[k], claim{eid: eid, seq: db.seq, local: true})
	}
	db.local[eid] = keys
	return append(touched, keys...)
}

// removeLocal forgets the claims of local endpoint eid.
func (db *peerDB) removeLocal(eid string) []claimKey {
	keys, ok := db.local[eid]
	if !ok {
		return nil
	}
	delete(db.local, eid)
	for _, k := range keys {
		db.dropClaim(k, eid, true)
	}
	return keys
}

func (db *peerDB) dropClaim(k claimKey, eid string, local bool) {
	cs := db.claims[k]
	for i, c := range cs {
		if c.eid == eid && c.local == local {
			cs = append(cs[:i], cs[i+1:]...)
			break
		}
	}
	if len(cs) == 0 {
		delete(db.claims, k)
		return
	}
	db.claims[k] = cs
}

// desired returns the value the kernel should hold for k, if any.
func (db *peerDB) desired(k claimKey) (entry, bool) {
	var best *claim
	for i := range db.claims[k] {
		c := &db.claims[k][i]
		if c.local {
			return entry{}, false
		}
		if best == nil || c.seq > best.seq {
			best = c
		}
	}
	if best == nil {
		return entry{}, false
	}
	return best.val, true
}

// reconcile makes the kernel entries of keys match their winning claims.
// With kt nil (no overlay namespace on this host) it only records nothing.
// Kernel errors are logged: the entry is then considered absent, so a
// later change of the same key tries again.
func (db *peerDB) reconcile(kt kernelTables, log *logrus.Entry, keys []claimKey) {
	if kt == nil {
		return
	}
	seen := make(map[claimKey]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		want, ok := db.desired(k)
		have, has := db.programmed[k]
		switch {
		case ok && has && want.equal(have):
		case ok:
			var err error
			if k.kind == claimFDB {
				err = kt.setFDB(k.seg, want.mac, want.ip)
			} else {
				err = kt.setNeigh(k.seg, want.ip, want.mac)
			}
			if err != nil {
				log.WithError(err).WithFields(logrus.Fields{"mac": want.mac, "ip": want.ip}).Warn("overlay: program peer entry")
				delete(db.programmed, k)
				continue
			}
			db.programmed[k] = want
		case has:
			var err error
			if k.kind == claimFDB {
				err = kt.delFDB(k.seg, have.mac, have.ip)
			} else {
				err = kt.delNeigh(k.seg, have.ip, have.mac)
			}
			if err != nil {
				log.WithError(err).WithFields(logrus.Fields{"mac": have.mac, "ip": have.ip}).Warn("overlay: remove peer entry")
			}
			delete(db.programmed, k)
		}
	}
}

// allKeys returns every claimed key, in a stable order.
func (db *peerDB) allKeys() []claimKey {
	keys := make([]claimKey, 0, len(db.claims))
	for k := range db.claims {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.seg != b.seg {
			return a.seg < b.seg
		}
		if a.kind != b.kind {
			return a.kind < b.kind // FDB entries first
		}
		return a.addr < b.addr
	})
	return keys
}

// forgetKernel is called when the overlay namespace goes away: nothing is
// programmed any more.
func (db *peerDB) forgetKernel() {
	db.programmed = map[claimKey]entry{}
}
