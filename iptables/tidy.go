package iptables

import (
	"sync"

	"github.com/cnmkit/libnetwork/types"
	gnft "github.com/google/nftables"
	"github.com/sirupsen/logrus"
)

// footprint is what nf_tables held before t's first command: with
// iptables-nft, iptables makes the table and its base chains the first
// time a rule needs them and never removes them. Tidy removes those that
// were not there before and are empty again.
type footprint struct {
	once   sync.Once
	ok     bool
	tables map[string]bool // table names of t's family
	chains map[string]bool // "table/chain" of base chains
}

func (t *IPTable) family() gnft.TableFamily {
	if t.version == IPv6 {
		return gnft.TableFamilyIPv6
	}
	return gnft.TableFamilyIPv4
}

func (t *IPTable) nftConn() (*gnft.Conn, error) {
	var opts []gnft.ConnOption
	if t.inNS {
		opts = append(opts, gnft.WithNetNSFd(int(t.nsh)))
	}
	return gnft.New(opts...)
}

// noteFootprint records, once, the tables and base chains of t's family.
// Without nf_tables (iptables-legacy, old kernels) it records nothing.
func (t *IPTable) noteFootprint() {
	t.fp.once.Do(func() {
		c, err := t.nftConn()
		if err != nil {
			return
		}
		tables, err := c.ListTablesOfFamily(t.family())
		if err != nil {
			return
		}
		chains, err := c.ListChainsOfTableFamily(t.family())
		if err != nil {
			return
		}
		t.fp.tables, t.fp.chains = map[string]bool{}, map[string]bool{}
		for _, tb := range tables {
			t.fp.tables[tb.Name] = true
		}
		for _, ch := range chains {
			t.fp.chains[ch.Table.Name+"/"+ch.Name] = true
		}
		t.fp.ok = true
	})
}

// Tidy removes, in one nf_tables transaction, the iptables tables and
// base chains that appeared after t's first command and are empty now
// (no rules, ACCEPT policy; a table with no chain left): what iptables-nft
// leaves behind once our chains and jumps are gone. Tables and chains that
// were there before, or that hold anything, are not touched (the kernel
// refuses to delete a chain or table in use, so a concurrent user of them
// keeps them). With iptables-legacy it does nothing.
func (t *IPTable) Tidy() error {
	t.noteFootprint()
	if !t.fp.ok {
		return nil
	}
	c, err := t.nftConn()
	if err != nil {
		return types.InternalErrorf("iptables: tidy: nf_tables connection: %w", err)
	}
	tables, err := c.ListTablesOfFamily(t.family())
	if err != nil {
		return types.InternalErrorf("iptables: tidy: list tables: %w", err)
	}
	chains, err := c.ListChainsOfTableFamily(t.family())
	if err != nil {
		return types.InternalErrorf("iptables: tidy: list chains: %w", err)
	}
	left := map[string]int{}
	n := 0
	for _, ch := range chains {
		name := ch.Table.Name
		if !Table(name).valid() && name != "security" {
			continue
		}
		left[name]++
		if t.fp.chains[name+"/"+ch.Name] || ch.Hooknum == nil || (ch.Policy != nil && *ch.Policy != gnft.ChainPolicyAccept) {
			continue
		}
		rules, err := c.GetRules(ch.Table, ch)
		if err != nil || len(rules) > 0 {
			continue
		}
		c.DelChain(ch)
		left[name]--
		n++
	}
	for _, tb := range tables {
		name := tb.Name
		if t.fp.tables[name] || (!Table(name).valid() && name != "security") || left[name] > 0 {
			continue
		}
		sets, err := c.GetSets(tb)
		if err != nil || len(sets) > 0 {
			continue
		}
		c.DelTable(tb)
		n++
	}
	if n == 0 {
		return nil
	}
	if err := c.Flush(); err != nil {
		// Someone uses them after all (EBUSY) or removed them (ENOENT).
		logrus.WithError(err).Debug("iptables: tidy: tables kept")
	}
	return nil
}
