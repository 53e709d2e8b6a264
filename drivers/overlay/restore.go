package overlay

import (
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Restart. Close keeps the overlay namespaces (containers stay connected
// while the daemon is down). The next driver gets its endpoints back from
// the local store (CreateEndpoint is not replayed) and its networks from
// the controller, which calls CreateNetwork again and replays the peer
// table. CreateNetwork then re-adopts the network's overlay namespace if
// it is still pinned and matches (same devices, VXLAN IDs, port and
// tunnel address): an endpoint of the store whose veth end is still on its
// bridge is joined again; stray veths are deleted. The FDB and neighbour
// entries found in it are kept, and those that no replayed table entry
// claims within RestartGrace are removed. Overlay namespaces whose network
// is not created again within RestartGrace are removed. Without a store,
// a leftover namespace cannot be re-adopted and is removed.

// DefaultRestartGrace is how long after a restart stale kernel state
// waits for the controller's replay before it is removed.
const DefaultRestartGrace = time.Minute

// startGC arranges for the namespaces left under the exec root by an
// earlier run, and not re-adopted by then, to be removed after the grace.
func (d *driver) startGC() {
	d.gcTimer = time.AfterFunc(d.restartGrace, d.gcLeftovers)
}

// gcLeftovers removes the namespaces under the exec root that belong to no
// network of this driver.
func (d *driver) gcLeftovers() {
	defer d.endKeepOld()
	entries, err := os.ReadDir(d.execRoot)
	if err != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	owned := map[string]bool{}
	for _, n := range d.networks {
		owned[n.path] = true
	}
	for _, e := range entries {
		p := filepath.Join(d.execRoot, e.Name())
		if e.IsDir() || owned[p] || !ns.IsNetNS(p) {
			continue
		}
		if err := ns.RemovePinned(p); err != nil {
			logrus.WithField("path", p).WithError(err).Warn("overlay: remove leftover namespace")
			continue
		}
		logrus.WithField("path", p).Debug("overlay: removed leftover namespace")
	}
}

// adoptEndpoints gives a re-created network the endpoints of the store.
func (d *driver) adoptEndpoints(n *network) {
	d.mu.Lock()
	recs := d.pending[n.id]
	delete(d.pending, n.id)
	d.mu.Unlock()
	for _, r := range recs {
		ep, err := r.endpoint(n)
		if err != nil {
			logFor(n.id).WithField("eid", shortID(r.ID)).WithError(err).Warn("overlay: endpoint record dropped")
			_ = d.deleteEndpointRecord(r.ID)
			continue
		}
		n.endpoints[ep.id] = ep
	}
}

// adopt takes over the overlay namespace an earlier run left at n.path,
// or removes it when it cannot be used. The caller holds n.mu.
func (n *network) adopt() {
	if _, err := os.Lstat(n.path); err != nil {
		return
	}
	log := logFor(n.id).WithField("path", n.path)
	o, ok := n.openExisting(log)
	if !ok {
		if o != nil {
			o.destroy()
			n.d.markDying(o.vnis)
		} else if err := ns.RemovePinned(n.path); err != nil {
			log.WithError(err).Warn("overlay: remove unusable namespace")
		}
		return
	}
	joined := n.adoptVeths(o, log)
	if joined == 0 {
		o.destroy()
		n.d.markDying(o.vnis)
		log.Debug("overlay: leftover namespace without endpoints removed")
		return
	}
	n.ons, n.users = o, joined
	n.loadEntries(o, log)
	var keys []claimKey
	for _, ep := range n.endpoints {
		if ep.state == epJoined {
			keys = append(keys, n.peers.addLocal(ep.id, ep.seg, ep.mac, ep.addr, ep.addr6)...)
		}
	}
	n.peers.reconcile(o, log, keys)
	n.sweep = time.AfterFunc(n.d.restartGrace, func() { n.sweepUnclaimed(o) })
	log.WithField("endpoints", joined).Debug("overlay: namespace re-adopted")
}

// openExisting opens the namespace at n.path and checks its devices. ok
// is false when it is not one this network can use.
func (n *network) openExisting(log *logrus.Entry) (*overlayNS, bool) {
	if !ns.IsNetNS(n.path) {
		return nil, false
	}
	o := &overlayNS{path: n.path}
	var err error
	if o.nsh, err = netns.GetFromPath(n.path); err != nil {
		return nil, false
	}
	if o.nlh, err = netlink.NewHandleAt(o.nsh, unix.NETLINK_ROUTE); err != nil {
		return o, false
	}
	if o.raw, err = openRawSocket(o.nsh); err != nil {
		return o, false
	}
	tun := n.d.tunnelAddrs()
	for i, s := range n.segs {
		br, err1 := o.nlh.LinkByName(bridgeName(i))
		l, err2 := o.nlh.LinkByName(vxlanName(i))
		if err1 != nil || err2 != nil || br.Type() != "bridge" {
			log.Warn("overlay: leftover namespace lacks its devices: removed")
			return o, false
		}
		vx, isVx := l.(*netlink.Vxlan)
		if !isVx || uint32(vx.VxlanId) != s.vni || vx.Port != n.port() || (tun != nil && !vx.SrcAddr.Equal(tun.local)) {
			log.Warn("overlay: leftover namespace has other VXLAN settings: removed")
			return o, false
		}
		o.vnis = append(o.vnis, s.vni)
		o.devs = append(o.devs, segDevs{br: br.Attrs().Index, vx: vx.Attrs().Index})
		o.mtu = vx.Attrs().MTU
	}
	return o, true
}

// adoptVeths marks joined the endpoints whose veth end is on its bridge
// and deletes the other veths; it returns how many endpoints are joined.
func (n *network) adoptVeths(o *overlayNS, log *logrus.Entry) int {
	links, err := o.nlh.LinkList()
	if err != nil {
		log.WithError(err).Warn("overlay: list links of leftover namespace")
		return 0
	}
	byName := map[string]*endpoint{}
	for _, ep := range n.endpoints {
		byName[ep.hostName] = ep
	}
	joined := 0
	for _, l := range links {
		if l.Type() != "veth" {
			continue
		}
		ep := byName[l.Attrs().Name]
		if ep != nil && l.Attrs().MasterIndex == o.devs[ep.seg].br {
			ep.state = epJoined
			joined++
			continue
		}
		if err := o.nlh.LinkDel(l); err != nil && !isGone(err) {
			log.WithField("veth", l.Attrs().Name).WithError(err).Warn("overlay: delete stray veth")
		}
	}
	return joined
}

// loadEntries records the static FDB and neighbour entries of the VXLAN
// devices as programmed: replayed table entries then keep or replace them
// and the rest are swept.
func (n *network) loadEntries(o *overlayNS, log *logrus.Entry) {
	for seg, dev := range o.devs {
		fdb, err := o.nlh.NeighList(dev.vx, unix.AF_BRIDGE)
		if err != nil {
			log.WithError(err).Warn("overlay: list FDB of leftover namespace")
		}
		for _, e := range fdb {
			if e.Flags&netlink.NTF_SELF != 0 && e.IP != nil && e.State&netlink.NUD_PERMANENT != 0 && len(e.HardwareAddr) == 6 {
				k := claimKey{kind: claimFDB, seg: seg, addr: string(e.HardwareAddr)}
				n.peers.programmed[k] = entry{mac: e.HardwareAddr, ip: normIP(e.IP)}
			}
		}
		for _, fam := range []int{netlink.FAMILY_V4, netlink.FAMILY_V6} {
			nbs, err := o.nlh.NeighList(dev.vx, fam)
			if err != nil {
				log.WithError(err).Warn("overlay: list neighbours of leftover namespace")
			}
			for _, e := range nbs {
				if e.State&netlink.NUD_PERMANENT != 0 && len(e.HardwareAddr) == 6 {
					ip := normIP(e.IP)
					n.peers.programmed[claimKey{kind: claimNeigh, seg: seg, addr: string(ip)}] = entry{mac: e.HardwareAddr, ip: ip}
				}
			}
		}
	}
}

func normIP(ip net.IP) net.IP {
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

// sweepUnclaimed removes the kernel entries that no claim backs, once the
// controller has had the grace to replay the table.
func (n *network) sweepUnclaimed(o *overlayNS) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ons != o {
		return
	}
	var keys []claimKey
	for k := range n.peers.programmed {
		if len(n.peers.claims[k]) == 0 {
			keys = append(keys, k)
		}
	}
	n.peers.reconcile(o, logFor(n.id), keys)
	if len(keys) > 0 {
		logFor(n.id).WithField("entries", len(keys)).Debug("overlay: stale entries removed after restart")
	}
}
