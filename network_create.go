package libnetwork

import (
	"strings"
	"time"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/internal/opstats"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// NewNetwork creates a network of driver networkType. An empty id gets a
// generated one. Names and IDs are unique; on any error nothing is left
// allocated, registered or stored.
func (c *controller) NewNetwork(networkType, name string, id string, options ...NetworkOption) (nw Network, err error) {
	defer c.ops.End(opstats.NetworkCreate, time.Now(), &err)
	if name == GatewayNetworkName {
		return nil, types.ForbiddenErrorf("network name %s is reserved for the controller's default gateway network", name)
	}
	return c.newNetwork(networkType, name, id, false, options...)
}

// newNetwork does NewNetwork; gw makes the default gateway network.
func (c *controller) newNetwork(networkType, name string, id string, gw bool, options ...NetworkOption) (nw Network, err error) {
	if !config.IsValidName(name) {
		return nil, ErrInvalidName(name)
	}
	if strings.TrimSpace(networkType) == "" {
		return nil, ErrInvalidNetworkDriver(networkType)
	}
	if err := c.checkRunning(); err != nil {
		return nil, err
	}
	if id == "" {
		id = generateID()
	} else if strings.TrimSpace(id) != id || strings.ContainsAny(id, "/\x00") {
		return nil, ErrInvalidID(id)
	}
	n := &network{
		ctrl:        c,
		id:          id,
		name:        name,
		networkType: networkType,
		ipamType:    ipamapi.DefaultIPAM,
		generic:     map[string]interface{}{netlabel.GenericData: make(map[string]string)},
		persist:     true,
		created:     time.Now(),
		endpoints:   map[string]*endpoint{},
		epNames:     map[string]string{},
		gwBridge:    gw,
	}
	n.processOptions(options...)
	if n.optErr != nil {
		return nil, n.optErr
	}
	d, cap, err := c.driver(networkType)
	if err != nil {
		return nil, err
	}
	if err := c.checkClusterNetwork(name, networkType); err != nil {
		return nil, err
	}
	if n.scope == "" {
		n.scope = cap.DataScope
	}
	if n.scope == datastore.LocalScope && cap.DataScope == datastore.GlobalScope {
		return nil, types.ForbiddenErrorf("cannot downgrade network scope for %s networks", networkType)
	}
	if n.storeScope() == datastore.GlobalScope && c.getStore(datastore.GlobalScope) == nil && n.persist {
		return nil, ErrDataStoreNotInitialized(datastore.GlobalScope)
	}
	if !n.hasSpecialDriver() {
		if _, _, err := c.ipamDriver(n.ipamType); err != nil {
			return nil, err
		}
	}

	if err := c.reserveNetwork(name, id); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			c.releaseNetwork(name, id)
		}
	}()

	shared := n.shared()
	if shared {
		if err := c.checkClusterName(name); err != nil {
			return nil, err
		}
		var doneClaim func()
		if n.claim, doneClaim, err = c.newClaim(intent{Op: opNetworkClaim, Network: n.id, Driver: networkType}); err != nil {
			return nil, err
		}
		defer func() {
			doneClaim()
			n.claim = nil
		}()
		if err = c.reserveClusterName(n); err != nil {
			return nil, err
		}
		n.claim.update(func(in *intent) { in.Name = n.name })
		defer func() {
			if err != nil {
				c.releaseClusterName(n.name, n.id)
			}
		}()
	}

	if err = n.ipamAllocate(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			n.ipamRelease()
		}
	}()
	if shared && n.takesVXLANIDs() {
		if err = n.allocateVXLANIDs(); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				n.releaseVXLANIDs()
			}
		}()
	}

	done, err := c.begin(intent{Op: opNetworkCreate, Network: n.id, Driver: networkType})
	if err != nil {
		return nil, err
	}
	defer done()
	if err = d.CreateNetwork(n.id, n.generic, n, ipamData(n.ipamV4Info), ipamData(n.ipamV6Info)); err != nil {
		return nil, driverErr(err, "driver %s: create network %s", networkType, name)
	}
	step(opNetworkCreate, "driver")
	defer func() {
		if err != nil {
			if e := d.DeleteNetwork(n.id); e != nil {
				logrus.WithField("nid", n.id).WithError(e).Warn("undo create network: driver delete")
			}
		}
	}()

	if shared {
		// The count first: once the network is in the store, other hosts
		// create endpoints on it.
		if err = c.createEndpointCount(n); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				if e := c.deleteEndpointCount(n); e != nil {
					logrus.WithField("nid", n.id).WithError(e).Warn("undo create network: delete endpoint count")
				}
			}
		}()
	}
	if err = c.putObject(n.record()); err != nil {
		return nil, err
	}
	step(opNetworkCreate, "stored")

	c.mu.Lock()
	c.networks[n.id] = n
	c.mu.Unlock()
	c.agentNetworkCreated(n)
	logrus.WithFields(logrus.Fields{"nid": n.id, "name": name, "driver": networkType}).Debug("network created")
	return n, nil
}

// reserveNetwork claims a network name and ID until the creation ends.
func (c *controller) reserveNetwork(name, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.netNames[name]; ok {
		return NetworkNameError(name)
	}
	if c.netIDs[id] {
		return NetworkNameError(id)
	}
	c.netNames[name] = id
	c.netIDs[id] = true
	return nil
}

func (c *controller) releaseNetwork(name, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.netNames[name] == id {
		delete(c.netNames, name)
	}
	delete(c.netIDs, id)
	delete(c.networks, id)
}

// Networks returns the controller's networks, sorted by name; the default
// gateway network is not among them (AllNetworks lists it too).
func (c *controller) Networks() []Network {
	nws := c.userNetworks()
	out := make([]Network, 0, len(nws))
	for _, n := range nws {
		out = append(out, n)
	}
	return out
}

// WalkNetworks calls walker for each network of Networks until it returns true.
func (c *controller) WalkNetworks(walker NetworkWalker) {
	for _, n := range c.Networks() {
		if walker(n) {
			return
		}
	}
}

// NetworkByName returns the network named name (never the default gateway
// network: GatewayNetwork returns it).
func (c *controller) NetworkByName(name string) (Network, error) {
	if name == "" {
		return nil, ErrInvalidName(name)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, n := range c.networks {
		if n.name == name && !n.gwBridge {
			return n, nil
		}
	}
	return nil, ErrNoSuchNetwork(name)
}

// NetworkByID returns the network whose ID is id.
func (c *controller) NetworkByID(id string) (Network, error) {
	if id == "" {
		return nil, ErrInvalidID(id)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if n, ok := c.networks[id]; ok {
		return n, nil
	}
	return nil, ErrNoSuchNetwork(id)
}

// Delete deletes the network. A network with endpoints is not deleted
// (ActiveEndpointsError); the default gateway network is the controller's
// to delete (ForbiddenError).
func (n *network) Delete() (err error) {
	defer n.ctrl.ops.End(opstats.NetworkDelete, time.Now(), &err)
	if err := n.ctrl.checkRunning(); err != nil {
		return err
	}
	if n.gwBridge {
		return types.ForbiddenErrorf("network %s (%s) is the default gateway network: the controller removes it when no sandbox uses it", n.name, n.id)
	}
	return n.delete(false)
}

// delete does Delete; resumed finishes a delete that a killed process
// began (the driver may have forgotten the network already).
func (n *network) delete(resumed bool) error {
	c := n.ctrl
	n.mu.Lock()
	switch {
	case n.deleted:
		n.mu.Unlock()
		return &UnknownNetworkError{name: n.name, id: n.id}
	case n.deleting:
		n.mu.Unlock()
		return types.ForbiddenErrorf("network %s (%s) is already being deleted", n.name, n.id)
	case len(n.endpoints) > 0 || n.pending > 0:
		n.mu.Unlock()
		return &ActiveEndpointsError{name: n.name, id: n.id}
	}
	n.deleting = true
	n.mu.Unlock()
	done := false
	defer func() {
		n.mu.Lock()
		n.deleting = false
		n.deleted = done
		n.mu.Unlock()
	}()
	shared := n.shared()
	if shared {
		// No host can create an endpoint on n after this.
		if err := c.deleteEndpointCount(n); err != nil {
			return err
		}
		defer func() {
			if !done {
				if err := c.createEndpointCount(n); err != nil {
					logrus.WithField("nid", n.id).WithError(err).Warn("undo delete network: endpoint count")
				}
			}
		}()
	}

	d, err := n.driver()
	if err != nil {
		return err
	}
	finish, err := c.begin(intent{Op: opNetworkDelete, Network: n.id, Driver: n.networkType})
	if err != nil {
		return err
	}
	defer finish()
	if err := d.DeleteNetwork(n.id); err != nil && !(resumed && types.IsNotFound(err)) {
		return driverErr(err, "driver %s: delete network %s", n.networkType, n.name)
	}
	step(opNetworkDelete, "driver")
	c.agentNetworkDeleted(n)
	n.ipamRelease()
	if shared && n.takesVXLANIDs() {
		n.releaseVXLANIDs()
	}
	if shared {
		c.releaseClusterName(n.name, n.id)
	}
	if err := c.deleteObject(n.record()); err != nil {
		logrus.WithField("nid", n.id).WithError(err).Warn("delete network from store")
	}
	step(opNetworkDelete, "stored")
	c.releaseNetwork(n.name, n.id)
	done = true
	logrus.WithFields(logrus.Fields{"nid": n.id, "name": n.name}).Debug("network deleted")
	return nil
}
