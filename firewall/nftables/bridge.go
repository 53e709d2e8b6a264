package nftables

import (
	"sort"
	"sync"

	"github.com/cnmkit/libnetwork/firewall"
	"github.com/cnmkit/libnetwork/types"
	gnft "github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netns"
)

// Bridge is the nf_tables firewall backend of the bridge driver: the table
// "inet cnmkit" (see bridge_rules.go), created with the first network and
// deleted with the last. A change that fails because part of the table is
// missing (someone removed or changed it) rebuilds the whole table from
// the networks it knows, in one transaction.
type Bridge struct {
	c     *Conn
	table string

	mu   sync.Mutex
	nets map[string]firewall.Network
}

var _ firewall.Backend = (*Bridge)(nil)

// NewBridge returns the backend for the namespace h. It checks that the
// kernel has nf_tables (a NotImplemented error otherwise) and changes
// nothing until the first call.
func NewBridge(h netns.NsHandle) (*Bridge, error) {
	c, err := Open(h)
	if err != nil {
		return nil, err
	}
	if !c.Available() {
		c.Close()
		return nil, types.NotImplementedErrorf("nftables: the kernel of namespace %s has no nf_tables", h)
	}
	return &Bridge{c: c, table: TableName, nets: map[string]firewall.Network{}}, nil
}

// Close releases the namespace handle; the rules stay.
func (b *Bridge) Close() { b.c.Close() }

// Name returns firewall.NFTables.
func (b *Bridge) Name() string { return firewall.NFTables }

// Table returns the table's name as nft shows it ("inet cnmkit").
func (b *Bridge) Table() string { return "inet " + b.table }

func (b *Bridge) tbl() *gnft.Table {
	return &gnft.Table{Family: gnft.TableFamilyINet, Name: b.table}
}

// Rebuild replaces the table by one holding exactly nets (none: no table).
func (b *Bridge) Rebuild(nets []firewall.Network) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	want := map[string]firewall.Network{}
	for _, n := range nets {
		if err := validNetwork(n); err != nil {
			return err
		}
		want[n.Bridge] = n
	}
	if err := b.rebuild(want, "rebuild"); err != nil {
		return err
	}
	b.nets = want
	return nil
}

// AddNetwork adds n's elements (and the table, for the first network).
func (b *Bridge) AddNetwork(n firewall.Network) error {
	if err := validNetwork(n); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.nets[n.Bridge]; ok {
		return types.ConflictErrorf("nftables: network of bridge %s is in %s already", n.Bridge, b.Table())
	}
	want := b.with(n.Bridge, &n)
	if len(b.nets) == 0 {
		if err := b.rebuild(want, "add network "+n.Bridge); err != nil {
			return err
		}
	} else if err := b.change("add network "+n.Bridge+" to "+b.Table(), want, func(nc *gnft.Conn, t *gnft.Table) error {
		return addNetwork(nc, t, n)
	}); err != nil {
		return err
	}
	b.nets = want
	return nil
}

// DelNetwork removes n's elements (and the table, with the last network).
func (b *Bridge) DelNetwork(n firewall.Network) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	old, ok := b.nets[n.Bridge]
	if !ok {
		return nil
	}
	want := b.with(n.Bridge, nil)
	var err error
	if len(want) == 0 {
		err = b.rebuild(want, "delete network "+n.Bridge)
	} else {
		err = b.change("delete network "+n.Bridge+" from "+b.Table(), want, func(nc *gnft.Conn, t *gnft.Table) error {
			return delNetwork(nc, t, old)
		})
	}
	if err != nil {
		return err
	}
	b.nets = want
	return nil
}

// with returns the networks with bridge's replaced by n (nil: removed).
func (b *Bridge) with(bridge string, n *firewall.Network) map[string]firewall.Network {
	out := make(map[string]firewall.Network, len(b.nets)+1)
	for k, v := range b.nets {
		out[k] = v
	}
	if n != nil {
		out[bridge] = *n
	} else {
		delete(out, bridge)
	}
	return out
}

// change runs one incremental transaction; if the kernel says part of the
// table is missing, the table was changed behind our back: it is rebuilt
// with want.
func (b *Bridge) change(what string, want map[string]firewall.Network, fn func(*gnft.Conn, *gnft.Table) error) error {
	err := b.c.Do(what, func(nc *gnft.Conn) error { return fn(nc, b.tbl()) })
	if err == nil || !types.IsNotFound(err) {
		return err
	}
	logrus.WithError(err).WithField("table", b.Table()).Warn("nftables: our table was changed by someone else; rebuilding it")
	if rerr := b.rebuild(want, "repair"); rerr != nil {
		return types.InternalErrorf("nftables: %s: repair of %s after %v: %w", what, b.Table(), err, rerr)
	}
	return nil
}

// rebuild deletes the table (if any) and, with networks, creates it anew
// with them, in one transaction. When the kernel refuses the new table,
// each rule is tried alone to name the feature it lacks.
func (b *Bridge) rebuild(want map[string]firewall.Network, what string) error {
	err := b.c.Do(what+": rebuild "+b.Table(), func(nc *gnft.Conn) error {
		t := b.tbl()
		nc.AddTable(t) // so that the deletion finds one
		nc.DelTable(t)
		if len(want) == 0 {
			return nil
		}
		return build(nc, b.tbl(), sorted(want))
	})
	if err != nil && len(want) > 0 {
		if perr := b.probe(); perr != nil {
			return perr
		}
	}
	return err
}

// probe tries each static rule alone in a table created and deleted in the
// same transaction (nothing stays) and reports the first one refused.
func (b *Bridge) probe() error {
	for _, r := range staticRules {
		r := r
		err := b.c.Do("probe", func(nc *gnft.Conn) error {
			t := &gnft.Table{Family: gnft.TableFamilyINet, Name: b.table + "-probe"}
			nc.AddTable(t)
			sets, err := addSkeleton(nc, t)
			if err != nil {
				return err
			}
			nc.AddRule(&gnft.Rule{Table: t, Chain: &gnft.Chain{Name: r.chain, Table: t}, Exprs: r.exprs(sets)})
			nc.DelTable(t)
			return nil
		})
		if err != nil {
			return types.NotImplementedErrorf("nftables: table %s: the kernel refuses rule %q of chain %s: %w", b.Table(), r.desc, r.chain, err)
		}
	}
	return nil
}

// addSkeleton adds the base chains and sets of a new table t.
func addSkeleton(nc *gnft.Conn, t *gnft.Table) (map[string]*gnft.Set, error) {
	for _, c := range baseChains(t) {
		nc.AddChain(c)
	}
	sets := map[string]*gnft.Set{}
	for _, s := range newSets(t) {
		if err := nc.AddSet(s, nil); err != nil {
			return nil, err
		}
		sets[s.Name] = s
	}
	return sets, nil
}

// build adds the table with its chains, sets, rules and the networks.
func build(nc *gnft.Conn, t *gnft.Table, nets []firewall.Network) error {
	nc.AddTable(t)
	sets, err := addSkeleton(nc, t)
	if err != nil {
		return err
	}
	for _, r := range staticRules {
		nc.AddRule(&gnft.Rule{Table: t, Chain: &gnft.Chain{Name: r.chain, Table: t}, Exprs: r.exprs(sets)})
	}
	// One message per set for all the networks' elements.
	all := map[string][]gnft.SetElement{}
	for _, n := range nets {
		if masquerades(n) {
			c := nc.AddChain(&gnft.Chain{Table: t, Name: masqPrefix + n.Bridge})
			nc.AddRule(&gnft.Rule{Table: t, Chain: c, Exprs: masqRule(n.Bridge, n.PoolIPv4)})
		}
		for name, els := range elements(n) {
			all[name] = append(all[name], els...)
		}
	}
	for _, name := range setOrder {
		if len(all[name]) > 0 {
			if err := nc.SetAddElements(sets[name], all[name]); err != nil {
				return err
			}
		}
	}
	return nil
}

func setRef(t *gnft.Table, name string) *gnft.Set {
	for _, s := range newSets(t) {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// elements returns n's elements per set.
func elements(n firewall.Network) map[string][]gnft.SetElement {
	br := IfName(n.Bridge)
	pair := append(append([]byte(nil), br...), br...)
	out := map[string][]gnft.SetElement{setSame: {{Key: pair}}}
	if !n.ICC {
		out[setICCOff] = []gnft.SetElement{{Key: pair}}
	}
	if n.Internal {
		out[setInternal] = []gnft.SetElement{{Key: br}}
	} else {
		out[setNets] = []gnft.SetElement{{Key: br}}
	}
	if masquerades(n) {
		out[mapMasq] = []gnft.SetElement{{Key: br, VerdictData: &expr.Verdict{Kind: expr.VerdictJump, Chain: masqPrefix + n.Bridge}}}
	}
	return out
}

func masquerades(n firewall.Network) bool {
	return n.Masquerade && !n.Internal && n.PoolIPv4 != nil && n.PoolIPv4.IP.To4() != nil
}

// addNetwork queues n's chain and elements.
func addNetwork(nc *gnft.Conn, t *gnft.Table, n firewall.Network) error {
	if masquerades(n) {
		c := nc.AddChain(&gnft.Chain{Table: t, Name: masqPrefix + n.Bridge})
		nc.AddRule(&gnft.Rule{Table: t, Chain: c, Exprs: masqRule(n.Bridge, n.PoolIPv4)})
	}
	for _, name := range setOrder {
		if els := elements(n)[name]; len(els) > 0 {
			if err := nc.SetAddElements(setRef(t, name), els); err != nil {
				return err
			}
		}
	}
	return nil
}

// delNetwork queues the removal of n's elements and chain.
func delNetwork(nc *gnft.Conn, t *gnft.Table, n firewall.Network) error {
	for _, name := range setOrder {
		if els := elements(n)[name]; len(els) > 0 {
			if err := nc.SetDeleteElements(setRef(t, name), els); err != nil {
				return err
			}
		}
	}
	if masquerades(n) {
		nc.DelChain(&gnft.Chain{Table: t, Name: masqPrefix + n.Bridge})
	}
	return nil
}

var setOrder = []string{setSame, setICCOff, setInternal, setNets, mapMasq}

func sorted(m map[string]firewall.Network) []firewall.Network {
	out := make([]firewall.Network, 0, len(m))
	for _, n := range m {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bridge < out[j].Bridge })
	return out
}

func validNetwork(n firewall.Network) error {
	if n.Bridge == "" || len(n.Bridge) >= 16 {
		return types.BadRequestErrorf("nftables: bad bridge name %q", n.Bridge)
	}
	return nil
}
