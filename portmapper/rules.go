package portmapper

import (
	"net"
	"strconv"
	"sync"

	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/nft"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

// Rules are written in iptables-save's canonical form, so that a restarted
// process adopting its chains recognises them.

func (pm *PortMapper) newFamily(ipt *iptables.IPTable, v6 bool) *family {
	f := &family{
		ipt:         ipt,
		nft:         pm.nft,
		nfam:        nft.IPv4,
		v6:          v6,
		natChain:    pm.opts.ChainName,
		postChain:   pm.opts.ChainName + "-POST",
		filterChain: pm.opts.ChainName,
		loopback:    "127.0.0.0/8",
	}
	if v6 {
		f.loopback = "::1/128"
		f.nfam = nft.IPv6
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
// of the other proxy mode left by an earlier run; with nf_tables, the table
// and the filter chain.
func (f *family) setup(proxy bool) error {
	if f.nft != nil {
		if err := f.nft.Commit(f.nftSetup(&nft.Batch{}, proxy)); err != nil {
			return err
		}
		return f.nftFilter(f.ipt.NewBatch()).Commit()
	}
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

// RemoveChains removes the portmapper's chains and the jumps to them, and
// its nf_tables tables. Call it after UnmapAll (or Close) when the rules
// should go entirely.
func (pm *PortMapper) RemoveChains() error {
	if err := pm.removeTables(); err != nil {
		return err
	}
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

// removeTables deletes the nf_tables tables, on a connection of its own
// (the portmapper's is closed by then).
func (pm *PortMapper) removeTables() error {
	if pm.nft == nil {
		return nil
	}
	h := netns.None()
	if pm.opts.NetNSPath != "" {
		var err error
		if h, err = netns.GetFromPath(pm.opts.NetNSPath); err != nil {
			return types.InternalErrorf("portmapper: open netns %q: %w", pm.opts.NetNSPath, err)
		}
		defer h.Close()
	}
	c, err := nft.Open(h)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, f := range pm.fam {
		if f == nil {
			continue
		}
		if err := c.Commit((&nft.Batch{}).DelTable(f.nfam, f.nftTable())); err != nil && !types.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// rule is one iptables rule of a mapping, or with nf_tables one element
// of a set.
type rule struct {
	table  iptables.Table
	chain  string
	args   []string
	set    string
	elem   nft.Elem
	shared bool // may be needed by several mappings (same container port)
}

func (r rule) id() string {
	if r.set != "" {
		return r.nftID()
	}
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
	if f.nft != nil {
		return f.nftRules(m)
	}
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
	b := f.newBatch()
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
		b.add(r)
	}
	pm.mu.Unlock()
	if err := b.commit(); err != nil {
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
		nb := &nft.Batch{}
		if f.nft != nil {
			for _, set := range []string{setDNATAddr, setDNATAny, setHairpin, setLocalnet} {
				nb.FlushSet(f.nfam, f.nftTable(), set)
			}
			want[rule{table: iptables.Filter, chain: f.filterChain, args: acceptDNAT}.id()] = true
		}
		pm.mu.Lock()
		for _, m := range pm.mappings {
			if pm.familyOf(m.ctrIP) == f {
				for _, r := range f.rules(m) {
					if r.set != "" && !want[r.id()] {
						nb.AddElems(f.nfam, f.nftTable(), r.set, r.elem)
					}
					want[r.id()] = true
				}
			}
		}
		pm.mu.Unlock()
		if f.nft != nil {
			if err := f.nft.Commit(nb); err != nil {
				return err
			}
		}
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

// chains returns the portmapper's iptables chains of f.
func (f *family) chains() []chainRef {
	if f.nft != nil {
		return []chainRef{{iptables.Filter, f.filterChain}}
	}
	return []chainRef{{iptables.Nat, f.natChain}, {iptables.Nat, f.postChain}, {iptables.Filter, f.filterChain}}
}

// ruleBatch collects one family's rule changes for one commit.
type ruleBatch struct {
	f    *family
	ipt  *iptables.Batch
	nft  *nft.Batch
	dels []rule // nf_tables deletions, to retry one by one
}

func (f *family) newBatch() *ruleBatch {
	return &ruleBatch{f: f, ipt: f.ipt.NewBatch(), nft: &nft.Batch{}}
}

func (b *ruleBatch) add(r rule) {
	if r.set != "" {
		b.nft.AddElems(b.f.nfam, b.f.nftTable(), r.set, r.elem)
		return
	}
	b.ipt.Append(r.table, r.chain, r.args...)
}

func (b *ruleBatch) del(r rule) {
	if r.set != "" {
		b.nft.DelElems(b.f.nfam, b.f.nftTable(), r.set, r.elem)
		b.dels = append(b.dels, r)
		return
	}
	b.ipt.Delete(r.table, r.chain, r.args...)
}

// commit applies the batch. An nf_tables batch is all or nothing; one
// that fails because an element is already gone is retried element by
// element, skipping the gone ones.
func (b *ruleBatch) commit() error {
	if b.nft.Len() > 0 {
		err := b.f.nft.Commit(b.nft)
		if types.IsNotFound(err) && len(b.dels) == b.nft.Len() {
			err = nil
			for _, r := range b.dels {
				if e := b.f.nft.Commit((&nft.Batch{}).DelElems(b.f.nfam, b.f.nftTable(), r.set, r.elem)); e != nil && !types.IsNotFound(e) {
					err = e
					break
				}
			}
		}
		if err != nil {
			return err
		}
	}
	return b.ipt.Commit()
}
