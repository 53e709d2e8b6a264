package bridge

import (
	"sync"

	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

// Chain suffixes of the driver's chains (the iptables prefix, "CNMKIT" by
// default, goes in front).
const (
	chainForward     = "FORWARD"
	chainIsolation1  = "ISOLATION-STAGE-1"
	chainIsolation2  = "ISOLATION-STAGE-2"
	chainPostrouting = "POSTROUTING"
)

// rule is one iptables rule of a network, in one of our chains.
type rule struct {
	table iptables.Table
	chain string // suffix of our chain
	args  []string
}

// ruleSet is a network's rules per IP version, in order.
type ruleSet struct {
	v4, v6 []rule
}

func (rs *ruleSet) add(v6 bool, table iptables.Table, chain string, args ...string) {
	r := rule{table: table, chain: chain, args: args}
	if v6 {
		rs.v6 = append(rs.v6, r)
	} else {
		rs.v4 = append(rs.v4, r)
	}
}

// both adds the rule for IPv4 and, when withV6, for IPv6.
func (rs *ruleSet) both(withV6 bool, table iptables.Table, chain string, args ...string) {
	rs.add(false, table, chain, args...)
	if withV6 {
		rs.add(true, table, chain, args...)
	}
}

// firewall programs the driver's chains and the networks' rules. The base
// chains exist while at least one network (per IP version) has rules, and
// are removed with the last one.
type firewall struct {
	v4, v6 *iptables.IPTable

	mu    sync.Mutex
	users [2]int
	// onFirst runs before the first IPv4 rules are installed, onLast after
	// the last are removed (the port mapper's chains).
	onFirst, onLast func() error
}

type chainRef struct {
	table iptables.Table
	name  string
}

func newFirewall(h netns.NsHandle) (*firewall, error) {
	v4, err := iptables.New(iptables.IPv4, iptables.WithNetNS(h))
	if err != nil {
		return nil, err
	}
	v6, err := iptables.New(iptables.IPv6, iptables.WithNetNS(h))
	if err != nil {
		return nil, err
	}
	return &firewall{v4: v4, v6: v6}, nil
}

func (f *firewall) table(v6 bool) *iptables.IPTable {
	if v6 {
		return f.v6
	}
	return f.v4
}

func fam(v6 bool) int {
	if v6 {
		return 1
	}
	return 0
}

// base adds the driver's chains and the jumps to them to b. With first, the
// jump from FORWARD is moved to the top, above the port mapper's own jump:
// isolation and ICC are decided before published ports are accepted.
func (f *firewall) base(b *iptables.Batch, v6, first bool) {
	t := f.table(v6)
	fwd, iso1, iso2 := t.ChainName(chainForward), t.ChainName(chainIsolation1), t.ChainName(chainIsolation2)
	b.NewChain(iptables.Filter, fwd).
		NewChain(iptables.Filter, iso1).
		NewChain(iptables.Filter, iso2)
	if first {
		b.Delete(iptables.Filter, "FORWARD", "-j", fwd)
	}
	b.EnsureJump(iptables.Filter, "FORWARD", fwd).
		Insert(iptables.Filter, fwd, 1, "-j", iso1)
	if !v6 {
		post := t.ChainName(chainPostrouting)
		b.NewChain(iptables.Nat, post).EnsureJump(iptables.Nat, "POSTROUTING", post)
	}
}

// install programs the base chains (first time) and rules, in one
// iptables-restore call per IP version. On failure nothing stays.
func (f *firewall) install(rs *ruleSet) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.installLocked(false, rs.v4); err != nil {
		return err
	}
	if len(rs.v6) > 0 {
		if err := f.installLocked(true, rs.v6); err != nil {
			_ = f.removeLocked(false, rs.v4)
			return err
		}
	}
	return nil
}

func (f *firewall) installLocked(v6 bool, rules []rule) error {
	t := f.table(v6)
	first := f.users[fam(v6)] == 0
	if first && !v6 && f.onFirst != nil {
		if err := f.onFirst(); err != nil {
			return types.InternalErrorf("set up port mapping chains: %w", err)
		}
	}
	b := t.NewBatch()
	f.base(b, v6, first)
	for _, r := range rules {
		b.Append(r.table, t.ChainName(r.chain), r.args...)
	}
	if err := b.Commit(); err != nil {
		if f.users[fam(v6)] == 0 {
			_ = f.removeBase(v6)
		}
		return types.InternalErrorf("program %s rules: %w", t.Version(), err)
	}
	f.users[fam(v6)]++
	return nil
}

// remove deletes rs's rules in one call per IP version, and the base chains
// with the last network.
func (f *firewall) remove(rs *ruleSet) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var err error
	if len(rs.v6) > 0 {
		err = f.removeLocked(true, rs.v6)
	}
	if err4 := f.removeLocked(false, rs.v4); err == nil {
		err = err4
	}
	return err
}

func (f *firewall) removeLocked(v6 bool, rules []rule) error {
	t := f.table(v6)
	b := t.NewBatch()
	for _, r := range rules {
		b.Delete(r.table, t.ChainName(r.chain), r.args...)
	}
	if err := b.Commit(); err != nil {
		return types.InternalErrorf("remove %s rules: %w", t.Version(), err)
	}
	if f.users[fam(v6)] > 0 {
		f.users[fam(v6)]--
	}
	if f.users[fam(v6)] == 0 {
		return f.removeBase(v6)
	}
	return nil
}

// removeBase removes the driver's chains and the jumps to them.
func (f *firewall) removeBase(v6 bool) error {
	t := f.table(v6)
	var first error
	if !v6 && f.onLast != nil {
		if err := f.onLast(); err != nil {
			first = types.InternalErrorf("remove port mapping chains: %w", err)
		}
	}
	chains := []chainRef{
		{iptables.Filter, t.ChainName(chainForward)},
		{iptables.Filter, t.ChainName(chainIsolation1)},
		{iptables.Filter, t.ChainName(chainIsolation2)},
	}
	if !v6 {
		chains = append(chains, chainRef{iptables.Nat, t.ChainName(chainPostrouting)})
	}
	for _, c := range chains {
		if err := t.RemoveChain(c.table, c.name); err != nil && first == nil {
			first = types.InternalErrorf("remove chain %s: %w", c.name, err)
		}
	}
	return first
}

// commitFirewall is the last setup step: it programs the rules the rule
// steps described.
func commitFirewall(c *setupCtx) error {
	if c.d.fw == nil {
		return nil
	}
	return c.d.fw.install(&c.rules)
}

// removeFirewall deletes the network's rules.
func removeFirewall(c *setupCtx) error {
	if c.d.fw == nil {
		return nil
	}
	return c.d.fw.remove(&c.rules)
}
