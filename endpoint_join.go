package libnetwork

import (
	"time"

	"github.com/cnmkit/libnetwork/internal/opstats"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// Join joins the sandbox to the endpoint: the driver plugs the endpoint's
// interface into the sandbox, the controller configures it there, and the
// sandbox's default gateway goes to its highest-priority endpoint.
func (ep *endpoint) Join(sbox Sandbox, options ...EndpointOption) (err error) {
	defer ep.network.ctrl.ops.End(opstats.Join, time.Now(), &err)
	sb, err := ep.checkSandboxArg(sbox, "join")
	if err != nil {
		return err
	}
	if err := ep.network.ctrl.checkRunning(); err != nil {
		return err
	}
	if ep.network.gwBridge {
		return ep.gatewayManaged("join")
	}
	sb.opMu.Lock()
	defer sb.opMu.Unlock()
	ep.opMu.Lock()
	defer ep.opMu.Unlock()
	return ep.sbJoin(sb, options...)
}

// Leave detaches the endpoint from the sandbox and removes what Join put there.
func (ep *endpoint) Leave(sbox Sandbox, options ...EndpointOption) (err error) {
	defer ep.network.ctrl.ops.End(opstats.Leave, time.Now(), &err)
	sb, err := ep.checkSandboxArg(sbox, "leave")
	if err != nil {
		return err
	}
	if err := ep.network.ctrl.checkRunning(); err != nil {
		return err
	}
	if ep.network.gwBridge {
		return ep.gatewayManaged("leave")
	}
	sb.opMu.Lock()
	defer sb.opMu.Unlock()
	ep.opMu.Lock()
	defer ep.opMu.Unlock()
	if err := sb.checkUsable(); err != nil {
		return err
	}
	return ep.sbLeave(sb, false, true)
}

// gatewayManaged refuses a user's operation on a gateway endpoint.
func (ep *endpoint) gatewayManaged(op string) error {
	return types.ForbiddenErrorf("cannot %s endpoint %s (%s): gateway endpoints of network %s are managed by the controller", op, ep.Name(), ep.id, GatewayNetworkName)
}

func (ep *endpoint) checkSandboxArg(sbox Sandbox, op string) (*sandbox, error) {
	if sbox == nil {
		return nil, types.BadRequestErrorf("endpoint %s (%s) cannot %s a nil sandbox", ep.Name(), ep.id, op)
	}
	sb, ok := sbox.(*sandbox)
	if !ok || sb == nil {
		return nil, types.BadRequestErrorf("endpoint %s (%s) cannot %s sandbox %s: not a sandbox of this package", ep.Name(), ep.id, op, sbox.ID())
	}
	if sb.ctrl != ep.network.ctrl {
		return nil, types.BadRequestErrorf("endpoint %s (%s) cannot %s sandbox %s of another controller", ep.Name(), ep.id, op, sb.id)
	}
	return sb, nil
}

// sbJoin does the join; the caller holds sb.opMu and ep.opMu. On error
// everything it did is undone.
func (ep *endpoint) sbJoin(sb *sandbox, options ...EndpointOption) (err error) {
	if err := sb.checkUsable(); err != nil {
		return err
	}
	ep.mu.Lock()
	deleted, sid, name := ep.deleted, ep.sandboxID, ep.name
	ep.mu.Unlock()
	if deleted {
		return ErrNoSuchEndpoint(ep.id)
	}
	if sid != "" {
		if sid == sb.id {
			return types.ForbiddenErrorf("endpoint %s (%s) is already joined to sandbox %s", name, ep.id, sb.id)
		}
		return types.ForbiddenErrorf("another container is attached to the same network endpoint %s (%s)", name, ep.id)
	}
	n, c := ep.network, ep.network.ctrl
	// Join options go to a scratch endpoint: a bad one changes nothing.
	scratch := &endpoint{id: ep.id, network: n}
	scratch.processOptions(options...)
	if scratch.optErr != nil {
		return scratch.optErr
	}
	d, err := n.driver()
	if err != nil {
		return err
	}
	sb.drainRemovals()

	log := logrus.WithFields(logrus.Fields{"nid": n.id, "eid": ep.id, "sid": sb.id})
	var undo undoStack
	defer func() {
		if err != nil {
			undo.run()
		}
	}()

	done, err := c.begin(intent{Op: opJoin, Network: n.id, Driver: n.networkType, Endpoint: ep.id, Sandbox: sb.id})
	if err != nil {
		return err
	}
	defer done()

	jc := &joinCtx{ep: ep}
	sb.mu.Lock()
	if !sb.config.useDefaultSandbox {
		jc.osSb = sb.osSb // names are suggested only where the sandbox renames
	}
	sb.mu.Unlock()
	jc.info.priority = scratch.joinPrio
	if err := d.Join(n.id, ep.id, sb.Key(), jc, sb.Labels()); err != nil {
		return driverErr(err, "driver %s: join endpoint %s (%s) to sandbox %s", n.networkType, name, ep.id, sb.id)
	}
	undo.push(func() {
		if err := d.Leave(n.id, ep.id); err != nil {
			log.WithError(err).Warn("undo join: driver leave")
		}
	})
	step(opJoin, "driver")

	jc.mu.Lock()
	info := jc.info
	srcName, dstPrefix, routes := jc.srcName, jc.dstPrefix, jc.routes
	jc.mu.Unlock()

	dstName := ""
	if osSb := sb.osSandbox(); osSb != nil {
		if dstName, err = sb.populateEndpoint(osSb, ep, srcName, dstPrefix, routes, &info, &undo); err != nil {
			return err
		}
	}
	step(opJoin, "interface")

	// The embedded DNS server answers before the join is reported done.
	started, err := sb.startResolver(ep)
	if err != nil {
		return err
	}
	if started {
		undo.push(func() { sb.stopResolver(false) })
	}

	// Published once the interface is configured and up, so that peers never
	// learn of an endpoint that cannot answer yet.
	info.tableEntries = c.agentJoinEntries(ep, info.tableEntries)
	if err := c.publishEntries(n.id, info.tableEntries); err != nil {
		return err
	}
	undo.push(func() { c.withdrawEntries(n.id, info.tableEntries) })

	// Commit the join in memory, then move the gateway if this endpoint
	// now gives it.
	ep.mu.Lock()
	oldGeneric := ep.generic
	if len(scratch.generic) > 0 {
		g := make(map[string]interface{}, len(ep.generic)+len(scratch.generic))
		for k, v := range ep.generic {
			g[k] = v
		}
		for k, v := range scratch.generic {
			g[k] = v
		}
		ep.generic = g
	}
	ep.sandboxID = sb.id
	ji := info
	ep.joinInfo = &ji
	ep.iface.srcName, ep.iface.dstPrefix, ep.iface.dstName, ep.iface.routes = srcName, dstPrefix, dstName, routes
	ep.mu.Unlock()
	sb.addEndpoint(ep)
	undo.push(func() {
		sb.removeEndpoint(ep)
		ep.mu.Lock()
		ep.generic = oldGeneric
		ep.sandboxID, ep.joinInfo = "", nil
		ep.iface.srcName, ep.iface.dstPrefix, ep.iface.dstName, ep.iface.routes = "", "", "", nil
		ep.mu.Unlock()
	})

	step(opJoin, "resolver")
	if err := sb.moveGateway(&undo); err != nil {
		return err
	}
	step(opJoin, "gateway")
	// A sandbox left without a way out gets its gateway endpoint before
	// the join is reported done.
	if !n.gwBridge {
		if err := sb.addGatewayIfNeeded(&undo); err != nil {
			return err
		}
	}

	if err := c.putObject(ep.record()); err != nil {
		return err
	}
	step(opJoin, "stored")
	sb.dnsJoined(ep)
	if !n.gwBridge {
		sb.dropGatewayIfUnneeded()
	}
	log.Debug("endpoint joined")
	return nil
}

// sbLeave undoes a join; the caller holds sb.opMu and ep.opMu. Once the
// arguments are checked it always completes: driver failures are logged.
// Without persist the caller writes (or deletes) the endpoint's record.
func (ep *endpoint) sbLeave(sb *sandbox, force, persist bool) error {
	ep.mu.Lock()
	sid, name := ep.sandboxID, ep.name
	ep.mu.Unlock()
	if sid == "" {
		return types.ForbiddenErrorf("cannot leave endpoint %s (%s): it is not joined to any sandbox", name, ep.id)
	}
	if sid != sb.id {
		return types.ForbiddenErrorf("cannot leave endpoint %s (%s) from sandbox %s: it is joined to sandbox %s", name, ep.id, sb.id, sid)
	}
	n, c := ep.network, ep.network.ctrl
	log := logrus.WithFields(logrus.Fields{"nid": n.id, "eid": ep.id, "sid": sb.id})
	if done, err := c.begin(intent{Op: opLeave, Network: n.id, Driver: n.networkType, Endpoint: ep.id, Sandbox: sb.id}); err != nil {
		log.WithError(err).Warn("leave: record intent")
	} else {
		defer done()
	}
	// Its names stop resolving first.
	hadRecords := ep.dnsLeaving()

	d, derr := n.driver()
	sb.mu.Lock()
	wasGw := sb.gwEp == ep
	sb.mu.Unlock()
	if derr == nil {
		if wasGw && !n.internal {
			if err := d.RevokeExternalConnectivity(n.id, ep.id); err != nil {
				log.WithError(err).Warn("leave: driver revoke external connectivity")
			}
		}
		if err := d.Leave(n.id, ep.id); err != nil {
			log.WithError(err).Warn("leave: driver leave")
		}
	} else {
		log.WithError(derr).Warn("leave: no driver")
	}
	step(opLeave, "driver")

	ep.mu.Lock()
	info := ep.joinInfo
	dstName, srcName := ep.iface.dstName, ep.iface.srcName
	ep.mu.Unlock()
	if info != nil {
		c.withdrawEntries(n.id, info.tableEntries)
	}
	if osSb := sb.osSandbox(); osSb != nil {
		sb.clearEndpoint(osSb, srcName, dstName, info)
	}
	step(opLeave, "interface")

	ep.mu.Lock()
	ep.sandboxID, ep.joinInfo = "", nil
	ep.iface.srcName, ep.iface.dstPrefix, ep.iface.dstName, ep.iface.routes = "", "", "", nil
	ep.mu.Unlock()
	sb.removeEndpoint(ep)
	sb.mu.Lock()
	inDelete := sb.inDelete
	if wasGw {
		sb.gwEp = nil
	}
	sb.mu.Unlock()
	// A sandbox being deleted loses all its endpoints: no gateway moves.
	if !inDelete {
		if wasGw {
			if err := sb.setOSGateway(sb.osSandbox(), nil); err != nil {
				log.WithError(err).Warn("leave: unset default gateway")
			}
		}
		if err := sb.moveGateway(nil); err != nil {
			log.WithError(err).Warn("leave: move gateway")
		}
	}
	sb.dnsLeft(ep, hadRecords)
	if !n.gwBridge {
		sb.syncGateway()
	}
	if persist {
		if err := c.putObject(ep.record()); err != nil {
			if !force {
				return err
			}
			log.WithError(err).Warn("leave: store")
		}
		step(opLeave, "stored")
	}
	log.Debug("endpoint left")
	return nil
}

// undoStack runs undo steps newest first.
type undoStack []func()

func (u *undoStack) push(f func()) { *u = append(*u, f) }

func (u *undoStack) run() {
	for i := len(*u) - 1; i >= 0; i-- {
		(*u)[i]()
	}
	*u = nil
}

// driverErr keeps a typed driver error's class; untyped ones become internal.
func driverErr(err error, format string, a ...interface{}) error {
	return wrapIpamErr(err, format, a...)
}
