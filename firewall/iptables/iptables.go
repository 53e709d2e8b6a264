// Package iptables is the firewall backend of the bridge driver for
// kernels without nf_tables: the rules go into chains of ours (prefix
// "CNMKIT") through the iptables and ip6tables binaries, one
// iptables-restore run per change and IP version. With the last network,
// the chains, the jumps to them and what iptables-nft made for them (empty
// base chains and tables that were not there before: iptables.Tidy) go.
package iptables

import (
	"sort"
	"sync"

	"github.com/cnmkit/libnetwork/firewall"
	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

// Chain suffixes of the backend's chains (the prefix goes in front).
const (
	ChainForward     = "FORWARD"
	ChainIsolation1  = "ISOLATION-STAGE-1"
	ChainIsolation2  = "ISOLATION-STAGE-2"
	ChainPostrouting = "POSTROUTING"
)

// Backend programs the bridge networks' rules with iptables.
type Backend struct {
	v4, v6 *iptables.IPTable
	// portChain is the filter chain accepting forwarded traffic to
	// published ports (the port mapper's), "" for none.
	portChain string

	mu    sync.Mutex
	users [2]int
	nets  map[string]firewall.Network
}

var _ firewall.Backend = (*Backend)(nil)

// New returns the backend for the namespace h; portChain is the filter
// chain of published ports the networks' forward rules jump to.
func New(h netns.NsHandle, portChain string) (*Backend, error) {
	v4, err := iptables.New(iptables.IPv4, iptables.WithNetNS(h))
	if err != nil {
		return nil, err
	}
	v6, err := iptables.New(iptables.IPv6, iptables.WithNetNS(h))
	if err != nil {
		return nil, err
	}
	return &Backend{v4: v4, v6: v6, portChain: portChain, nets: map[string]firewall.Network{}}, nil
}

// Name returns firewall.IPTables.
func (b *Backend) Name() string { return firewall.IPTables }

// Tables returns the IPv4 and IPv6 tables the backend programs.
func (b *Backend) Tables() (v4, v6 *iptables.IPTable) { return b.v4, b.v6 }

// SetPortChain sets the filter chain of published ports.
func (b *Backend) SetPortChain(chain string) { b.portChain = chain }

func (b *Backend) table(v6 bool) *iptables.IPTable {
	if v6 {
		return b.v6
	}
	return b.v4
}

func fam(v6 bool) int {
	if v6 {
		return 1
	}
	return 0
}

// Rebuild removes our chains (an earlier run's rules with them) and
// programs nets again; with none, what iptables-nft made for us goes too.
func (b *Backend) Rebuild(nets []firewall.Network) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var first error
	for _, v6 := range []bool{true, false} {
		if err := b.removeBase(v6); err != nil && first == nil {
			first = err
		}
	}
	b.users = [2]int{}
	b.nets = map[string]firewall.Network{}
	if first != nil {
		return first
	}
	sort.Slice(nets, func(i, j int) bool { return nets[i].Bridge < nets[j].Bridge })
	for _, n := range nets {
		if err := b.addLocked(n); err != nil {
			return err
		}
	}
	if len(nets) == 0 {
		return b.tidy()
	}
	return nil
}

// AddNetwork programs n's rules (and the chains, with the first network)
// in one iptables-restore call per IP version. On failure nothing stays.
func (b *Backend) AddNetwork(n firewall.Network) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.nets[n.Bridge]; ok {
		return types.ConflictErrorf("iptables: network of bridge %s has its rules already", n.Bridge)
	}
	return b.addLocked(n)
}

func (b *Backend) addLocked(n firewall.Network) error {
	rs := b.rules(n)
	if err := b.install(false, rs.v4); err != nil {
		return err
	}
	if len(rs.v6) > 0 {
		if err := b.install(true, rs.v6); err != nil {
			_ = b.uninstall(false, rs.v4)
			return err
		}
	}
	b.nets[n.Bridge] = n
	return nil
}

// DelNetwork removes n's rules, and with the last network the chains.
func (b *Backend) DelNetwork(n firewall.Network) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	old, ok := b.nets[n.Bridge]
	if !ok {
		return nil
	}
	rs := b.rules(old)
	var err error
	if len(rs.v6) > 0 {
		err = b.uninstall(true, rs.v6)
	}
	if err4 := b.uninstall(false, rs.v4); err == nil {
		err = err4
	}
	delete(b.nets, n.Bridge)
	if len(b.nets) == 0 && err == nil {
		err = b.tidy()
	}
	return err
}

// base adds the chains and the jumps to them to bt. With first, the jump
// from FORWARD is moved to the top, above the port mapper's own jump:
// isolation and ICC are decided before published ports are accepted.
func (b *Backend) base(bt *iptables.Batch, v6, first bool) {
	t := b.table(v6)
	fwd, iso1, iso2 := t.ChainName(ChainForward), t.ChainName(ChainIsolation1), t.ChainName(ChainIsolation2)
	bt.NewChain(iptables.Filter, fwd).
		NewChain(iptables.Filter, iso1).
		NewChain(iptables.Filter, iso2)
	if first {
		bt.Delete(iptables.Filter, "FORWARD", "-j", fwd)
	}
	bt.EnsureJump(iptables.Filter, "FORWARD", fwd).
		Insert(iptables.Filter, fwd, 1, "-j", iso1)
	if !v6 {
		post := t.ChainName(ChainPostrouting)
		bt.NewChain(iptables.Nat, post).EnsureJump(iptables.Nat, "POSTROUTING", post)
	}
}

func (b *Backend) install(v6 bool, rules []rule) error {
	t := b.table(v6)
	first := b.users[fam(v6)] == 0
	bt := t.NewBatch()
	b.base(bt, v6, first)
	for _, r := range rules {
		bt.Append(r.table, t.ChainName(r.chain), r.args...)
	}
	if err := bt.Commit(); err != nil {
		if b.users[fam(v6)] == 0 {
			_ = b.removeBase(v6)
		}
		return types.InternalErrorf("program %s rules: %w", t.Version(), err)
	}
	b.users[fam(v6)]++
	return nil
}

func (b *Backend) uninstall(v6 bool, rules []rule) error {
	t := b.table(v6)
	bt := t.NewBatch()
	for _, r := range rules {
		bt.Delete(r.table, t.ChainName(r.chain), r.args...)
	}
	if err := bt.Commit(); err != nil {
		return types.InternalErrorf("remove %s rules: %w", t.Version(), err)
	}
	if b.users[fam(v6)] > 0 {
		b.users[fam(v6)]--
	}
	if b.users[fam(v6)] == 0 {
		return b.removeBase(v6)
	}
	return nil
}

// removeBase removes the chains of one IP version and the jumps to them.
func (b *Backend) removeBase(v6 bool) error {
	t := b.table(v6)
	type chainRef struct {
		table iptables.Table
		name  string
	}
	chains := []chainRef{
		{iptables.Filter, t.ChainName(ChainForward)},
		{iptables.Filter, t.ChainName(ChainIsolation1)},
		{iptables.Filter, t.ChainName(ChainIsolation2)},
	}
	if !v6 {
		chains = append(chains, chainRef{iptables.Nat, t.ChainName(ChainPostrouting)})
	}
	var first error
	for _, c := range chains {
		if err := t.RemoveChain(c.table, c.name); err != nil && first == nil {
			first = types.InternalErrorf("remove chain %s: %w", c.name, err)
		}
	}
	return first
}

// tidy removes what iptables-nft made for our chains.
func (b *Backend) tidy() error {
	if err := b.v4.Tidy(); err != nil {
		return err
	}
	return b.v6.Tidy()
}
