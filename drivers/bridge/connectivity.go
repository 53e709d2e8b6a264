package bridge

import "github.com/cnmkit/libnetwork/types"

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
	if n.config.Internal {
		return nil
	}
	old := ep.portMapping
	if len(old) > 0 {
		d.ports.revoke(ep)
		ep.portMapping = nil
	}
	var got []types.PortBinding
	if len(bindings) > 0 {
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

// RevokeExternalConnectivity unpublishes the endpoint's ports.
func (d *driver) RevokeExternalConnectivity(nid, eid string) error {
	_, ep, err := d.endpoint(nid, eid)
	if err != nil {
		return err
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if len(ep.portMapping) == 0 {
		return nil
	}
	d.ports.revoke(ep)
	ep.portMapping = nil
	return d.storeEndpoint(ep)
}
