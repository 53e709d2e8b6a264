package lowerdrv

import (
	"strings"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/drivers/internal/parent"
	"github.com/cnmkit/libnetwork/types"
)

// restore re-adopts the networks and endpoints of the store: each network
// claims its parent link again (a sub-interface or dummy link of ours that
// is missing is made again); then links marked as ours that no network
// claims, and interfaces left in the host namespace by joins whose sandbox
// never took them, are deleted.
func (d *Driver) restore() error {
	if d.store == nil {
		return d.sweep()
	}
	nobjs, err := d.store.List(datastore.Key(d.kind.Name), &networkRecord{prefix: d.kind.Name})
	if err != nil && !types.IsNotFound(err) {
		return types.InternalErrorf("%s: list networks in the store: %w", d.kind.Name, err)
	}
	for _, o := range nobjs {
		rec := o.(*networkRecord)
		n, err := rec.network()
		if err != nil {
			d.log("").WithError(err).Warn("restore: skip unreadable network record")
			continue
		}
		var sp parent.Spec
		if !n.cfg.Internal {
			if sp, err = parent.ParseSpec(n.cfg.Parent); err != nil {
				d.log(n.id).WithError(err).Warn("restore: skip network with a bad parent")
				continue
			}
		}
		if n.link, err = d.host.Readopt(n.claim(d.kind.Name), sp, n.cfg.Internal); err != nil {
			// Kept, so that DeleteNetwork can still remove it; its joins fail
			// until the parent is back.
			d.log(n.id).WithError(err).Warn("restore: parent link")
			n.link.Name = rec.Link
		}
		d.networks[n.id] = n
	}
	eobjs, err := d.store.List(datastore.Key(d.endpointPrefix()), &endpointRecord{prefix: d.endpointPrefix()})
	if err != nil && !types.IsNotFound(err) {
		return types.InternalErrorf("%s: list endpoints in the store: %w", d.kind.Name, err)
	}
	for _, o := range eobjs {
		rec := o.(*endpointRecord)
		log := d.log(rec.NetworkID).WithField("eid", shortID(rec.ID))
		n, ok := d.networks[rec.NetworkID]
		if !ok {
			log.Debug("restore: endpoint of a network that is gone")
			if err := d.store.DeleteObject(rec); err != nil {
				log.WithError(err).Warn("restore: delete endpoint record")
			}
			continue
		}
		ep, err := rec.endpoint()
		if err != nil {
			log.WithError(err).Warn("restore: skip unreadable endpoint record")
			continue
		}
		ep.restored = true
		n.endpoints[ep.id] = ep
	}
	return d.sweep()
}

// sweep deletes our unclaimed parent links and the interfaces of our kind
// left in the host namespace under a temporary name of ours.
func (d *Driver) sweep() error {
	if err := d.host.Sweep(); err != nil {
		d.log("").WithError(err).Warn("restore: remove unclaimed parent links")
	}
	links, err := d.nlh.LinkList()
	if err != nil {
		return types.InternalErrorf("%s: list links: %w", d.kind.Name, err)
	}
	for _, l := range links {
		if l.Type() == d.kind.Name && strings.HasPrefix(l.Attrs().Name, d.kind.TmpPrefix) {
			d.deleteHostLink(l.Attrs().Name)
		}
	}
	return nil
}
