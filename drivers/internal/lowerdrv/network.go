package lowerdrv

import (
	"net"
	"sync"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/internal/parent"
	"github.com/cnmkit/libnetwork/types"
)

// network is a network: its parent link and subnets, its endpoints.
type network struct {
	id       string
	cfg      netConfig
	link     parent.Link
	v4, v6   []subnet
	creating bool // being created: not visible yet

	mu        sync.Mutex
	endpoints map[string]*endpoint
	rec       *networkRecord
}

func (n *network) claim(kind string) parent.Claim {
	c := parent.Claim{Driver: kind, NetworkID: n.id, Mode: n.cfg.Mode}
	for _, s := range append(append([]subnet(nil), n.v4...), n.v6...) {
		c.Subnets = append(c.Subnets, s.pool)
	}
	return c
}

// gateway returns the gateway of the subnet of list holding ip.
func gateway(list []subnet, ip net.IP) net.IP {
	for _, s := range list {
		if s.pool.Contains(ip) {
			return s.gw
		}
	}
	return nil
}

func inPools(list []subnet, ip net.IP) bool {
	for _, s := range list {
		if s.pool.Contains(ip) {
			return true
		}
	}
	return false
}

// CreateNetwork checks the options and subnets, claims the parent link
// (making the 802.1q sub-interface or dummy link it needs) and records the
// network. On error nothing is left.
func (d *Driver) CreateNetwork(nid string, opts map[string]interface{}, nInfo driverapi.NetworkInfo, ipV4Data, ipV6Data []driverapi.IPAMData) error {
	if nid == "" {
		return types.BadRequestErrorf("%s: network ID is empty", d.kind.Name)
	}
	cfg, err := d.kind.parseOptions(opts)
	if err != nil {
		return err
	}
	var sp parent.Spec
	if !cfg.Internal {
		if sp, err = parent.ParseSpec(cfg.Parent); err != nil {
			return err
		}
	}
	v4, v6, err := d.kind.subnets(nid, ipV4Data, ipV6Data)
	if err != nil {
		return err
	}
	n := &network{id: nid, cfg: cfg, v4: v4, v6: v6, creating: true, endpoints: map[string]*endpoint{}}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return types.ForbiddenErrorf("%s driver is closed", d.kind.Name)
	}
	if _, ok := d.networks[nid]; ok {
		d.mu.Unlock()
		return types.ConflictErrorf("%s: network %s already exists", d.kind.Name, nid)
	}
	d.networks[nid] = n
	d.mu.Unlock()
	fail := func(err error) error {
		d.mu.Lock()
		delete(d.networks, nid)
		d.mu.Unlock()
		return err
	}
	if n.link, err = d.host.Attach(n.claim(d.kind.Name), sp, cfg.Internal); err != nil {
		return fail(err)
	}
	if err := d.storeNetwork(n); err != nil {
		_ = d.host.Detach(nid)
		return fail(err)
	}
	d.mu.Lock()
	n.creating = false
	d.mu.Unlock()
	d.log(nid).WithField("parent", n.link.Name).WithField("mode", cfg.Mode).Debug("created network")
	return nil
}

// DeleteNetwork forgets the network and its endpoints and releases its
// parent link (deleted when it is ours and this was its last network).
func (d *Driver) DeleteNetwork(nid string) error {
	n, err := d.network(nid)
	if err != nil {
		return err
	}
	n.mu.Lock()
	eps := make([]*endpoint, 0, len(n.endpoints))
	for _, ep := range n.endpoints {
		eps = append(eps, ep)
	}
	n.mu.Unlock()
	for _, ep := range eps {
		if err := d.DeleteEndpoint(nid, ep.id); err != nil && !types.IsNotFound(err) {
			return err
		}
	}
	if err := d.deleteNetworkRecord(n); err != nil {
		return err
	}
	d.mu.Lock()
	delete(d.networks, nid)
	d.mu.Unlock()
	return d.host.Detach(nid)
}

func (n *network) parentIndex() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.link.Index
}

func (n *network) setParentIndex(idx int) {
	n.mu.Lock()
	n.link.Index = idx
	n.mu.Unlock()
}
