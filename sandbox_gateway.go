package libnetwork

import (
	"math"

	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// gatewayPriority is the join priority of a gateway endpoint: below every
// user endpoint, so that any endpoint with a gateway is preferred.
const gatewayPriority = math.MinInt32

// needsGateway reports whether the sandbox needs an endpoint on the default
// gateway network (the rule is in the package doc): some endpoint that
// wants a way out, and none that gives one.
func (sb *sandbox) needsGateway() bool {
	sb.mu.Lock()
	def := sb.config.useDefaultSandbox
	eps := append([]*endpoint(nil), sb.endpoints...)
	sb.mu.Unlock()
	if def {
		return false
	}
	need := false
	for _, ep := range eps {
		n := ep.network
		if n.gwBridge || n.hasSpecialDriver() || n.internal {
			continue
		}
		ep.mu.Lock()
		info := ep.joinInfo
		ep.mu.Unlock()
		if info == nil || info.disableGatewayService {
			continue
		}
		if info.gw != nil || info.gw6 != nil || hasDefaultRoute(info.staticRoutes) {
			return false
		}
		need = true
	}
	return need
}

func hasDefaultRoute(routes []*types.StaticRoute) bool {
	for _, r := range routes {
		if r.Destination != nil {
			if ones, _ := r.Destination.Mask.Size(); ones == 0 {
				return true
			}
		}
	}
	return false
}

// gatewayBridgeEndpoint returns the sandbox's endpoint on the default
// gateway network, or nil.
func (sb *sandbox) gatewayBridgeEndpoint() *endpoint {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	for _, ep := range sb.endpoints {
		if ep.network.gwBridge {
			return ep
		}
	}
	return nil
}

// GatewayEndpoint returns the sandbox's endpoint on the default gateway
// network (Endpoints leaves it out), or nil when it has none.
func (sb *sandbox) GatewayEndpoint() Endpoint {
	if ep := sb.gatewayBridgeEndpoint(); ep != nil {
		return ep
	}
	return nil
}

// gatewaySyncOff reports whether the gateway endpoint is left alone for
// now (sandbox being deleted or refreshed).
func (sb *sandbox) gatewaySyncOff() bool {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.inDelete || sb.gwHold
}

// addGatewayIfNeeded gives the sandbox an endpoint on the default gateway
// network when it needs one and has none; with undo, its removal is pushed
// there. The caller holds sb.opMu.
func (sb *sandbox) addGatewayIfNeeded(undo *undoStack) error {
	if sb.gatewaySyncOff() || sb.gatewayBridgeEndpoint() != nil || !sb.needsGateway() {
		return nil
	}
	ep, err := sb.addGatewayEndpoint()
	if err != nil {
		return err
	}
	if undo != nil {
		undo.push(func() { sb.dropGatewayEndpoint(ep) })
	}
	return nil
}

// dropGatewayIfUnneeded removes the sandbox's gateway endpoint when it no
// longer needs it. The caller holds sb.opMu.
func (sb *sandbox) dropGatewayIfUnneeded() {
	if sb.gatewaySyncOff() {
		return
	}
	if ep := sb.gatewayBridgeEndpoint(); ep != nil && !sb.needsGateway() {
		sb.dropGatewayEndpoint(ep)
	}
}

// syncGateway adds or removes the gateway endpoint as the sandbox's
// endpoints now require; failures are logged. The caller holds sb.opMu.
func (sb *sandbox) syncGateway() {
	if err := sb.addGatewayIfNeeded(nil); err != nil {
		logrus.WithField("sid", sb.id).WithError(err).Warn("sandbox left without a way out")
	}
	sb.dropGatewayIfUnneeded()
}

// addGatewayEndpoint creates the sandbox's endpoint on the gateway network
// (and the network when needed) and joins it; on failure nothing is left.
func (sb *sandbox) addGatewayEndpoint() (*endpoint, error) {
	c := sb.ctrl
	bindings, exposed := sb.gatewayPorts()
	gwErr := func(err error) error {
		return &GatewayNetworkError{Network: GatewayNetworkName, Sandbox: sb.id, Err: err}
	}
	ep, err := c.gatewayEndpointFor(sb, bindings, exposed)
	if err != nil {
		return nil, gwErr(err)
	}
	ep.opMu.Lock()
	err = ep.sbJoin(sb, JoinOptionPriority(ep, gatewayPriority))
	if err != nil {
		if derr := ep.deleteLocked(true); derr != nil {
			logrus.WithField("eid", ep.id).WithError(derr).Warn("undo gateway endpoint: delete")
		}
	}
	ep.opMu.Unlock()
	if err != nil {
		c.removeUnusedGatewayNetwork()
		return nil, gwErr(err)
	}
	logrus.WithFields(logrus.Fields{"sid": sb.id, "eid": ep.id}).Debug("gateway endpoint joined")
	return ep, nil
}

// dropGatewayEndpoint leaves and deletes the gateway endpoint; the gateway
// network goes next, in the background, if no sandbox uses it any more.
func (sb *sandbox) dropGatewayEndpoint(ep *endpoint) {
	log := logrus.WithFields(logrus.Fields{"sid": sb.id, "eid": ep.id})
	ep.opMu.Lock()
	if ep.getSandboxID() == sb.id {
		if err := ep.sbLeave(sb, true, false); err != nil {
			log.WithError(err).Warn("gateway endpoint: leave")
		}
	}
	if err := ep.deleteLocked(true); err != nil {
		log.WithError(err).Warn("gateway endpoint: delete")
	}
	ep.opMu.Unlock()
	sb.ctrl.removeGatewayNetworkLater()
	log.Debug("gateway endpoint removed")
}

// gatewayPorts returns the ports the gateway endpoint publishes: the
// sandbox's (OptionPortMapping, OptionExposedPorts) when it has them, else
// those of its joined endpoints (CreateOptionPortMapping,
// CreateOptionExposedPorts), each once.
func (sb *sandbox) gatewayPorts() ([]types.PortBinding, []types.TransportPort) {
	labels := sb.Labels()
	pbs, hasPbs := labels[netlabel.PortMap].([]types.PortBinding)
	exp, hasExp := labels[netlabel.ExposedPorts].([]types.TransportPort)
	if hasPbs && hasExp {
		return pbs, exp
	}
	sb.mu.Lock()
	eps := append([]*endpoint(nil), sb.endpoints...)
	sb.mu.Unlock()
	seenPb, seenExp := map[string]bool{}, map[types.TransportPort]bool{}
	for _, ep := range eps {
		if ep.network.gwBridge {
			continue
		}
		ep.mu.Lock()
		epPbs, _ := ep.generic[netlabel.PortMap].([]types.PortBinding)
		epExp, _ := ep.generic[netlabel.ExposedPorts].([]types.TransportPort)
		ep.mu.Unlock()
		if !hasPbs {
			for _, b := range epPbs {
				if k := b.String(); !seenPb[k] {
					seenPb[k] = true
					pbs = append(pbs, b.GetCopy())
				}
			}
		}
		if !hasExp {
			for _, t := range epExp {
				if !seenExp[t] {
					seenExp[t] = true
					exp = append(exp, t)
				}
			}
		}
	}
	return pbs, exp
}

// gatewayRestore applies the gateway rule to the restored sandboxes (a
// controller may have stopped between a join and its gateway endpoint) and
// removes an unused gateway network.
func (c *controller) gatewayRestore() {
	c.mu.RLock()
	sbs := make([]*sandbox, 0, len(c.sandboxes))
	for _, sb := range c.sandboxes {
		sbs = append(sbs, sb)
	}
	c.mu.RUnlock()
	for _, sb := range sbs {
		sb.opMu.Lock()
		sb.syncGateway()
		sb.opMu.Unlock()
	}
	c.removeUnusedGatewayNetwork()
}
