package bridge

import (
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// UnpublishedKey is the key of EndpointOperInfo saying why the endpoint's
// port bindings are not published (absent when they are, or none asked).
const UnpublishedKey = "com.cnmkit.bridge.unpublished"

// ProgramExternalConnectivity publishes the endpoint's ports: the bindings
// in options[netlabel.PortMap] (else those given at creation), each on its
// host port, the first free one of its host port range, or a dynamic one.
// Calling it again replaces the endpoint's mappings. Internal networks
// publish nothing.
func (d *driver) ProgramExternalConnectivity(nid, eid string, options map[string]interface{}) error {
	n, ep, err := d.endpoint(nid, eid)
	if err != nil {
		return err
	}
	bindings, exposed, err := parseConnectivity(eid, options)
	if err != nil {
		return err
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if bindings == nil {
		bindings = ep.cfgBindings
	}
	if exposed == nil {
		exposed = ep.cfgExposed
	}
	ep.unpublished = ""
	if why := d.noPublishing(n); why != "" && len(bindings) > 0 {
		ep.unpublished = why
		logrus.WithFields(logrus.Fields{"nid": shortID(nid), "eid": shortID(eid), "ports": len(bindings)}).
			Warn("bridge: port bindings not published: " + why)
	}
	if n.config.Internal {
		return nil
	}
	old := ep.portMapping
	if len(old) > 0 {
		d.ports.revoke(ep)
		ep.portMapping = nil
	}
	var got []types.PortBinding
	if len(bindings) > 0 && ep.unpublished == "" {
		if got, err = d.ports.mapPorts(n, ep, bindings); err != nil {
			if len(old) > 0 {
				_ = d.storeEndpoint(ep)
			}
			return err
		}
	}
	ep.portMapping, ep.exposed = got, exposed
	if len(got) == 0 && len(old) == 0 {
		return nil
	}
	if err := d.storeEndpoint(ep); err != nil {
		d.ports.revoke(ep)
		ep.portMapping = nil
		return err
	}
	return nil
}

// noPublishing says why a port of network n cannot be published: an
// internal network, or a driver with no firewall rules and no proxy to
// forward. "" when it can.
func (d *driver) noPublishing(n *bridgeNetwork) string {
	switch {
	case n.config.Internal:
		return "the network is internal"
	case d.fw == nil && !d.config.EnableUserlandProxy:
		return "the bridge driver has " + optEnableIPTables + " off (dnet --iptables=false) and " +
			optEnableUserlandProxy + " off (dnet --userland-proxy): nothing would forward them"
	}
	return ""
}

// RevokeExternalConnectivity unpublishes the endpoint's ports.
func (d *driver) RevokeExternalConnectivity(nid, eid string) error {
	_, ep, err := d.endpoint(nid, eid)
	if err != nil {
		return err
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.unpublished = ""
	if len(ep.portMapping) == 0 {
		return nil
	}
	d.ports.revoke(ep)
	ep.portMapping = nil
	return d.storeEndpoint(ep)
}
