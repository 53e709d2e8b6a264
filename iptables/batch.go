package iptables

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

type opKind int

const (
	opNewChain opKind = iota
	opAppend
	opInsert
	opDelete
)

type op struct {
	kind  opKind
	table Table
	chain string
	pos   int
	key   string
}

// line returns the iptables-restore line of o.
func (o op) line() string {
	switch o.kind {
	case opNewChain:
		return ":" + o.chain + " - [0:0]"
	case opAppend:
		return "-A " + o.chain + " " + o.key
	case opInsert:
		return "-I " + o.chain + " " + strconv.Itoa(o.pos) + " " + o.key
	}
	return "-D " + o.chain + " " + o.key
}

// inverse returns the line that undoes o.
func (o op) inverse() string {
	switch o.kind {
	case opNewChain:
		return "-X " + o.chain
	case opAppend, opInsert:
		return "-D " + o.chain + " " + o.key
	}
	return "-A " + o.chain + " " + o.key
}

// Batch collects chain and rule changes that Commit programs in one
// iptables-restore call. Like the single operations, it is checked against
// the record: rules already installed are not added again, rules not
// installed are not deleted.
type Batch struct {
	t   *IPTable
	ops []op
	err error
}

// NewBatch returns an empty batch on t.
func (t *IPTable) NewBatch() *Batch { return &Batch{t: t} }

// Len returns the number of operations in b.
func (b *Batch) Len() int { return len(b.ops) }

func (b *Batch) add(o op, rule []string) *Batch {
	if b.err != nil {
		return b
	}
	if err := validTable(o.table); err != nil {
		b.err = err
		return b
	}
	if err := validChain(o.chain); err != nil {
		b.err = err
		return b
	}
	if o.kind != opNewChain {
		if len(rule) == 0 {
			b.err = types.BadRequestErrorf("iptables: empty rule for chain %q", o.chain)
			return b
		}
		if err := validRule(rule); err != nil {
			b.err = err
			return b
		}
		o.key = ruleKey(rule)
	} else if !b.t.Owns(o.chain) {
		b.err = types.BadRequestErrorf("iptables: chain %q does not carry the prefix %q", o.chain, b.t.prefix)
		return b
	}
	b.ops = append(b.ops, o)
	return b
}

// NewChain creates chain (which must carry the prefix) unless it exists.
func (b *Batch) NewChain(table Table, chain string) *Batch {
	return b.add(op{kind: opNewChain, table: table, chain: chain}, nil)
}

// EnsureJump inserts, at the top of from, a jump to our chain to for
// packets matching match, unless that jump is installed.
func (b *Batch) EnsureJump(table Table, from, to string, match ...string) *Batch {
	if b.err == nil && !b.t.Owns(to) {
		b.err = types.BadRequestErrorf("iptables: jump target %q does not carry the prefix %q", to, b.t.prefix)
		return b
	}
	rule := append(append([]string(nil), match...), "-j", to)
	return b.add(op{kind: opInsert, table: table, chain: from, pos: 1}, rule)
}

// Append appends rule to chain unless it is installed.
func (b *Batch) Append(table Table, chain string, rule ...string) *Batch {
	return b.add(op{kind: opAppend, table: table, chain: chain}, rule)
}

// Insert inserts rule at position pos (1 = top) of chain unless it is installed.
func (b *Batch) Insert(table Table, chain string, pos int, rule ...string) *Batch {
	if b.err == nil && pos < 1 {
		b.err = types.BadRequestErrorf("iptables: invalid rule position %d", pos)
		return b
	}
	return b.add(op{kind: opInsert, table: table, chain: chain, pos: pos}, rule)
}

// Delete deletes rule from chain if it is installed.
func (b *Batch) Delete(table Table, chain string, rule ...string) *Batch {
	return b.add(op{kind: opDelete, table: table, chain: chain}, rule)
}

type section struct {
	table  Table
	ops    []op
	commit int // line number of the section's COMMIT
}

// Commit programs the batch in one iptables-restore call. On failure the
// tables already committed by that call are rolled back and the record is
// unchanged; a batch of deletions instead falls back to deleting each rule,
// ignoring the ones already gone. Batches that touch different rules run
// their commands in parallel.
func (b *Batch) Commit() error {
	if b.err != nil {
		return b.err
	}
	t := b.t
	t.mu.Lock()
	for t.conflicts(b.ops) {
		t.cond.Wait()
	}
	var undo []func()
	rollbackRecord := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	var sections []*section
	byTable := map[Table]*section{}
	deletesOnly := true
	for _, o := range b.ops {
		need, err := t.needed(o)
		if err != nil {
			rollbackRecord()
			t.mu.Unlock()
			return err
		}
		if !need {
			continue
		}
		undo = append(undo, t.apply(o))
		s := byTable[o.table]
		if s == nil {
			s = &section{table: o.table}
			byTable[o.table] = s
			sections = append(sections, s)
		}
		s.ops = append(s.ops, o)
		if o.kind != opDelete {
			deletesOnly = false
		}
	}
	if len(sections) == 0 {
		t.mu.Unlock()
		return nil
	}
	keys := t.markInflight(sections)
	t.mu.Unlock()

	var in bytes.Buffer
	lineNo := 0
	writeLine := func(l string) {
		in.WriteString(l)
		in.WriteByte('\n')
		lineNo++
	}
	for _, s := range sections {
		writeLine("*" + string(s.table))
		for _, o := range s.ops {
			writeLine(o.line())
		}
		writeLine("COMMIT")
		s.commit = lineNo
	}
	err := t.restore(in.Bytes())
	var left []op
	if err != nil {
		if deletesOnly {
			left, err = t.deleteEach(sections, err)
		} else {
			t.rollback(sections, failedLine(err))
		}
	}

	t.mu.Lock()
	if err != nil && !deletesOnly {
		rollbackRecord()
	}
	for _, o := range left {
		t.rec(o.table).addRule(o.chain, o.key)
	}
	t.clearInflight(keys)
	t.mu.Unlock()
	return err
}

// inflightKey returns the key o marks: its chain for a new chain, the
// rule otherwise.
func inflightKey(o op) string {
	if o.kind == opNewChain {
		return string(o.table) + "|" + o.chain
	}
	return string(o.table) + "|" + o.chain + "|" + o.key
}

// conflicts reports whether ops must wait: one of their chains or rules is
// in flight, or a table they use must be reconciled while batches run. The
// caller holds t.mu.
func (t *IPTable) conflicts(ops []op) bool {
	for _, o := range ops {
		if t.inflight[string(o.table)+"|"+o.chain] > 0 || t.inflight[inflightKey(o)] > 0 {
			return true
		}
		if t.busy > 0 {
			if tr := t.tables[o.table]; tr == nil || !tr.loaded {
				return true
			}
		}
	}
	return false
}

func (t *IPTable) markInflight(sections []*section) []string {
	var keys []string
	for _, s := range sections {
		for _, o := range s.ops {
			k := inflightKey(o)
			t.inflight[k]++
			keys = append(keys, k)
		}
	}
	t.busy++
	return keys
}

func (t *IPTable) clearInflight(keys []string) {
	for _, k := range keys {
		if t.inflight[k]--; t.inflight[k] <= 0 {
			delete(t.inflight, k)
		}
	}
	t.busy--
	t.cond.Broadcast()
}

// needed reports whether o changes anything, reconciling the table once
// when the record cannot tell. The caller holds t.mu.
func (t *IPTable) needed(o op) (bool, error) {
	tr := t.rec(o.table)
	switch o.kind {
	case opNewChain:
		if tr.hasChain(o.chain) {
			return false, nil
		}
		if err := t.loadTable(o.table); err != nil {
			return false, err
		}
		return !tr.hasChain(o.chain), nil
	case opDelete:
		return tr.hasRule(o.chain, o.key), nil
	}
	if tr.hasRule(o.chain, o.key) {
		return false, nil
	}
	if t.Owns(o.chain) || t.Owns(ruleTarget(o.key)) {
		if err := t.loadTable(o.table); err != nil {
			return false, err
		}
		return !tr.hasRule(o.chain, o.key), nil
	}
	// A rule in a chain that is not ours: ask the kernel once.
	ok, err := t.check(o.table, o.chain, tokenize(o.key))
	if err != nil {
		return false, err
	}
	if ok {
		tr.addRule(o.chain, o.key)
	}
	return !ok, nil
}

// apply records o and returns its undo. The caller holds t.mu.
func (t *IPTable) apply(o op) func() {
	tr := t.rec(o.table)
	switch o.kind {
	case opNewChain:
		tr.addChain(o.chain)
		return func() { tr.delChain(o.chain) }
	case opDelete:
		tr.delRule(o.chain, o.key)
		return func() { tr.addRule(o.chain, o.key) }
	}
	tr.addRule(o.chain, o.key)
	return func() { tr.delRule(o.chain, o.key) }
}

var lineRE = regexp.MustCompile(`line:? (\d+)`)

// failedLine returns the input line iptables-restore reported, or 0.
func failedLine(err error) int {
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// rollback undoes the sections that iptables-restore may have committed
// before it failed at line failed (0 = unknown), one section per call: a
// section that was not committed fails as a whole and changes nothing.
func (t *IPTable) rollback(sections []*section, failed int) {
	for _, s := range sections {
		if failed > 0 && s.commit >= failed {
			break
		}
		var in bytes.Buffer
		in.WriteString("*" + string(s.table) + "\n")
		for i := len(s.ops) - 1; i >= 0; i-- {
			in.WriteString(s.ops[i].inverse() + "\n")
		}
		in.WriteString("COMMIT\n")
		if err := t.restore(in.Bytes()); err != nil {
			logrus.WithFields(logrus.Fields{"table": s.table, "iptables": t.String()}).
				WithError(err).Debug("iptables: rollback of a failed batch section")
		}
	}
}

// deleteEach deletes the rules of a failed deletion batch one by one; rules
// already gone are fine. It returns the rules left in place on failure.
func (t *IPTable) deleteEach(sections []*section, cause error) ([]op, error) {
	var all []op
	for _, s := range sections {
		all = append(all, s.ops...)
	}
	for i, o := range all {
		_, err := t.raw(o.table, append([]string{"-D", o.chain}, tokenize(o.key)...)...)
		if err != nil && !types.IsNotFound(err) {
			return all[i:], err
		}
	}
	logrus.WithFields(logrus.Fields{"iptables": t.String()}).WithError(cause).
		Debug("iptables: batch deletion fell back to single deletions")
	return nil, nil
}

// Restore programs lines (iptables-restore rule lines such as
// "-A CHAIN -j ACCEPT", without the table header or COMMIT) into table with
// one "iptables-restore --noflush" call. These changes are not recorded;
// prefer a Batch for changes the IPTable should track.
func (t *IPTable) Restore(table Table, lines []string) error {
	if err := validTable(table); err != nil {
		return err
	}
	var in bytes.Buffer
	in.WriteString("*" + string(table) + "\n")
	for _, l := range lines {
		if strings.ContainsAny(l, "\n\r\x00") || strings.HasPrefix(strings.TrimSpace(l), "*") ||
			strings.TrimSpace(l) == "COMMIT" {
			return types.BadRequestErrorf("iptables: invalid restore line %q", l)
		}
		in.WriteString(l + "\n")
	}
	in.WriteString("COMMIT\n")
	t.lockIdle()
	defer t.mu.Unlock()
	return t.restore(in.Bytes())
}
