package libnetwork

import (
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/osl"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// restore rebuilds the controller's state from the stores: networks (and
// their IPAM pools), endpoints (and their addresses), then sandboxes. Live
// sandboxes get their namespaces back; the others are removed with their
// endpoints; leftover namespaces under the exec root are removed.
func (c *controller) restore() error {
	nets, err := c.restoreNetworks()
	if err != nil {
		return err
	}
	for _, n := range nets {
		c.restoreEndpoints(n)
	}
	if err := c.restoreSandboxes(); err != nil {
		return err
	}
	c.reconcile()
	c.gatewayRestore()
	return nil
}

func (c *controller) restoreNetworks() ([]*network, error) {
	var nets []*network
	for _, scope := range []string{datastore.LocalScope, datastore.GlobalScope} {
		s := c.getStore(scope)
		if s == nil {
			continue
		}
		if scope != datastore.LocalScope && !s.Active() {
			// Found unreachable already: its networks are attached when
			// it is back (the cluster store's watch).
			logrus.Warn("restore: the global store is not reachable: its networks come when it is back")
			continue
		}
		var recs []*netRecord
		if scope != datastore.LocalScope && s.Watchable() {
			// The cluster store: one unreadable record is skipped.
			var err error
			if recs, err = listNetworkRecords(s); err != nil {
				logrus.WithError(err).Warn("restore: list networks of the cluster store")
				continue
			}
		} else {
			objs, err := listObjects(s, []string{networkKeyPrefix}, &netRecord{meta: &kvMeta{}})
			if err != nil {
				if scope == datastore.LocalScope {
					return nil, err
				}
				logrus.WithError(err).Warn("restore: list networks of the global store")
				continue
			}
			for _, o := range objs {
				recs = append(recs, o.(*netRecord))
			}
		}
		for _, r := range recs {
			n, err := c.networkFromRecord(r)
			if err != nil {
				logrus.WithError(err).Warn("restore: skip unreadable network")
				continue
			}
			nets = append(nets, n)
		}
	}
	for _, n := range nets {
		c.networks[n.id] = n
		c.netNames[n.name] = n.id
		c.netIDs[n.id] = true
		log := logrus.WithFields(logrus.Fields{"nid": n.id, "name": n.name})
		d, err := n.driver()
		if err != nil {
			log.WithError(err).Warn("restore: network driver not available")
			continue
		}
		// Drivers that keep state restore it themselves; the special ones
		// (null, host) are told of their network again.
		if n.hasSpecialDriver() {
			if err := d.CreateNetwork(n.id, n.generic, n, nil, nil); err != nil {
				log.WithError(err).Warn("restore: driver create network")
			}
		}
		if !n.storedPools() {
			n.replayPools()
		}
		// Global-scope drivers rebuild from what the controller replays: the
		// network here, the peers through the gossip tables.
		if n.scope == datastore.GlobalScope && !n.hasSpecialDriver() {
			if err := d.CreateNetwork(n.id, n.generic, n, ipamData(n.ipamV4Info), ipamData(n.ipamV6Info)); err != nil {
				log.WithError(err).Warn("restore: driver create network")
			}
		}
	}
	return nets, nil
}

// replayPools requests the network's pools, gateways and auxiliary
// addresses again from an IPAM driver that keeps no state across restarts.
func (n *network) replayPools() {
	if n.hasSpecialDriver() {
		return
	}
	ipam, cap, err := n.ctrl.ipamDriver(n.ipamType)
	if err != nil || !cap.RequiresRequestReplay {
		return
	}
	log := logrus.WithFields(logrus.Fields{"nid": n.id, "name": n.name})
	replay := func(cfgs []*IpamConf, infos []*IpamInfo, v6 bool) {
		for i, d := range infos {
			cfg := &IpamConf{}
			if i < len(cfgs) {
				cfg = cfgs[i]
			}
			poolID, _, _, err := ipam.RequestPool(n.addrSpace, d.Pool.String(), cfg.SubPool, n.ipamOptions, v6)
			if err != nil {
				log.WithError(err).Warnf("restore: request pool %s", d.Pool)
				continue
			}
			if poolID != d.PoolID {
				log.Debugf("restore: pool %s has ID %s (was %s)", d.Pool, poolID, d.PoolID)
				n.poolRemap[d.PoolID] = poolID
				d.PoolID = poolID
			}
			if err := n.allocatePoolAddresses(ipam, cfg, d); err != nil {
				log.WithError(err).Warnf("restore: reserve addresses of pool %s", d.Pool)
			}
		}
	}
	n.poolRemap = map[string]string{}
	replay(n.ipamV4Cfg, n.ipamV4Info, false)
	replay(n.ipamV6Cfg, n.ipamV6Info, true)
}

// restoreEndpoints loads the endpoints of n and requests their addresses again.
func (c *controller) restoreEndpoints(n *network) {
	s := c.getStore(n.storeScope())
	if s == nil {
		return
	}
	log := logrus.WithFields(logrus.Fields{"nid": n.id, "name": n.name})
	objs, err := listObjects(s, []string{endpointKeyPrefix, n.id}, &epRecord{meta: &kvMeta{}, scope: n.storeScope(), NetworkID: n.id})
	if err != nil {
		log.WithError(err).Warn("restore: list endpoints")
		return
	}
	ipam, cap, ierr := c.ipamDriver(n.ipamType)
	replay := ierr == nil && cap.RequiresRequestReplay && !n.hasSpecialDriver() && !n.storedPools()
	shared, me := n.shared(), c.nodeName()
	for _, o := range objs {
		r := o.(*epRecord)
		if shared && r.Host != me {
			continue // another host's endpoint
		}
		r.scope = n.storeScope()
		ep, err := endpointFromRecord(n, r)
		if err != nil {
			log.WithError(err).Warn("restore: skip unreadable endpoint")
			continue
		}
		if id, ok := n.poolRemap[ep.iface.v4PoolID]; ok {
			ep.iface.v4PoolID = id
		}
		if id, ok := n.poolRemap[ep.iface.v6PoolID]; ok {
			ep.iface.v6PoolID = id
		}
		if replay {
			if ep.iface.addr != nil && ep.iface.v4PoolID != "" {
				if _, _, err := ipam.RequestAddress(ep.iface.v4PoolID, ep.iface.addr.IP, ep.ipamOptions); err != nil {
					log.WithField("eid", ep.id).WithError(err).Warnf("restore: request address %s", ep.iface.addr)
				}
			}
			if ep.iface.addrv6 != nil && ep.iface.v6PoolID != "" {
				if _, _, err := ipam.RequestAddress(ep.iface.v6PoolID, ep.iface.addrv6.IP, ep.ipamOptions); err != nil {
					log.WithField("eid", ep.id).WithError(err).Warnf("restore: request address %s", ep.iface.addrv6)
				}
			}
		}
		n.endpoints[ep.id] = ep
		n.epNames[ep.name] = ep.id
	}
}

// restoreSandboxes brings back the live sandboxes and removes the others.
func (c *controller) restoreSandboxes() error {
	cfg := c.config()
	var alive, dead []*sandbox
	known := map[string]bool{}
	if s := c.getStore(datastore.LocalScope); s != nil {
		objs, err := listObjects(s, []string{sandboxKeyPrefix}, &sbRecord{meta: &kvMeta{}})
		if err != nil {
			return err
		}
		for _, o := range objs {
			r := o.(*sbRecord)
			sb := &sandbox{ctrl: c, id: r.ID, containerID: r.ContainerID, config: configFromRecord(r), kv: *r.meta}
			sb.dns.rcHash, sb.dns.rcPath = r.ResolvConfHash, c.resolvConfPath(sb.id, &sb.config)
			known[sb.id] = true
			opts, ok := activeOptions(cfg.ActiveSandboxes, sb)
			if !ok {
				dead = append(dead, sb)
				continue
			}
			if len(opts) > 0 {
				base := containerConfig{useDefaultSandbox: sb.config.useDefaultSandbox, useExternalKey: sb.config.useExternalKey}
				if nc, err := applySandboxOptions(base, opts...); err == nil &&
					nc.useDefaultSandbox == base.useDefaultSandbox && nc.useExternalKey == base.useExternalKey {
					stored := sb.config
					sb.dns.storedCfg = &stored // its files were written for this one
					sb.config = nc
				} else {
					logrus.WithField("sid", sb.id).Warn("restore: options of a live sandbox ignored (invalid, or changing its kind)")
				}
			}
			alive = append(alive, sb)
		}
	}

	// Joined endpoints by sandbox; endpoints joined to unknown sandboxes are stale.
	bySb := map[string][]*endpoint{}
	var orphans []*endpoint
	for _, n := range c.networks {
		for _, ep := range n.endpoints {
			if ep.sandboxID == "" {
				continue
			}
			if known[ep.sandboxID] {
				bySb[ep.sandboxID] = append(bySb[ep.sandboxID], ep)
			} else {
				orphans = append(orphans, ep)
			}
		}
	}

	// Every joined endpoint's records, so that the hosts files can lose
	// the lines of those that do not survive.
	for _, eps := range bySb {
		publishRestored(eps)
	}
	publishRestored(orphans)

	for _, sb := range dead {
		if sb.config.useExternalKey {
			clearExternal(sb, bySb[sb.id])
		}
	}
	keep := map[string]bool{}
	for _, sb := range alive {
		if !sb.config.useDefaultSandbox {
			keep[sb.Key()] = true
		}
	}
	if err := osl.GCAt(cfg.Daemon.ExecRoot, keep); err != nil {
		logrus.WithError(err).Warn("restore: remove leftover namespaces")
	}

	for _, sb := range alive {
		if err := c.reviveSandbox(sb, bySb[sb.id]); err != nil {
			logrus.WithFields(logrus.Fields{"sid": sb.id, "cid": sb.containerID}).WithError(err).Warn("restore: sandbox cannot be revived: removing it")
			dead = append(dead, sb)
		}
	}
	for _, sb := range dead {
		logrus.WithFields(logrus.Fields{"sid": sb.id, "cid": sb.containerID}).Debug("restore: removing stale sandbox")
		for _, ep := range bySb[sb.id] {
			c.removeStaleEndpoint(ep)
		}
		if err := c.deleteObject(sb.recordLocked()); err != nil {
			logrus.WithField("sid", sb.id).WithError(err).Warn("restore: delete stale sandbox from store")
		}
		if !sb.config.useDefaultSandbox {
			// Normally gone with osl.GC already.
			_ = ns.RemovePinned(sb.Key())
		}
	}
	for _, ep := range orphans {
		c.removeStaleEndpoint(ep)
	}
	var live []*sandbox
	for _, sb := range alive {
		if c.sandboxes[sb.id] == sb {
			live = append(live, sb)
		}
	}
	c.dnsRestore(live)
	return nil
}

// reviveSandbox reopens a live sandbox's namespace and re-attaches its endpoints.
func (c *controller) reviveSandbox(sb *sandbox, eps []*endpoint) error {
	key := sb.Key()
	var err error
	switch {
	case sb.config.useDefaultSandbox:
		sb.osSb, err = c.acquireDefaultSandbox()
	case sb.config.useExternalKey:
		if ns.IsNetNS(key) {
			sb.osSb, err = osl.NewSandboxRestore(key, true, true)
		}
	default:
		sb.osSb, err = osl.NewSandboxRestore(key, true, true)
		sb.ownNS = true
	}
	if err != nil {
		return err
	}
	sb.endpoints = eps
	// The hosts file holds the lines of these endpoints and their peers,
	// including those about to be removed as stale.
	sb.setManagedHosts(sb.restoredHosts(eps))
	sb.gwEp = sb.gatewayEndpoint()
	if sb.osSb != nil && !sb.config.useDefaultSandbox {
		removeRetired(sb.id, sb.osSb, eps)
	}
	c.sandboxes[sb.id] = sb
	c.containers[sb.containerID] = sb.id
	c.countPeerHosts(false, sb.config.hostsPeers)
	for _, ep := range eps {
		if ep.joinInfo != nil {
			if err := c.publishEntries(ep.network.id, ep.joinInfo.tableEntries); err != nil {
				logrus.WithField("eid", ep.id).WithError(err).Warn("restore: publish table entries")
			}
		}
	}
	return nil
}

// removeStaleEndpoint removes an endpoint joined to a sandbox that is gone:
// driver leave and delete, table entries, addresses and store object.
func (c *controller) removeStaleEndpoint(ep *endpoint) {
	ep.opMu.Lock()
	defer ep.opMu.Unlock()
	ep.forgetJoin()
	if err := ep.deleteLocked(true); err != nil {
		logrus.WithField("eid", ep.id).WithError(err).Warn("restore: remove stale endpoint")
	}
}

// activeOptions looks a sandbox up in the embedder's map of live sandboxes
// (by sandbox ID, then container ID); the value may hold its options as a
// []SandboxOption or a SandboxOption.
func activeOptions(active map[string]interface{}, sb *sandbox) ([]SandboxOption, bool) {
	v, ok := active[sb.id]
	if !ok {
		v, ok = active[sb.containerID]
	}
	if !ok {
		return nil, false
	}
	switch o := v.(type) {
	case []SandboxOption:
		return o, true
	case SandboxOption:
		return []SandboxOption{o}, true
	}
	return nil, true
}

// removeRetired deletes the interfaces that were left (retired) but not yet
// deleted when the previous controller ended.
func removeRetired(sid string, osSb osl.Sandbox, eps []*endpoint) {
	claimed := map[string]bool{}
	for _, ep := range eps {
		if ep.iface.dstName != "" {
			claimed[ep.iface.dstName] = true
		}
	}
	retired := map[string]bool{}
	_ = osSb.InvokeNetlink(func(nlh *netlink.Handle) error {
		links, err := nlh.LinkList()
		if err != nil {
			return err
		}
		for _, l := range links {
			if l.Attrs().Alias == retiredAlias {
				retired[l.Attrs().Name] = true
			}
		}
		return nil
	})
	for _, i := range osSb.Interfaces() {
		if retired[i.DstName()] && !claimed[i.DstName()] {
			if err := i.Remove(); err != nil {
				logrus.WithFields(logrus.Fields{"sid": sid, "iface": i.DstName()}).WithError(err).Warn("restore: remove retired interface")
			}
		}
	}
}

// clearExternal removes a dead sandbox's interfaces from a namespace the
// runtime made (it may outlive the sandbox) and unbinds it from the key.
func clearExternal(sb *sandbox, eps []*endpoint) {
	key := sb.Key()
	if !ns.IsNetNS(key) {
		return
	}
	osSb, err := osl.NewSandboxRestore(key, true, true)
	if err != nil {
		logrus.WithField("sid", sb.id).WithError(err).Warn("restore: open external namespace of a stale sandbox")
		return
	}
	for _, ep := range eps {
		for _, i := range osSb.Interfaces() {
			if ep.iface.dstName != "" && i.DstName() == ep.iface.dstName {
				if err := i.Remove(); err != nil {
					logrus.WithFields(logrus.Fields{"sid": sb.id, "iface": i.DstName()}).WithError(err).Warn("restore: remove interface of a stale sandbox")
				}
			}
		}
	}
	if err := osSb.Destroy(); err != nil {
		logrus.WithField("sid", sb.id).WithError(err).Warn("restore: unbind external namespace")
	}
}
