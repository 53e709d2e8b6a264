package portmapper

import (
	"net"
	"strconv"
	"sync"

	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/types"
)

// Rules are written in iptables-save's canonical form, so that a restarted
// process adopting its chains recognises them.

func (pm *PortMapper) newFamily(ipt *iptables.IPTable, v6 bool) *family {
	f := &family{
		ipt:         ipt,
		v6:          v6,
		natChain:    pm.opts.ChainName,
		postChain:   pm.opts.ChainName + "-POST",
		filterChain: pm.opts.ChainName,
		loopback:    "127.0.0.0/8",
	}
	if v6 {
		f.loopback = "::1/128"
	}
	f.prerJump = []string{"-m", "addrtype", "--dst-type", "LOCAL"}
	return f
}

func (f *family) outputJumps(proxy bool) (use, other []string) {
	all := []string{"-m", "addrtype", "--dst-type", "LOCAL"}
	noLoop := []string{"!", "-d", f.loopback, "-m", "addrtype", "--dst-type", "LOCAL"}
	if proxy {
		return noLoop, all
	}
	return all, noLoop
}

// setup creates the chains and jumps in one batch, replacing an OUTPUT jump
// of the other proxy mode left by an earlier run.
func (f *family) setup(proxy bool) error {
	use, other := f.outputJumps(proxy)
	f.outputJump = use
	return f.ipt.NewBatch().
		NewChain(iptables.Nat, f.natChain).
		NewChain(iptables.Nat, f.postChain).
		NewChain(iptables.Filter, f.filterChain).
		Delete(iptables.Nat, "OUTPUT", append(other, "-j", f.natChain)...).
		EnsureJump(iptables.Nat, "PREROUTING", f.natChain, f.prerJump...).
		EnsureJump(iptables.Nat, "OUTPUT", f.natChain, f.outputJump...).
		EnsureJump(iptables.Nat, "POSTROUTING", f.postChain).
		EnsureJump(iptables.Filter, "FORWARD", f.filterChain).
		Commit()
}

// RemoveChains removes the portmapper's chains and the jumps to them. Call
// it after UnmapAll (or Close) when the rules should go entirely.
func (pm *PortMapper) RemoveChains() error {
	for _, f := range pm.fam {
		if f == nil {
			continue
		}
		for _, c := range f.chains() {
			if err := f.ipt.RemoveChain(c.t, c.chain); err != nil {
				return err
			}
		}
	}
	return nil
}

// rule is one iptables rule of a mapping.
type rule struct {
	table  iptables.Table
	chain  string
	args   []string
	shared bool // may be needed by several mappings (same container port)
}

func (r rule) id() string {
	s := string(r.table) + "|" + r.chain
	for _, a := range r.args {
		s += "|" + a
	}
	return s
}

func hostMask(ip net.IP) string {
	if ip.To4() != nil {
		return ip.String() + "/32"
	}
	return ip.String() + "/128"
}

// rules returns the rules of m: DNAT, forward accept, hairpin masquerade
// and, for the loopback path without proxy, the masquerade of 127/8.
func (f *family) rules(m *mapping) []rule {
	proto := []string{"-p", m.proto, "-m", m.proto}
	var dnat []string
	if !m.hostIP.IsUnspecified() {
		dnat = append(dnat, "-d", hostMask(m.hostIP))
	}
	dest := net.JoinHostPort(m.ctrIP.String(), strconv.Itoa(m.ctrPort))
	dnat = append(append(dnat, proto...), "--dport", strconv.Itoa(m.hostPort), "-j", "DNAT", "--to-destination", dest)
	ctr := hostMask(m.ctrIP)
	toCtr := append(append([]string(nil), proto...), "--dport", strconv.Itoa(m.ctrPort))
	rs := []rule{
		{table: iptables.Nat, chain: f.natChain, args: dnat},
		{table: iptables.Filter, chain: f.filterChain, shared: true,
			args: append(append([]string{"-d", ctr}, toCtr...), "-j", "ACCEPT")},
		{table: iptables.Nat, chain: f.postChain, shared: true,
			args: append(append([]string{"-s", ctr, "-d", ctr}, toCtr...), "-j", "MASQUERADE")},
	}
	if m.localnet != "" {
		rs = append(rs, rule{table: iptables.Nat, chain: f.postChain, shared: true,
			args: append(append([]string{"-s", f.loopback, "-d", ctr}, toCtr...), "-j", "MASQUERADE")})
	}
	return rs
}

// ctrKey identifies the container port whose shared rules a mapping uses.
func (m *mapping) ctrKey() string {
	return m.proto + "/" + net.JoinHostPort(m.ctrIP.String(), strconv.Itoa(m.ctrPort))
}

// lockCtr serialises the mappings of one container port, so that the
// counts of their shared rules follow the order of their commits. Mappings
// of different container ports run in parallel.
func (pm *PortMapper) lockCtr(key string) func() {
	pm.mu.Lock()
	l := pm.ctrLocks[key]
	if l == nil {
		l = &ctrLock{}
		pm.ctrLocks[key] = l
	}
	l.refs++
	pm.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		pm.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(pm.ctrLocks, key)
		}
		pm.mu.Unlock()
	}
}

type ctrLock struct {
	mu   sync.Mutex
	refs int
}

// addRules programs m's rules in one batch; rules shared with other
// mappings are counted. The caller holds m's container lock, not pm.mu.
func (pm *PortMapper) addRules(f *family, m *mapping) error {
	b := f.ipt.NewBatch()
	var counted []string
	pm.mu.Lock()
	for _, r := range f.rules(m) {
		if r.shared {
			id := r.id()
			counted = append(counted, id)
			if pm.shared[id]++; pm.shared[id] > 1 {
				continue
			}
		}
		b.Append(r.table, r.chain, r.args...)
	}
	pm.mu.Unlock()
	if err := b.Commit(); err != nil {
		pm.mu.Lock()
		for _, id := range counted {
			pm.unshare(id)
		}
		pm.mu.Unlock()
		return err
	}
	return nil
}

// unshare drops a count. The caller holds pm.mu.
func (pm *PortMapper) unshare(id string) {
	if pm.shared[id]--; pm.shared[id] <= 0 {
		delete(pm.shared, id)
	}
}

// Prune deletes the rules in the portmapper's chains that belong to no
// current mapping, such as those of containers gone while the process was
// down (a restarted process adopts its chains with their rules). Map the
// mappings that stay first. Map and Unmap wait while Prune runs.
func (pm *PortMapper) Prune() error {
	pm.life.Lock()
	defer pm.life.Unlock()
	if pm.closed {
		return types.NoServiceErrorf("portmapper: closed")
	}
	for _, f := range pm.fam {
		if f == nil {
			continue
		}
		want := map[string]bool{}
		pm.mu.Lock()
		for _, m := range pm.mappings {
			if pm.familyOf(m.ctrIP) == f {
				for _, r := range f.rules(m) {
					want[r.id()] = true
				}
			}
		}
		pm.mu.Unlock()
		b := f.ipt.NewBatch()
		for _, c := range f.chains() {
			for _, args := range f.ipt.Rules(c.t, c.chain) {
				if r := (rule{table: c.t, chain: c.chain, args: args}); !want[r.id()] {
					b.Delete(c.t, c.chain, args...)
				}
			}
		}
		if err := b.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// chainRef names a chain of a table.
type chainRef struct {
	t     iptables.Table
	chain string
}

// chains returns the portmapper's chains of f.
func (f *family) chains() []chainRef {
	return []chainRef{{iptables.Nat, f.natChain}, {iptables.Nat, f.postChain}, {iptables.Filter, f.filterChain}}
}
