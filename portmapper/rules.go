package portmapper

import (
	"net"
	"strconv"
	"sync"

	nftfw "github.com/cnmkit/libnetwork/firewall/nftables"
	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/types"
	gnft "github.com/google/nftables"
	"github.com/vishvananda/netns"
)

// Rules are written in iptables-save's canonical form, so that a restarted
// process adopting its chains recognises them.

func (pm *PortMapper) newFamily(ipt *iptables.IPTable, v6 bool) *family {
	f := &family{
		ipt:         ipt,
		nft:         pm.nft,
		nfam:        gnft.TableFamilyIPv4,
		v6:          v6,
		natChain:    pm.opts.ChainName,
		postChain:   pm.opts.ChainName + "-POST",
		filterChain: pm.opts.ChainName,
		loopback:    "127.0.0.0/8",
	}
	if v6 {
		f.loopback = "::1/128"
		f.nfam = gnft.TableFamilyIPv6
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
// in one transaction.
func (f *family) setup(proxy bool) error {
	if f.nft != nil {
		return f.nft.Do("set up table "+f.nftTable(), func(nc *gnft.Conn) error { return f.nftSetup(nc, proxy) })
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
		cs := f.chains()
		for _, c := range cs {
			if err := f.ipt.RemoveChain(c.t, c.chain); err != nil {
				return err
			}
		}
		if len(cs) > 0 {
			if err := f.ipt.Tidy(); err != nil {
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
	c, err := nftfw.Open(h)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, f := range pm.fam {
		if f == nil {
			continue
		}
		t := f.tbl()
		if err := c.Do("delete table "+f.nftTable(), func(nc *gnft.Conn) error {
			nc.AddTable(t) // so that the deletion finds one
			nc.DelTable(t)
			return nil
		}); err != nil {
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
	elem   gnft.SetElement
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
		elems := map[string][]gnft.SetElement{}
		pm.mu.Lock()
		for _, m := range pm.mappings {
			if pm.familyOf(m.ctrIP) == f {
				for _, r := range f.rules(m) {
					if r.set != "" && !want[r.id()] {
						elems[r.set] = append(elems[r.set], r.elem)
					}
					want[r.id()] = true
				}
			}
		}
		pm.mu.Unlock()
		if f.nft != nil {
			// The sets' elements replaced in one transaction.
			if err := f.nft.Do("prune "+f.nftTable(), func(nc *gnft.Conn) error {
				for _, set := range []string{setDNATAddr, setDNATAny, setHairpin, setLocalnet} {
					s := f.setRef(set)
					nc.FlushSet(s)
					if len(elems[set]) > 0 {
						if err := nc.SetAddElements(s, elems[set]); err != nil {
							return err
						}
					}
				}
				return nil
			}); err != nil {
				return err
			}
			continue
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
		return nil
	}
	return []chainRef{{iptables.Nat, f.natChain}, {iptables.Nat, f.postChain}, {iptables.Filter, f.filterChain}}
}

// ruleBatch collects one family's rule changes for one commit.
type ruleBatch struct {
	f    *family
	ipt  *iptables.Batch
	adds []rule // nf_tables additions
	dels []rule // nf_tables deletions, retried one by one
}

func (f *family) newBatch() *ruleBatch {
	return &ruleBatch{f: f, ipt: f.ipt.NewBatch()}
}

func (b *ruleBatch) add(r rule) {
	if r.set != "" {
		b.adds = append(b.adds, r)
		return
	}
	b.ipt.Append(r.table, r.chain, r.args...)
}

func (b *ruleBatch) del(r rule) {
	if r.set != "" {
		b.dels = append(b.dels, r)
		return
	}
	b.ipt.Delete(r.table, r.chain, r.args...)
}

// nftDo applies nf_tables additions and deletions in one transaction.
func (b *ruleBatch) nftDo(adds, dels []rule) error {
	return b.f.nft.Do("change "+b.f.nftTable(), func(nc *gnft.Conn) error {
		for _, r := range dels {
			if err := nc.SetDeleteElements(b.f.setRef(r.set), []gnft.SetElement{r.elem}); err != nil {
				return err
			}
		}
		for _, r := range adds {
			if err := nc.SetAddElements(b.f.setRef(r.set), []gnft.SetElement{r.elem}); err != nil {
				return err
			}
		}
		return nil
	})
}

// commit applies the batch. An nf_tables batch is all or nothing; one
// that fails because an element is already gone is retried element by
// element, skipping the gone ones.
func (b *ruleBatch) commit() error {
	if len(b.adds)+len(b.dels) > 0 {
		err := b.nftDo(b.adds, b.dels)
		if types.IsNotFound(err) && len(b.adds) == 0 {
			err = nil
			for _, r := range b.dels {
				if e := b.nftDo(nil, []rule{r}); e != nil && !types.IsNotFound(e) {
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
