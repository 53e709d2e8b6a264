package libnetwork

import (
	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/osl"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// SetKey hands the sandbox the network namespace at path (made by the
// runtime) for a sandbox created with OptionUseExternalKey. The endpoints
// already joined are configured in it.
func (sb *sandbox) SetKey(path string) error {
	if path == "" {
		return types.BadRequestErrorf("invalid sandbox key %q for sandbox %s", path, sb.id)
	}
	if err := sb.ctrl.checkRunning(); err != nil {
		return err
	}
	sb.opMu.Lock()
	defer sb.opMu.Unlock()
	if err := sb.checkUsable(); err != nil {
		return err
	}
	sb.mu.Lock()
	ext, old := sb.config.useExternalKey, sb.osSb
	sb.mu.Unlock()
	if !ext {
		return types.ForbiddenErrorf("sandbox %s was not created with OptionUseExternalKey: its key cannot be set", sb.id)
	}
	if !ns.IsNetNS(path) {
		return types.BadRequestErrorf("sandbox key %q for sandbox %s is not a network namespace", path, sb.id)
	}
	eps := sb.sortedEndpoints()
	if old != nil {
		// Moving to a new home: take our interfaces out of the old one.
		sb.stopResolver(false)
		sb.drainRemovals()
		for _, ep := range eps {
			ep.mu.Lock()
			info, src, dst := ep.joinInfo, ep.iface.srcName, ep.iface.dstName
			ep.mu.Unlock()
			sb.clearEndpointNow(old, src, dst, info)
		}
		sb.mu.Lock()
		sb.osSb = nil
		sb.mu.Unlock()
		if err := old.Destroy(); err != nil {
			return err
		}
	}
	osSb, err := osl.GetSandboxForExternalKey(path, sb.Key())
	if err != nil {
		return err
	}
	var undo undoStack
	fail := func(err error) error {
		sb.stopResolver(false)
		undo.run()
		sb.mu.Lock()
		sb.osSb = nil
		sb.mu.Unlock()
		_ = osSb.Destroy()
		return err
	}
	// Runtimes do not always bring it up.
	if err := osSb.InvokeNetlink(loopbackUp); err != nil {
		_ = osSb.Destroy()
		return types.InternalErrorf("sandbox %s: set loopback up in %s: %w", sb.id, path, err)
	}
	sb.mu.Lock()
	sb.osSb = osSb
	sb.mu.Unlock()
	for _, ep := range eps {
		ep.opMu.Lock()
		ep.mu.Lock()
		info := ep.joinInfo
		src, prefix, routes := ep.iface.srcName, ep.iface.dstPrefix, ep.iface.routes
		ep.mu.Unlock()
		if info == nil {
			info = &endpointJoinInfo{}
		}
		dst, err := sb.populateEndpoint(osSb, ep, src, prefix, routes, info, &undo)
		if err == nil {
			ep.mu.Lock()
			ep.iface.dstName = dst
			ep.mu.Unlock()
		}
		ep.opMu.Unlock()
		if err != nil {
			return fail(err)
		}
	}
	sb.mu.Lock()
	gwEp := sb.gwEp
	sb.mu.Unlock()
	if err := sb.setOSGateway(osSb, gwEp); err != nil {
		return fail(err)
	}
	if _, err := sb.startResolver(nil); err != nil {
		return fail(err)
	}
	if sb.syncResolvConf() {
		sb.persist()
	}
	logrus.WithFields(logrus.Fields{"sid": sb.id, "path": path}).Debug("sandbox key set")
	return nil
}

// loopbackUp sets the namespace's loopback interface up.
func loopbackUp(nlh *netlink.Handle) error {
	lo, err := nlh.LinkByName("lo")
	if err != nil {
		return err
	}
	return nlh.LinkSetUp(lo)
}

// clearEndpointNow removes an endpoint's interface and routes from osSb at once.
func (sb *sandbox) clearEndpointNow(osSb osl.Sandbox, srcName, dstName string, info *endpointJoinInfo) {
	if info != nil {
		for _, r := range info.staticRoutes {
			_ = osSb.RemoveStaticRoute(r)
		}
	}
	for _, i := range osSb.Interfaces() {
		if (dstName != "" && i.DstName() == dstName) || (dstName == "" && srcName != "" && i.SrcName() == srcName) {
			if err := i.Remove(); err != nil {
				logrus.WithFields(logrus.Fields{"sid": sb.id, "iface": i.DstName()}).WithError(err).Warn("remove interface")
			}
		}
	}
}

// Refresh leaves every endpoint, replaces the sandbox's options and joins
// the endpoints again (with their priorities).
func (sb *sandbox) Refresh(options ...SandboxOption) error {
	if err := sb.ctrl.checkRunning(); err != nil {
		return err
	}
	sb.opMu.Lock()
	defer sb.opMu.Unlock()
	if err := sb.checkUsable(); err != nil {
		return err
	}
	sb.mu.Lock()
	base := containerConfig{useDefaultSandbox: sb.config.useDefaultSandbox, useExternalKey: sb.config.useExternalKey}
	sb.mu.Unlock()
	cfg, err := applySandboxOptions(base, options...)
	if err != nil {
		return err
	}
	if cfg.useDefaultSandbox != base.useDefaultSandbox || cfg.useExternalKey != base.useExternalKey {
		return types.BadRequestErrorf("sandbox %s: Refresh cannot change OptionUseDefaultSandbox or OptionUseExternalKey", sb.id)
	}
	// The gateway endpoint goes with the old options and is made again,
	// if still needed, once every endpoint has joined again.
	eps := sb.userEndpoints()
	prios := make(map[*endpoint]int, len(eps))
	sb.mu.Lock()
	sb.dns.deferSync = true
	sb.gwHold = true
	sb.mu.Unlock()
	defer func() {
		sb.mu.Lock()
		sb.dns.deferSync = false
		sb.gwHold = false
		sb.mu.Unlock()
	}()
	for _, ep := range eps {
		prios[ep] = ep.priority()
		ep.opMu.Lock()
		err := ep.sbLeave(sb, false, false)
		ep.opMu.Unlock()
		if err != nil {
			return err
		}
	}
	if gw := sb.gatewayBridgeEndpoint(); gw != nil {
		sb.dropGatewayEndpoint(gw)
	}
	sb.mu.Lock()
	old := sb.config
	sb.config = cfg
	sb.mu.Unlock()
	sb.ctrl.countPeerHosts(old.hostsPeers, cfg.hostsPeers)
	if err := sb.refreshHostsFile(&old, &cfg); err != nil {
		logrus.WithField("sid", sb.id).WithError(err).Warn("refresh: hosts file")
	}
	// Each endpoint's record is written once: by its join, or, when the
	// join fails, with the endpoint left; the sandbox's at the end, with
	// the hash of its new resolv.conf.
	defer func() {
		sb.mu.Lock()
		sb.dns.deferSync = false
		sb.mu.Unlock()
		sb.syncResolvConf()
		sb.persist()
	}()
	var first error
	for _, ep := range eps {
		ep.opMu.Lock()
		err := ep.sbJoin(sb, JoinOptionPriority(ep, prios[ep]))
		if err != nil {
			if serr := sb.ctrl.putObject(ep.record()); serr != nil {
				logrus.WithField("eid", ep.id).WithError(serr).Warn("refresh: store")
			}
			if first == nil {
				first = err
			}
		}
		ep.opMu.Unlock()
	}
	sb.mu.Lock()
	sb.gwHold = false
	sb.mu.Unlock()
	if err := sb.addGatewayIfNeeded(nil); err != nil && first == nil {
		first = err
	}
	return first
}

// Rename gives every endpoint joined to the sandbox the name name. Names
// stay unique per network; on a clash nothing is renamed.
func (sb *sandbox) Rename(name string) error {
	if !config.IsValidName(name) {
		return ErrInvalidName(name)
	}
	if err := sb.ctrl.checkRunning(); err != nil {
		return err
	}
	sb.opMu.Lock()
	defer sb.opMu.Unlock()
	if err := sb.checkUsable(); err != nil {
		return err
	}
	eps := sb.userEndpoints() // the gateway endpoint keeps its name
	// Claim the new name in every network first.
	var claimed []*endpoint
	for _, ep := range eps {
		n := ep.network
		n.mu.Lock()
		if id, ok := n.epNames[name]; ok && id != ep.id {
			n.mu.Unlock()
			for _, c := range claimed {
				c.network.mu.Lock()
				delete(c.network.epNames, name)
				c.network.mu.Unlock()
			}
			return duplicateErrorf("cannot rename sandbox %s: endpoint with name %s already exists in network %s", sb.id, name, n.name)
		}
		n.epNames[name] = ep.id
		n.mu.Unlock()
		claimed = append(claimed, ep)
	}
	var first error
	for _, ep := range eps {
		ep.opMu.Lock()
		ep.mu.Lock()
		old := ep.name
		ep.name = name
		ep.anonymous = false
		ep.mu.Unlock()
		n := ep.network
		if old != name {
			n.mu.Lock()
			if n.epNames[old] == ep.id {
				delete(n.epNames, old)
			}
			n.mu.Unlock()
		}
		sb.ctrl.agentEndpointRenamed(ep)
		if err := sb.ctrl.putObject(ep.record()); err != nil && first == nil {
			first = err
		}
		sb.dnsRenamed(ep)
		ep.opMu.Unlock()
	}
	return first
}
