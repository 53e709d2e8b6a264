package bridge

import (
	"strings"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
)

// restore re-adopts the networks and endpoints of the store: each network
// is set up again (existing devices and rules are verified, missing ones
// made), an endpoint whose veth host end is still a port of its bridge is joined and keeps
// its port mappings, the mappings of the others are removed, and host ends
// on our bridges that no endpoint claims are deleted.
func (d *driver) restore() error {
	if d.store == nil {
		return nil
	}
	nobjs, err := d.store.List(datastore.Key(networkKeyPrefix), &networkRecord{})
	if err != nil && !types.IsNotFound(err) {
		return types.InternalErrorf("bridge: list networks in the store: %w", err)
	}
	for _, o := range nobjs {
		rec := o.(*networkRecord)
		cfg, err := rec.config()
		if err != nil {
			d.log("").WithError(err).Warn("restore: skip unreadable network record")
			continue
		}
		n := &bridgeNetwork{id: cfg.ID, config: cfg, d: d, endpoints: map[string]*bridgeEndpoint{}, rec: rec}
		d.networks[n.id] = n
		if err := d.createNetwork(n, true); err != nil {
			// Kept, so that DeleteNetwork can still remove what is left.
			d.log(n.id).WithError(err).Warn("restore: network setup failed")
		}
	}
	d.rollbackCreates()
	eobjs, err := d.store.List(datastore.Key(endpointKeyPrefix), &endpointRecord{})
	if err != nil && !types.IsNotFound(err) {
		return types.InternalErrorf("bridge: list endpoints in the store: %w", err)
	}
	links, err := d.nlh.LinkList()
	if err != nil {
		return types.InternalErrorf("bridge: list links: %w", err)
	}
	present := map[string]netlink.Link{}
	for _, l := range links {
		present[l.Attrs().Name] = l
	}
	claimed := map[string]bool{}
	for _, o := range eobjs {
		rec := o.(*endpointRecord)
		d.restoreEndpoint(rec, present, claimed)
	}
	d.removeStrayHostEnds(links, claimed)
	return nil
}

// restoreFirewall programs the restored networks' rules, replacing what an
// earlier run left, and prunes the port mappings no endpoint came back
// for; with no network, the port mapper's leftovers go too.
func (d *driver) restoreFirewall() {
	if d.fw == nil {
		return
	}
	if err := d.fw.finishRestore(); err != nil {
		d.log("").WithError(err).Warn("restore: rebuild the firewall rules")
	}
	if !d.fw.empty() {
		// Rules adopted from the previous run whose mappings did not
		// come back.
		if err := d.ports.prune(); err != nil {
			d.log("").WithError(err).Warn("restore: prune port mapping rules")
		}
		return
	}
	// The port mapper adopts its tables or chains; stopping it removes
	// them.
	err := d.ports.start()
	if err == nil {
		err = d.ports.stop()
	}
	if err != nil {
		d.log("").WithError(err).Warn("restore: remove leftover port mapping rules")
	}
}

func (d *driver) restoreEndpoint(rec *endpointRecord, present map[string]netlink.Link, claimed map[string]bool) {
	log := d.log(rec.NetworkID).WithField("eid", shortID(rec.ID))
	n, ok := d.networks[rec.NetworkID]
	if !ok {
		log.Debug("restore: endpoint of a network that is gone")
		if err := d.store.DeleteObject(rec); err != nil {
			log.WithError(err).Warn("restore: delete endpoint record")
		}
		return
	}
	ep, err := rec.endpoint()
	if err != nil {
		log.WithError(err).Warn("restore: skip unreadable endpoint record")
		return
	}
	// Joined: its host end is still a port of the network's bridge (Leave
	// takes it off at once).
	if l, ok := present[ep.hostName]; ok && l.Attrs().MasterIndex == n.index() {
		ep.joined = true
		claimed[ep.hostName] = true
		if len(ep.portMapping) > 0 {
			if err := d.ports.restore(n, ep); err != nil {
				log.WithError(err).Warn("restore: port mappings")
			}
		}
	} else if len(ep.portMapping) > 0 {
		// Its rules are pruned once every endpoint is back.
		ep.portMapping = nil
		if err := d.storeEndpoint(ep); err != nil {
			log.WithError(err).Warn("restore: store endpoint")
		}
	}
	n.endpoints[ep.id] = ep
}

// removeStrayHostEnds deletes veth host ends of ours, on our bridges or on
// none, that no endpoint claims (left by a crash between Leave and their
// deletion).
func (d *driver) removeStrayHostEnds(links []netlink.Link, claimed map[string]bool) {
	ours := map[int]bool{}
	for _, n := range d.networks {
		if i := n.index(); i != 0 {
			ours[i] = true
		}
	}
	for _, l := range links {
		a := l.Attrs()
		if l.Type() != "veth" || !strings.HasPrefix(a.Name, hostVethPrefix) || claimed[a.Name] {
			continue
		}
		if a.MasterIndex != 0 && !ours[a.MasterIndex] {
			continue
		}
		if err := d.nlh.LinkDel(l); err != nil && !isGone(err) {
			d.log("").WithField("veth", a.Name).WithError(err).Warn("restore: delete stray veth")
		}
	}
}
