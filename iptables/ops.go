package iptables

import (
	"bytes"
	"sort"

	"github.com/cnmkit/libnetwork/types"
)

// NewChain creates chain in table; the name must carry t's prefix. A chain
// that exists already (left by an earlier run) is adopted with its rules.
func (t *IPTable) NewChain(table Table, chain string) error {
	return t.NewBatch().NewChain(table, chain).Commit()
}

// EnsureJump makes sure the top of chain from holds one jump to our chain
// to for packets matching match; it is installed once.
func (t *IPTable) EnsureJump(table Table, from, to string, match ...string) error {
	return t.NewBatch().EnsureJump(table, from, to, match...).Commit()
}

// Append appends rule to chain unless it is installed.
func (t *IPTable) Append(table Table, chain string, rule ...string) error {
	return t.NewBatch().Append(table, chain, rule...).Commit()
}

// Insert inserts rule at position pos (1 = top) of chain unless it is installed.
func (t *IPTable) Insert(table Table, chain string, pos int, rule ...string) error {
	return t.NewBatch().Insert(table, chain, pos, rule...).Commit()
}

// Delete deletes rule from chain. A rule that is not installed is not an
// error; a rule this IPTable did not record is deleted from the kernel if
// it is there.
func (t *IPTable) Delete(table Table, chain string, rule ...string) error {
	if err := validTable(table); err != nil {
		return err
	}
	if err := validChain(chain); err != nil {
		return err
	}
	if len(rule) == 0 {
		return types.BadRequestErrorf("iptables: empty rule for chain %q", chain)
	}
	if err := validRule(rule); err != nil {
		return err
	}
	key := ruleKey(rule)
	t.lockIdle()
	defer t.mu.Unlock()
	_, err := t.raw(table, append([]string{"-D", chain}, rule...)...)
	if err != nil && !types.IsNotFound(err) {
		return err
	}
	t.rec(table).delRule(chain, key)
	return nil
}

// Exists reports whether rule is in chain, asking the kernel (iptables -C).
// A missing chain means the rule does not exist.
func (t *IPTable) Exists(table Table, chain string, rule ...string) (bool, error) {
	if err := validTable(table); err != nil {
		return false, err
	}
	if err := validChain(chain); err != nil {
		return false, err
	}
	if err := validRule(rule); err != nil {
		return false, err
	}
	return t.check(table, chain, rule)
}

func (t *IPTable) check(table Table, chain string, rule []string) (bool, error) {
	_, err := t.raw(table, append([]string{"-C", chain}, rule...)...)
	switch {
	case err == nil:
		return true, nil
	case types.IsNotFound(err):
		return false, nil
	}
	return false, err
}

// FlushChain removes every rule from our chain. A missing chain is not an error.
func (t *IPTable) FlushChain(table Table, chain string) error {
	if err := t.validOwned(table, chain); err != nil {
		return err
	}
	t.lockIdle()
	defer t.mu.Unlock()
	if _, err := t.raw(table, "-F", chain); err != nil && !types.IsNotFound(err) {
		return err
	}
	t.rec(table).flushChain(chain)
	return nil
}

// RemoveChain removes our chain entirely: the jumps to it, its rules and
// the chain, in one iptables-restore call. A missing chain is not an error.
func (t *IPTable) RemoveChain(table Table, chain string) error {
	if err := t.validOwned(table, chain); err != nil {
		return err
	}
	t.lockIdle()
	defer t.mu.Unlock()
	tr := t.rec(table)
	if !tr.hasChain(chain) {
		if err := t.loadTable(table); err != nil {
			return err
		}
		if !tr.hasChain(chain) {
			return nil
		}
	}
	refs := tr.referrers(chain)
	var in bytes.Buffer
	in.WriteString("*" + string(table) + "\n")
	for _, r := range refs {
		in.WriteString("-D " + r.chain + " " + r.key + "\n")
	}
	in.WriteString("-F " + chain + "\n-X " + chain + "\nCOMMIT\n")
	if err := t.restore(in.Bytes()); err != nil {
		return err
	}
	for _, r := range refs {
		tr.delRule(r.chain, r.key)
	}
	tr.delChain(chain)
	return nil
}

// Rules returns the rules recorded in chain, oldest first, each as its
// arguments.
func (t *IPTable) Rules(table Table, chain string) [][]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := t.tables[table]
	if tr == nil {
		return nil
	}
	var out [][]string
	for _, k := range tr.rules(chain) {
		out = append(out, tokenize(k))
	}
	return out
}

// Chains returns our chains recorded in table.
func (t *IPTable) Chains(table Table) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	tr := t.tables[table]
	if tr == nil {
		return nil
	}
	var out []string
	for name, c := range tr.chains {
		if c.owned {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Forget drops t's record of what is installed, so that the next operation
// on each table reads it back from the kernel: call it when the ruleset was
// changed behind t's back (a firewalld reload, a flush).
func (t *IPTable) Forget() {
	t.lockIdle()
	defer t.mu.Unlock()
	t.tables = map[Table]*tableRec{}
}
