package iptables

import (
	"sort"
	"strings"
)

// The record: what this IPTable installed (or adopted at reconciliation), so
// that operations are idempotent without reading the ruleset back.

type ruleRef struct{ chain, key string }

type chainRec struct {
	owned bool              // a chain of ours (created or adopted)
	rules map[string]uint64 // rule key -> insertion sequence
}

type tableRec struct {
	loaded bool // reconciled from iptables-save once
	chains map[string]*chainRec
	refs   map[string]map[ruleRef]struct{} // target chain -> rules jumping to it
	seq    uint64
}

func (t *IPTable) rec(table Table) *tableRec {
	tr := t.tables[table]
	if tr == nil {
		tr = &tableRec{chains: map[string]*chainRec{}, refs: map[string]map[ruleRef]struct{}{}}
		t.tables[table] = tr
	}
	return tr
}

func (tr *tableRec) chain(name string) *chainRec {
	c := tr.chains[name]
	if c == nil {
		c = &chainRec{rules: map[string]uint64{}}
		tr.chains[name] = c
	}
	return c
}

func (tr *tableRec) hasChain(name string) bool {
	c := tr.chains[name]
	return c != nil && c.owned
}

func (tr *tableRec) hasRule(chain, key string) bool {
	c := tr.chains[chain]
	if c == nil {
		return false
	}
	_, ok := c.rules[key]
	return ok
}

func (tr *tableRec) addChain(name string) { tr.chain(name).owned = true }

// delChain forgets the chain and its rules (it must have no references).
func (tr *tableRec) delChain(name string) {
	tr.flushChain(name)
	delete(tr.chains, name)
}

func (tr *tableRec) flushChain(name string) {
	c := tr.chains[name]
	if c == nil {
		return
	}
	for key := range c.rules {
		tr.unref(name, key)
	}
	c.rules = map[string]uint64{}
}

func (tr *tableRec) addRule(chain, key string) {
	tr.seq++
	tr.chain(chain).rules[key] = tr.seq
	if target := ruleTarget(key); target != "" {
		m := tr.refs[target]
		if m == nil {
			m = map[ruleRef]struct{}{}
			tr.refs[target] = m
		}
		m[ruleRef{chain, key}] = struct{}{}
	}
}

func (tr *tableRec) delRule(chain, key string) {
	c := tr.chains[chain]
	if c == nil {
		return
	}
	delete(c.rules, key)
	tr.unref(chain, key)
	if !c.owned && len(c.rules) == 0 {
		delete(tr.chains, chain)
	}
}

func (tr *tableRec) unref(chain, key string) {
	if target := ruleTarget(key); target != "" {
		if m := tr.refs[target]; m != nil {
			delete(m, ruleRef{chain, key})
			if len(m) == 0 {
				delete(tr.refs, target)
			}
		}
	}
}

// referrers returns the recorded rules that jump to chain, oldest first.
func (tr *tableRec) referrers(chain string) []ruleRef {
	var out []ruleRef
	for r := range tr.refs[chain] {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		return tr.chains[out[i].chain].rules[out[i].key] < tr.chains[out[j].chain].rules[out[j].key]
	})
	return out
}

// rules returns the recorded rules of chain in insertion order.
func (tr *tableRec) rules(chain string) []string {
	c := tr.chains[chain]
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.rules))
	for k := range c.rules {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return c.rules[out[i]] < c.rules[out[j]] })
	return out
}

// ruleTarget returns the chain or target a rule key jumps to (-j or -g).
func ruleTarget(key string) string {
	toks := tokenize(key)
	for i := 0; i+1 < len(toks); i++ {
		switch toks[i] {
		case "-j", "--jump", "-g", "--goto":
			return toks[i+1]
		}
	}
	return ""
}

// ruleKey is a rule's arguments in the quoted form of an iptables-restore
// line; it identifies the rule in the record.
func ruleKey(rule []string) string {
	q := make([]string, len(rule))
	for i, a := range rule {
		q[i] = quoteArg(a)
	}
	return strings.Join(q, " ")
}

func quoteArg(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\"\\'") {
		return a
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(a) + `"`
}

// tokenize splits an iptables-save line into arguments, honouring double
// quotes and backslash escapes.
func tokenize(line string) []string {
	var toks []string
	var cur strings.Builder
	inTok, quoted, escaped := false, false, false
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped, inTok = true, true
		case r == '"':
			quoted, inTok = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if inTok {
				toks = append(toks, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteRune(r)
			inTok = true
		}
	}
	if inTok {
		toks = append(toks, cur.String())
	}
	return toks
}
