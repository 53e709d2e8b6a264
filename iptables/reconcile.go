package iptables

import (
	"bytes"
	"strings"

	"github.com/sirupsen/logrus"
)

// savedTable is one table of iptables-save output.
type savedTable struct {
	chains []string
	rules  []savedRule
}

type savedRule struct {
	chain string
	args  []string
}

// parseSave reads iptables-save output.
func parseSave(out []byte) map[Table]*savedTable {
	res := map[Table]*savedTable{}
	var cur *savedTable
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "*"):
			cur = &savedTable{}
			res[Table(line[1:])] = cur
		case line == "COMMIT":
			cur = nil
		case cur == nil:
		case strings.HasPrefix(line, ":"):
			if f := strings.Fields(line[1:]); len(f) > 0 {
				cur.chains = append(cur.chains, f[0])
			}
		case strings.HasPrefix(line, "-A "):
			toks := tokenize(line)
			if len(toks) >= 2 {
				cur.rules = append(cur.rules, savedRule{chain: toks[1], args: toks[2:]})
			}
		}
	}
	return res
}

// loadTable reconciles the record of table with the kernel once: it adopts
// the chains carrying t's prefix, their rules and the rules jumping to them.
// The caller holds t.mu.
func (t *IPTable) loadTable(table Table) error {
	tr := t.rec(table)
	if tr.loaded {
		return nil
	}
	out, err := t.save(table)
	if err != nil {
		return err
	}
	st := parseSave(out)[table]
	if st != nil {
		owned := map[string]bool{}
		for _, c := range st.chains {
			if t.Owns(c) {
				owned[c] = true
				tr.addChain(c)
			}
		}
		for _, r := range st.rules {
			key := ruleKey(r.args)
			if owned[r.chain] || owned[ruleTarget(key)] {
				tr.addRule(r.chain, key)
			}
		}
		if len(owned) > 0 {
			logrus.WithFields(logrus.Fields{"table": table, "iptables": t.String(), "chains": len(owned)}).
				Debug("iptables: adopted existing chains")
		}
	}
	tr.loaded = true
	return nil
}

// RemoveAll removes every chain whose name carries prefix ("PREFIX" or
// "PREFIX-..."), in every table, with the rules that jump to them. It reads
// the ruleset once and programs the removal in one iptables-restore call.
func (t *IPTable) RemoveAll(prefix string) error {
	if err := validPrefix(prefix); err != nil {
		return err
	}
	t.lockIdle()
	defer t.mu.Unlock()
	out, err := t.save("")
	if err != nil {
		return err
	}
	saved := parseSave(out)
	var in bytes.Buffer
	for _, table := range allTables {
		st := saved[table]
		if st == nil {
			continue
		}
		var ours []string
		mine := map[string]bool{}
		for _, c := range st.chains {
			if hasPrefix(c, prefix) {
				ours = append(ours, c)
				mine[c] = true
			}
		}
		if len(ours) == 0 {
			continue
		}
		in.WriteString("*" + string(table) + "\n")
		for _, r := range st.rules {
			key := ruleKey(r.args)
			if !mine[r.chain] && mine[ruleTarget(key)] {
				in.WriteString("-D " + r.chain + " " + key + "\n")
			}
		}
		for _, c := range ours {
			in.WriteString("-F " + c + "\n")
		}
		for _, c := range ours {
			in.WriteString("-X " + c + "\n")
		}
		in.WriteString("COMMIT\n")
	}
	if in.Len() > 0 {
		if err := t.restore(in.Bytes()); err != nil {
			return err
		}
	}
	for _, tr := range t.tables {
		for name := range tr.chains {
			if hasPrefix(name, prefix) {
				for _, r := range tr.referrers(name) {
					tr.delRule(r.chain, r.key)
				}
				tr.delChain(name)
			}
		}
	}
	return nil
}
