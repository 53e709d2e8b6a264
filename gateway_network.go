package libnetwork

import (
	"fmt"
	"sort"

	"github.com/cnmkit/libnetwork/drivers/bridge"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

const (
	// GatewayNetworkName is the name of the controller's default gateway
	// network: the local bridge network that gives a way out to sandboxes
	// whose networks give none (libnetwork's docker_gwbridge). The name is
	// reserved for the controller.
	GatewayNetworkName = "cnm_gwbridge"

	// GatewayBridgeName is the Linux bridge of the gateway network.
	GatewayBridgeName = "cnm-gwbridge"

	// gatewayEndpointPrefix starts the names of the gateway endpoints,
	// followed by the container ID (whole: IDs are free-form here, and
	// only whole ones are sure to be unique).
	gatewayEndpointPrefix = "gateway_"
)

// GatewayNetworkError is returned by a Join that needs the default gateway
// network when the network or the sandbox's endpoint on it cannot be made.
// It names the network and keeps its cause.
type GatewayNetworkError struct {
	Network string
	Sandbox string
	Err     error
}

func (e *GatewayNetworkError) Error() string {
	return fmt.Sprintf("sandbox %s: default gateway network %s: %v", e.Sandbox, e.Network, e.Err)
}

// Unwrap returns the cause.
func (e *GatewayNetworkError) Unwrap() error { return e.Err }

// NoService denotes the type of this error: the way out is not available.
func (e *GatewayNetworkError) NoService() {}

// AllNetworks returns every network of the controller, the default gateway
// network included (Networks leaves it out).
func (c *controller) AllNetworks() []Network {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Network, 0, len(c.networks))
	for _, n := range c.networks {
		out = append(out, n)
	}
	return out
}

// GatewayNetwork returns the default gateway network, or an
// ErrNoSuchNetwork while no sandbox needs it.
func (c *controller) GatewayNetwork() (Network, error) {
	if n := c.gatewayNetwork(); n != nil {
		return n, nil
	}
	return nil, ErrNoSuchNetwork(GatewayNetworkName)
}

// gatewayNetwork returns the committed gateway network, or nil.
func (c *controller) gatewayNetwork() *network {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, n := range c.networks {
		if n.gwBridge {
			return n
		}
	}
	return nil
}

// gatewayEndpointFor creates the sandbox's endpoint on the gateway network,
// creating the network first when there is none. The caller holds sb.opMu.
func (c *controller) gatewayEndpointFor(sb *sandbox, bindings []types.PortBinding, exposed []types.TransportPort) (*endpoint, error) {
	c.gwMu.Lock()
	defer c.gwMu.Unlock()
	n := c.gatewayNetwork()
	created := false
	if n == nil {
		nw, err := c.newNetwork("bridge", GatewayNetworkName, "", true, NetworkOptionDriverOpts(c.gatewayNetworkOpts()))
		if err != nil {
			return nil, err
		}
		n, created = nw.(*network), true
		logrus.WithFields(logrus.Fields{"nid": n.id, "sid": sb.id}).Info("default gateway network created")
	}
	name := gatewayEndpointPrefix + sb.containerID
	opts := []EndpointOption{CreateOptionAnonymous(), CreateOptionDisableResolution()}
	if len(bindings) > 0 {
		opts = append(opts, CreateOptionPortMapping(bindings))
	}
	if len(exposed) > 0 {
		opts = append(opts, CreateOptionExposedPorts(exposed))
	}
	ep, err := n.createEndpoint(name, opts...)
	if err != nil {
		if created {
			c.removeUnusedGatewayNetworkLocked()
		}
		return nil, err
	}
	return ep.(*endpoint), nil
}

// gatewayNetworkOpts are the bridge options of the gateway network: its own
// bridge, masquerading on and ICC off. Without the bridge driver's firewall
// (EnableIPTables) neither can be programmed: the network is then a plain
// routed bridge with ICC on.
func (c *controller) gatewayNetworkOpts() map[string]string {
	opts := map[string]string{bridge.BridgeName: GatewayBridgeName}
	if bridge.FirewallEnabled(c.makeDriverConfig("bridge")) {
		opts[bridge.EnableICC] = "false"
		opts[bridge.EnableIPMasquerade] = "true"
	}
	return opts
}

// removeGatewayNetworkLater deletes the gateway network in the background
// when it has no endpoint left: deleting a bridge network and its firewall
// rules takes a while, which the Leave that freed it does not wait for.
// After Stop, the next start removes it.
func (c *controller) removeGatewayNetworkLater() {
	c.gwMu.Lock()
	if c.gwStopped {
		c.gwMu.Unlock()
		return
	}
	c.gwWG.Add(1)
	c.gwMu.Unlock()
	go func() {
		defer c.gwWG.Done()
		c.removeUnusedGatewayNetwork()
	}()
}

// stopGatewayRemovals waits for the background removals and allows no more.
func (c *controller) stopGatewayRemovals() {
	c.gwMu.Lock()
	c.gwStopped = true
	c.gwMu.Unlock()
	c.gwWG.Wait()
}

// removeUnusedGatewayNetwork deletes the gateway network when it has no
// endpoint left.
func (c *controller) removeUnusedGatewayNetwork() {
	c.gwMu.Lock()
	defer c.gwMu.Unlock()
	c.removeUnusedGatewayNetworkLocked()
}

func (c *controller) removeUnusedGatewayNetworkLocked() {
	n := c.gatewayNetwork()
	if n == nil {
		return
	}
	n.mu.Lock()
	busy := len(n.endpoints) > 0 || n.pending > 0
	n.mu.Unlock()
	if busy {
		return
	}
	if err := n.delete(false); err != nil {
		logrus.WithField("nid", n.id).WithError(err).Warn("remove unused default gateway network")
		return
	}
	logrus.WithField("nid", n.id).Info("default gateway network removed: no sandbox uses it")
}

// userNetworks returns the networks the user sees (not the gateway
// network), sorted by name for stable listings.
func (c *controller) userNetworks() []*network {
	c.mu.RLock()
	out := make([]*network, 0, len(c.networks))
	for _, n := range c.networks {
		if !n.gwBridge {
			out = append(out, n)
		}
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
