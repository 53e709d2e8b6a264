package libnetwork

import (
	"errors"
	"net"
	"time"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/internal/opstats"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// CreateEndpoint creates an endpoint named name: its addresses from IPAM,
// then the driver's endpoint. On any error nothing is left allocated,
// registered or stored.
func (n *network) CreateEndpoint(name string, options ...EndpointOption) (_ Endpoint, err error) {
	defer n.ctrl.ops.End(opstats.EndpointCreate, time.Now(), &err)
	if n.gwBridge {
		return nil, types.ForbiddenErrorf("cannot create endpoint %s on network %s: its endpoints are made by the controller", name, n.name)
	}
	return n.createEndpoint(name, options...)
}

// createEndpoint does CreateEndpoint.
func (n *network) createEndpoint(name string, options ...EndpointOption) (Endpoint, error) {
	if !config.IsValidName(name) {
		return nil, ErrInvalidName(name)
	}
	c := n.ctrl
	if err := c.checkRunning(); err != nil {
		return nil, err
	}
	ep := &endpoint{network: n, id: generateID(), name: name, generic: map[string]interface{}{}}
	ep.processOptions(options...)
	if ep.optErr != nil {
		return nil, ep.optErr
	}
	if mac, ok := ep.generic[netlabel.MacAddress].(net.HardwareAddr); ok {
		ep.iface.mac = types.GetMacCopy(mac)
	}

	n.mu.Lock()
	switch {
	case n.deleted:
		n.mu.Unlock()
		return nil, &UnknownNetworkError{name: n.name, id: n.id}
	case n.deleting:
		n.mu.Unlock()
		return nil, types.ForbiddenErrorf("network %s (%s) is being deleted", n.name, n.id)
	}
	if _, ok := n.epNames[name]; ok {
		n.mu.Unlock()
		return nil, duplicateErrorf("endpoint with name %s already exists in network %s", name, n.name)
	}
	n.epNames[name] = ep.id
	n.pending++
	n.mu.Unlock()

	ep.opMu.Lock()
	defer ep.opMu.Unlock()
	err := ep.create()

	n.mu.Lock()
	n.pending--
	if err != nil {
		delete(n.epNames, name)
	} else {
		n.endpoints[ep.id] = ep
	}
	n.mu.Unlock()
	if err != nil {
		return nil, err
	}
	logrus.WithFields(logrus.Fields{"nid": n.id, "eid": ep.id, "name": name}).Debug("endpoint created")
	return ep, nil
}

// create allocates the endpoint's addresses, creates it in the driver and
// stores it; on error it undoes what it did. On a network made with
// NetworkOptionDeferIPv6Alloc the IPv6 address is taken after the driver's
// CreateEndpoint: the one the driver set, if it set one.
func (ep *endpoint) create() (err error) {
	n := ep.network
	d, err := n.driver()
	if err != nil {
		return err
	}
	if n.shared() {
		var doneClaim func()
		if ep.claim, doneClaim, err = n.ctrl.newClaim(intent{Op: opEndpointClaim, Network: n.id, Endpoint: ep.id}); err != nil {
			return err
		}
		defer func() {
			doneClaim()
			ep.claim = nil
		}()
		// Counted before anything is taken: a network deleted meanwhile
		// on another host refuses the count.
		if err = n.ctrl.countEndpoint(n, ep.id); err != nil {
			return err
		}
		defer func() {
			if err != nil {
				if e := n.ctrl.uncountEndpoints(n, ep.id); e != nil {
					logrus.WithFields(logrus.Fields{"nid": n.id, "eid": ep.id}).WithError(e).Warn("undo create endpoint: endpoint count")
				}
			}
		}()
	}
	var ipam ipamapi.Ipam
	if !n.hasSpecialDriver() {
		var cap *ipamapi.Capability
		if ipam, cap, err = n.ctrl.ipamDriver(n.ipamType); err != nil {
			return err
		}
		if cap.RequiresMACAddress {
			if ep.iface.mac == nil {
				ep.iface.mac = netutils.GenerateRandomMAC()
			}
			if ep.ipamOptions == nil {
				ep.ipamOptions = make(map[string]string)
			}
			ep.ipamOptions[netlabel.MacAddress] = ep.iface.mac.String()
		}
		defer func() {
			if err != nil {
				ep.releaseAddress()
			}
		}()
		if err = ep.assignAddress(ipam, false); err != nil {
			return err
		}
		if !n.postIPv6 {
			if err = ep.assignAddress(ipam, true); err != nil {
				return err
			}
		}
	}
	generic := make(map[string]interface{}, len(ep.generic))
	for k, v := range ep.generic {
		generic[k] = v
	}
	done, err := n.ctrl.begin(intent{Op: opEndpointCreate, Network: n.id, Driver: n.networkType, Endpoint: ep.id})
	if err != nil {
		return err
	}
	defer done()
	if err = d.CreateEndpoint(n.id, ep.id, driverIface{ep}, generic); err != nil {
		return driverErr(err, "driver %s: create endpoint %s in network %s", n.networkType, ep.name, n.name)
	}
	step(opEndpointCreate, "driver")
	defer func() {
		if err != nil {
			if e := d.DeleteEndpoint(n.id, ep.id); e != nil {
				logrus.WithFields(logrus.Fields{"nid": n.id, "eid": ep.id}).WithError(e).Warn("undo create endpoint: driver delete")
			}
		}
	}()
	if ipam != nil && n.postIPv6 {
		if err = ep.assignAddress(ipam, true); err != nil {
			return err
		}
	}
	if err = n.ctrl.putObject(ep.record()); err != nil {
		return err
	}
	step(opEndpointCreate, "stored")
	return nil
}

// assignAddress requests the endpoint's address of one IP version from the
// network's pools: the preferred one, or any free one.
func (ep *endpoint) assignAddress(ipam ipamapi.Ipam, v6 bool) error {
	n := ep.network
	infos := n.getIPInfo(v6)
	pref, ver := ep.prefAddress, 4
	if v6 {
		pref, ver = ep.prefAddressV6, 6
		ep.mu.Lock()
		if ep.iface.addrv6 != nil && ep.iface.v6PoolID == "" {
			// Set by the driver (deferred allocation): reserve it.
			pref = ep.iface.addrv6.IP
		}
		ep.mu.Unlock()
	}
	if len(infos) == 0 {
		if pref != nil {
			return types.BadRequestErrorf("invalid address %s: network %s has no IPv%d pool", pref, n.name, ver)
		}
		return nil
	}
	for _, d := range infos {
		if pref != nil && !d.Pool.Contains(pref) {
			continue
		}
		addr, _, err := ipam.RequestAddress(d.PoolID, pref, addressOptions(ep.ipamOptions, v6))
		if err == nil {
			if ep.claim != nil {
				ep.claim.addAddr(d.PoolID, addr)
				step(opEndpointClaim, "address")
			}
			ep.mu.Lock()
			if v6 {
				ep.iface.addrv6, ep.iface.v6PoolID = addr, d.PoolID
			} else {
				ep.iface.addr, ep.iface.v4PoolID = addr, d.PoolID
			}
			ep.mu.Unlock()
			return nil
		}
		if pref != nil || !errors.Is(err, ipamapi.ErrNoAvailableIPs) {
			return wrapIpamErr(err, "allocate IPv%d address %v for endpoint %s in network %s", ver, pref, ep.name, n.name)
		}
	}
	if pref != nil {
		return types.BadRequestErrorf("invalid address %s: it does not belong to any of network %s's subnets", pref, n.name)
	}
	return types.NoServiceErrorf("no available IPv%d addresses on network %s (%s)", ver, n.name, n.id)
}

// releaseAddress gives the endpoint's addresses back to IPAM.
func (ep *endpoint) releaseAddress() {
	n := ep.network
	if n.hasSpecialDriver() {
		return
	}
	ipam, _, err := n.ctrl.ipamDriver(n.ipamType)
	if err != nil {
		return
	}
	ep.mu.Lock()
	addr, pool4, addr6, pool6 := ep.iface.addr, ep.iface.v4PoolID, ep.iface.addrv6, ep.iface.v6PoolID
	ep.iface.v4PoolID, ep.iface.v6PoolID = "", ""
	ep.mu.Unlock()
	log := logrus.WithFields(logrus.Fields{"nid": n.id, "eid": ep.id})
	if addr != nil && pool4 != "" {
		if err := ipam.ReleaseAddress(pool4, addr.IP); err != nil {
			log.WithError(err).Warnf("release address %s", addr)
		}
	}
	if addr6 != nil && pool6 != "" {
		if err := ipam.ReleaseAddress(pool6, addr6.IP); err != nil {
			log.WithError(err).Warnf("release address %s", addr6)
		}
	}
}

// Delete deletes the endpoint. A joined endpoint is deleted only with
// force, after it leaves its sandbox.
func (ep *endpoint) Delete(force bool) (err error) {
	c := ep.network.ctrl
	defer c.ops.End(opstats.EndpointDelete, time.Now(), &err)
	if err := c.checkRunning(); err != nil {
		return err
	}
	if ep.network.gwBridge {
		return ep.gatewayManaged("delete")
	}
	for {
		ep.mu.Lock()
		sid, name, deleted := ep.sandboxID, ep.name, ep.deleted
		ep.mu.Unlock()
		if deleted {
			return ErrNoSuchEndpoint(ep.id)
		}
		if sid != "" && !force {
			return &ActiveContainerError{name: name, id: ep.id}
		}
		var sb *sandbox
		if sid != "" {
			sb = c.sandboxByID(sid)
		}
		if sb != nil {
			sb.opMu.Lock()
		}
		ep.opMu.Lock()
		if ep.getSandboxID() != sid {
			ep.opMu.Unlock()
			if sb != nil {
				sb.opMu.Unlock()
			}
			continue
		}
		err := ep.deleteJoined(sb, force)
		ep.opMu.Unlock()
		if sb != nil {
			sb.opMu.Unlock()
		}
		return err
	}
}

// deleteJoined leaves sb when joined to it, then deletes the endpoint; the
// caller holds sb.opMu (when sb is not nil) and ep.opMu.
func (ep *endpoint) deleteJoined(sb *sandbox, force bool) error {
	ep.mu.Lock()
	deleted, sid, name := ep.deleted, ep.sandboxID, ep.name
	ep.mu.Unlock()
	if deleted {
		return ErrNoSuchEndpoint(ep.id)
	}
	if sid != "" {
		if !force {
			return &ActiveContainerError{name: name, id: ep.id}
		}
		if sb != nil {
			if err := ep.sbLeave(sb, true, false); err != nil {
				return err
			}
		} else {
			ep.forgetJoin()
		}
		if err := ep.deleteLocked(force); err != nil {
			// Still there, and no longer joined: say so in the store.
			if serr := ep.network.ctrl.putObject(ep.record()); serr != nil {
				logrus.WithField("eid", ep.id).WithError(serr).Warn("delete endpoint: store")
			}
			return err
		}
		return nil
	}
	return ep.deleteLocked(force)
}

// forgetJoin drops the join of an endpoint whose sandbox is gone.
func (ep *endpoint) forgetJoin() {
	n := ep.network
	if d, err := n.driver(); err == nil {
		if err := d.Leave(n.id, ep.id); err != nil {
			logrus.WithFields(logrus.Fields{"nid": n.id, "eid": ep.id}).WithError(err).Debug("driver leave of endpoint without sandbox")
		}
	}
	ep.mu.Lock()
	info := ep.joinInfo
	ep.sandboxID, ep.joinInfo = "", nil
	ep.iface.srcName, ep.iface.dstPrefix, ep.iface.dstName, ep.iface.routes = "", "", "", nil
	ep.mu.Unlock()
	if info != nil {
		n.ctrl.withdrawEntries(n.id, info.tableEntries)
	}
	ep.dnsForget()
}

// deleteLocked deletes a non-joined endpoint; the caller holds ep.opMu.
func (ep *endpoint) deleteLocked(force bool) error {
	n := ep.network
	log := logrus.WithFields(logrus.Fields{"nid": n.id, "eid": ep.id})
	d, err := n.driver()
	if err != nil && !force {
		return err
	}
	done, err := n.ctrl.begin(intent{Op: opEndpointDelete, Network: n.id, Driver: n.networkType, Endpoint: ep.id})
	if err != nil {
		return err
	}
	defer done()
	if d != nil {
		if err := d.DeleteEndpoint(n.id, ep.id); err != nil {
			if !force {
				return driverErr(err, "driver %s: delete endpoint %s", n.networkType, ep.id)
			}
			log.WithError(err).Warn("delete endpoint: driver")
		}
	}
	step(opEndpointDelete, "driver")
	ep.releaseAddress()
	serr := n.ctrl.deleteObject(ep.record())
	step(opEndpointDelete, "stored")
	if n.shared() {
		if err := n.ctrl.uncountEndpoints(n, ep.id); err != nil {
			log.WithError(err).Warn("delete endpoint: endpoint count")
		}
	}
	ep.mu.Lock()
	ep.deleted = true
	name := ep.name
	ep.mu.Unlock()
	n.mu.Lock()
	delete(n.endpoints, ep.id)
	if n.epNames[name] == ep.id {
		delete(n.epNames, name)
	}
	n.mu.Unlock()
	if serr != nil {
		log.WithError(serr).Warn("delete endpoint from store")
	}
	log.Debug("endpoint deleted")
	return nil
}

// addressOptions returns the IPAM options of an address request. IPv4
// addresses are handed out serially unless the caller said otherwise, so a
// just-freed address is not given straight to the next endpoint (its old
// owner's state, such as port rules or peers' ARP caches, may still be around).
func addressOptions(opts map[string]string, v6 bool) map[string]string {
	if v6 {
		return opts
	}
	if _, ok := opts[ipamapi.AllocSerialPrefix]; ok {
		return opts
	}
	out := make(map[string]string, len(opts)+1)
	for k, v := range opts {
		out[k] = v
	}
	out[ipamapi.AllocSerialPrefix] = "true"
	return out
}
