// Package nftdump renders the whole nf_tables ruleset of a namespace for
// tests' "nothing left" checks: every table of every family (iptables-nft's
// own included), its chains, rules, sets and elements.
package nftdump

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	gnft "github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netns"
)

// State renders the ruleset of the namespace h, one sorted line per table,
// chain, rule, set and element ("table ip nat", "chain ip nat POSTROUTING
// hook=4 prio=100", "rule ip nat POSTROUTING 1: ...", "set inet cnmkit
// nets", "elem inet cnmkit nets 636e6d30..."). Tables without chains and
// sets and chains without rules end in " (empty)". Counters, set IDs and
// rule handles, which change from run to run, are left out.
func State(t testing.TB, h netns.NsHandle) string {
	t.Helper()
	s, err := Dump(h)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Empty returns the lines of a State naming empty tables and chains.
func Empty(state string) []string {
	var out []string
	for _, l := range strings.Split(state, "\n") {
		if strings.HasSuffix(l, " (empty)") {
			out = append(out, l)
		}
	}
	return out
}

// Dump is State returning its error.
func Dump(h netns.NsHandle) (string, error) {
	var opts []gnft.ConnOption
	if h.IsOpen() {
		opts = append(opts, gnft.WithNetNSFd(int(h)))
	}
	c, err := gnft.New(opts...)
	if err != nil {
		return "", err
	}
	tables, err := c.ListTables()
	if err != nil {
		return "", fmt.Errorf("list tables: %w", err)
	}
	chains, err := c.ListChains()
	if err != nil {
		return "", fmt.Errorf("list chains: %w", err)
	}
	var out []string
	for _, tb := range tables {
		name := family(tb.Family) + " " + tb.Name
		n := 0
		for _, ch := range chains {
			if ch.Table.Name != tb.Name || ch.Table.Family != tb.Family {
				continue
			}
			n++
			rules, err := c.GetRules(tb, ch)
			if err != nil {
				return "", fmt.Errorf("list rules of %s %s: %w", name, ch.Name, err)
			}
			l := "chain " + name + " " + ch.Name
			if ch.Hooknum != nil {
				l += fmt.Sprintf(" type=%s hook=%d prio=%d", ch.Type, *ch.Hooknum, prio(ch.Priority))
				if ch.Policy != nil {
					l += fmt.Sprintf(" policy=%d", *ch.Policy)
				}
			}
			if len(rules) == 0 {
				l += " (empty)"
			}
			out = append(out, l)
			for i, r := range rules {
				out = append(out, fmt.Sprintf("rule %s %s %03d: %s", name, ch.Name, i, exprs(r.Exprs)))
			}
		}
		sets, err := c.GetSets(tb)
		if err != nil {
			return "", fmt.Errorf("list sets of %s: %w", name, err)
		}
		for _, s := range sets {
			n++
			sname := s.Name
			if s.Anonymous {
				sname = "(anonymous)"
			}
			out = append(out, fmt.Sprintf("set %s %s key=%s map=%t interval=%t", name, sname, s.KeyType.Name, s.IsMap, s.Interval))
			els, err := c.GetSetElements(s)
			if err != nil {
				return "", fmt.Errorf("list elements of %s %s: %w", name, s.Name, err)
			}
			for _, e := range els {
				l := fmt.Sprintf("elem %s %s %x", name, sname, e.Key)
				if e.IntervalEnd {
					l += " end"
				}
				if e.Val != nil {
					l += fmt.Sprintf(" => %x", e.Val)
				}
				if e.VerdictData != nil {
					l += fmt.Sprintf(" => %d %s", e.VerdictData.Kind, e.VerdictData.Chain)
				}
				out = append(out, l)
			}
		}
		l := "table " + name
		if n == 0 {
			l += " (empty)"
		}
		out = append(out, l)
	}
	sort.Strings(out)
	return strings.Join(out, "\n"), nil
}

func prio(p *gnft.ChainPriority) int32 {
	if p == nil {
		return 0
	}
	return int32(*p)
}

func family(f gnft.TableFamily) string {
	switch f {
	case gnft.TableFamilyIPv4:
		return "ip"
	case gnft.TableFamilyIPv6:
		return "ip6"
	case gnft.TableFamilyINet:
		return "inet"
	case gnft.TableFamilyBridge:
		return "bridge"
	case gnft.TableFamilyARP:
		return "arp"
	case gnft.TableFamilyNetdev:
		return "netdev"
	}
	return fmt.Sprintf("family%d", f)
}

// deref returns what v points to (xt infos are pointers).
func deref(v interface{}) interface{} {
	r := reflect.ValueOf(v)
	for r.IsValid() && r.Kind() == reflect.Pointer && !r.IsNil() {
		r = r.Elem()
	}
	if !r.IsValid() {
		return nil
	}
	return r.Interface()
}

// exprs renders a rule's expressions without what changes between runs.
func exprs(es []expr.Any) string {
	var parts []string
	for _, e := range es {
		switch v := e.(type) {
		case *expr.Counter:
			parts = append(parts, "counter")
			continue
		case *expr.Lookup:
			c := *v
			c.SetID = 0
			if strings.HasPrefix(c.SetName, "__set") {
				c.SetName = "(anonymous)"
			}
			e = &c
		case *expr.Dynset:
			c := *v
			c.SetID = 0
			e = &c
		case *expr.Match:
			parts = append(parts, fmt.Sprintf("match %s/%d %+v", v.Name, v.Rev, deref(v.Info)))
			continue
		case *expr.Target:
			parts = append(parts, fmt.Sprintf("target %s/%d %+v", v.Name, v.Rev, deref(v.Info)))
			continue
		}
		parts = append(parts, fmt.Sprintf("%T%+v", e, e))
	}
	return strings.Join(parts, " ")
}
