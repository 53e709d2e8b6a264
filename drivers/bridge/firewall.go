package bridge

import (
	"sort"
	"sync"

	fw "github.com/cnmkit/libnetwork/firewall"
	fwipt "github.com/cnmkit/libnetwork/firewall/iptables"
	fwnft "github.com/cnmkit/libnetwork/firewall/nftables"
	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/portmapper"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netns"
)

// Chain suffixes of the iptables backend's chains.
const (
	chainIsolation1 = fwipt.ChainIsolation1
)

// firewall programs the networks' rules through a backend (nf_tables in
// the table "inet cnmkit", or iptables where the kernel has no nf_tables
// or the driver option FirewallBackend asks for it), and keeps the port
// mapper alive while at least one network has rules: onFirst runs before
// the first network's rules, onLast after the last's are gone.
type firewall struct {
	be fw.Backend
	// v4 and v6 are the iptables tables handed to the port mapper (with
	// nf_tables only their prefix is used).
	v4, v6 *iptables.IPTable
	nft    bool

	mu        sync.Mutex
	nets      map[string]fw.Network
	restoring bool // networks are recorded, programmed by finishRestore
	// onFirst runs before the first network's rules, onLast after the
	// last's are removed (the port mapper).
	onFirst, onLast func() error
}

// newFirewall chooses the backend: name ("" chooses nf_tables where the
// kernel has it).
func newFirewall(h netns.NsHandle, name string) (*firewall, error) {
	if err := fw.ValidName(name); err != nil {
		return nil, err
	}
	f := &firewall{nets: map[string]fw.Network{}, restoring: true}
	var err error
	if f.v4, err = iptables.New(iptables.IPv4, iptables.WithNetNS(h)); err != nil {
		return nil, err
	}
	if f.v6, err = iptables.New(iptables.IPv6, iptables.WithNetNS(h)); err != nil {
		return nil, err
	}
	if name != fw.IPTables {
		b, err := fwnft.NewBridge(h)
		switch {
		case err == nil:
			f.be, f.nft = b, true
			return f, nil
		case name == fw.NFTables || !types.IsNotImplemented(err):
			return nil, err
		}
		logrus.WithError(err).Info("bridge: no nf_tables, iptables firewall instead")
	}
	b, err := fwipt.New(h, f.v4.ChainName(portmapper.DefaultChainSuffix))
	if err != nil {
		return nil, err
	}
	f.be = b
	return f, nil
}

// netOf returns what the firewall needs of a network's configuration. IPv6
// rules go to IPv6 networks and to networks with ICC off, whose containers
// could otherwise still talk over IPv6 link-local addresses.
func netOf(cfg *networkConfiguration) fw.Network {
	return fw.Network{
		Bridge:     cfg.BridgeName,
		Internal:   cfg.Internal,
		ICC:        cfg.EnableICC,
		Masquerade: cfg.EnableIPMasquerade,
		PoolIPv4:   cfg.PoolIPv4,
		IPv6:       cfg.EnableIPv6 || !cfg.EnableICC,
	}
}

// install programs n's rules; the port mapper is started first with the
// first network. While restoring, n is only recorded.
func (f *firewall) install(n fw.Network) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.nets[n.Bridge]; ok && f.restoring {
		return nil
	}
	first := len(f.nets) == 0
	if first && f.onFirst != nil {
		if err := f.onFirst(); err != nil {
			return types.InternalErrorf("set up port mapping: %w", err)
		}
	}
	if !f.restoring {
		if err := f.be.AddNetwork(n); err != nil {
			if first && f.onLast != nil {
				_ = f.onLast()
			}
			return err
		}
	}
	f.nets[n.Bridge] = n
	return nil
}

// remove deletes n's rules, and stops the port mapper with the last.
func (f *firewall) remove(n fw.Network) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.nets[n.Bridge]; !ok {
		return nil
	}
	err := f.be.DelNetwork(n)
	delete(f.nets, n.Bridge)
	if len(f.nets) == 0 && f.onLast != nil {
		if lerr := f.onLast(); err == nil && lerr != nil {
			err = types.InternalErrorf("remove port mapping: %w", lerr)
		}
	}
	return err
}

// finishRestore programs the restored networks, replacing whatever an
// earlier run left (after a kill -9: rules of networks gone since), and
// ends the restore.
func (f *firewall) finishRestore() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restoring = false
	nets := make([]fw.Network, 0, len(f.nets))
	for _, n := range f.nets {
		nets = append(nets, n)
	}
	sort.Slice(nets, func(i, j int) bool { return nets[i].Bridge < nets[j].Bridge })
	return f.be.Rebuild(nets)
}

// empty reports whether no network has rules.
func (f *firewall) empty() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.nets) == 0
}

// commitFirewall is the setup step programming the network's rules.
func commitFirewall(c *setupCtx) error {
	if c.d.fw == nil {
		return nil
	}
	return c.d.fw.install(netOf(c.cfg))
}

// removeFirewall deletes the network's rules.
func removeFirewall(c *setupCtx) error {
	if c.d.fw == nil {
		return nil
	}
	return c.d.fw.remove(netOf(c.cfg))
}
