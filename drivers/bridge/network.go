package bridge

import (
	"sync"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/internal/crashpoint"
	"github.com/cnmkit/libnetwork/types"
)

// bridgeNetwork is one bridge network.
type bridgeNetwork struct {
	id     string
	config *networkConfiguration
	d      *driver
	// creating marks a network reserved by a CreateNetwork in progress.
	creating bool

	mu          sync.Mutex
	bridgeIndex int
	endpoints   map[string]*bridgeEndpoint
	rec         *networkRecord
}

// CreateNetwork creates the bridge device, its addresses and its firewall
// rules. Bad options, a bridge name or pool another network holds, and a
// failed step are errors that leave nothing behind.
func (d *driver) CreateNetwork(nid string, opts map[string]interface{}, nInfo driverapi.NetworkInfo, ipV4Data, ipV6Data []driverapi.IPAMData) error {
	if nid == "" {
		return types.BadRequestErrorf("bridge: empty network ID")
	}
	cfg, err := parseNetworkOptions(nid, opts)
	if err != nil {
		return err
	}
	if err := cfg.setIPAM(ipV4Data, ipV6Data); err != nil {
		return err
	}
	if !cfg.EnableICC && d.fw == nil {
		return types.BadRequestErrorf("bridge network %s: %s=false needs the driver option %s", nid, EnableICC, optEnableIPTables)
	}
	n, err := d.reserve(cfg)
	if err != nil {
		return err
	}
	if err := d.createNetwork(n, false); err != nil {
		d.unreserve(nid)
		return err
	}
	d.mu.Lock()
	n.creating = false
	d.mu.Unlock()
	d.log(nid).WithField("bridge", cfg.BridgeName).Debug("network created")
	return nil
}

// reserve claims the network ID and the bridge name, checking them against
// the other networks.
func (d *driver) reserve(cfg *networkConfiguration) (*bridgeNetwork, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, types.ForbiddenErrorf("bridge driver is closed")
	}
	if _, ok := d.networks[cfg.ID]; ok {
		return nil, types.ConflictErrorf("bridge network %s: %w", cfg.ID, &ErrNetworkExists{})
	}
	for _, o := range d.networks {
		if o.config.BridgeName == cfg.BridgeName {
			return nil, types.ConflictErrorf("bridge name %q is already used by network %s", cfg.BridgeName, o.id)
		}
		if o.config.DefaultBridge && cfg.DefaultBridge {
			return nil, types.ConflictErrorf("a default bridge network (%s) already exists", o.id)
		}
		if cfg.overlaps(o.config) {
			return nil, types.ForbiddenErrorf("pools of bridge network %s (%s %s) overlap those of network %s (%s %s)",
				cfg.ID, cfg.PoolIPv4, ipNetString(cfg.PoolIPv6), o.id, o.config.PoolIPv4, ipNetString(o.config.PoolIPv6))
		}
	}
	n := &bridgeNetwork{id: cfg.ID, config: cfg, d: d, creating: true, endpoints: map[string]*bridgeEndpoint{}}
	d.networks[cfg.ID] = n
	return n, nil
}

func (d *driver) unreserve(nid string) {
	d.mu.Lock()
	delete(d.networks, nid)
	d.mu.Unlock()
}

// createNetwork runs the setup pipeline and stores the network; on error
// everything done is undone.
func (d *driver) createNetwork(n *bridgeNetwork, restoring bool) error {
	ctx := newSetupCtx(d, n, restoring)
	if restoring {
		done, err := ctx.run(setupSteps)
		if err != nil {
			ctx.rollback(done)
		}
		return err
	}
	dropIntent, err := d.beginCreate(n)
	if err != nil {
		return err
	}
	defer dropIntent()
	done, err := ctx.run(setupSteps)
	if err != nil {
		ctx.rollback(done)
		return err
	}
	if err := d.storeNetwork(n); err != nil {
		ctx.rollback(done)
		return err
	}
	crashpoint.Hit("bridge-create/stored")
	return nil
}

// DeleteNetwork removes the network's rules and its bridge (when the driver
// made it) and forgets it. A network with endpoints is not deleted.
func (d *driver) DeleteNetwork(nid string) error {
	d.mu.Lock()
	n, ok := d.networks[nid]
	if !ok || n.creating {
		d.mu.Unlock()
		return InvalidNetworkIDError(nid)
	}
	n.mu.Lock()
	neps := len(n.endpoints)
	n.mu.Unlock()
	if neps > 0 {
		d.mu.Unlock()
		return ActiveEndpointsError(nid)
	}
	n.creating = true // hides it from lookups while it goes
	d.mu.Unlock()

	// Left host ends still waiting to be reaped go now: the bridge and
	// everything on it must be gone when we return.
	d.reaper.flush(func(e reapEntry) bool { return e.nid == nid })
	ctx := newSetupCtx(d, n, false)
	err := ctx.teardown(setupSteps)
	if err != nil {
		d.mu.Lock()
		n.creating = false
		d.mu.Unlock()
		return err
	}
	if err := d.deleteNetworkRecord(n); err != nil {
		d.log(nid).WithError(err).Warn("delete network from store")
	}
	d.unreserve(nid)
	d.log(nid).Debug("network deleted")
	return nil
}
