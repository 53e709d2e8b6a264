package iptables

import (
	"github.com/cnmkit/libnetwork/firewall"
	"github.com/cnmkit/libnetwork/iptables"
)

// rule is one iptables rule of a network, in one of our chains.
type rule struct {
	table iptables.Table
	chain string // suffix of our chain
	args  []string
}

// ruleSet is a network's rules per IP version, in order.
type ruleSet struct {
	v4, v6 []rule
}

func (rs *ruleSet) add(v6 bool, table iptables.Table, chain string, args ...string) {
	r := rule{table: table, chain: chain, args: args}
	if v6 {
		rs.v6 = append(rs.v6, r)
	} else {
		rs.v4 = append(rs.v4, r)
	}
}

// both adds the rule for IPv4 and, when withV6, for IPv6.
func (rs *ruleSet) both(withV6 bool, table iptables.Table, chain string, args ...string) {
	rs.add(false, table, chain, args...)
	if withV6 {
		rs.add(true, table, chain, args...)
	}
}

// rules describes n's rules: masquerade, forwarding (ICC), isolation
// between networks, and the isolation of internal networks.
func (b *Backend) rules(n firewall.Network) *ruleSet {
	rs := &ruleSet{}
	b.nat(rs, n)
	b.icc(rs, n)
	b.isolation(rs, n)
	internal(rs, n)
	return rs
}

// nat: traffic from the pool leaving through another interface takes the
// host's address. IPv6 is routed, not masqueraded.
func (b *Backend) nat(rs *ruleSet, n firewall.Network) {
	if n.Internal || !n.Masquerade || n.PoolIPv4 == nil {
		return
	}
	rs.add(false, iptables.Nat, ChainPostrouting, "-s", n.PoolIPv4.String(), "!", "-o", n.Bridge, "-j", "MASQUERADE")
}

// icc: replies into the bridge, published ports, traffic out of it, and
// traffic between its containers (accepted with ICC on, dropped with ICC
// off); anything else forwarded into the bridge is dropped. Internal
// networks only get the rule between containers.
func (b *Backend) icc(rs *ruleSet, n firewall.Network) {
	br, v6 := n.Bridge, n.IPv6
	icc := "ACCEPT"
	if !n.ICC {
		icc = "DROP"
	}
	if n.Internal {
		rs.both(v6, iptables.Filter, ChainForward, "-i", br, "-o", br, "-j", icc)
		return
	}
	rs.both(v6, iptables.Filter, ChainForward, "-o", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
	if b.portChain != "" {
		rs.both(v6, iptables.Filter, ChainForward, "!", "-i", br, "-o", br, "-j", b.portChain)
	}
	rs.both(v6, iptables.Filter, ChainForward, "-i", br, "!", "-o", br, "-j", "ACCEPT")
	rs.both(v6, iptables.Filter, ChainForward, "-i", br, "-o", br, "-j", icc)
	rs.both(v6, iptables.Filter, ChainForward, "-o", br, "-j", "DROP")
}

// isolation: traffic leaving a bridge for another interface goes to stage
// 2, where traffic entering any of our bridges is dropped.
func (b *Backend) isolation(rs *ruleSet, n firewall.Network) {
	if n.Internal {
		return
	}
	br, v6 := n.Bridge, n.IPv6
	rs.both(v6, iptables.Filter, ChainIsolation1, "-i", br, "!", "-o", br, "-j", b.v4.ChainName(ChainIsolation2))
	rs.both(v6, iptables.Filter, ChainIsolation2, "-o", br, "-j", "DROP")
}

// internal: nothing is forwarded from the bridge to another interface or
// from another interface into the bridge.
func internal(rs *ruleSet, n firewall.Network) {
	if !n.Internal {
		return
	}
	br, v6 := n.Bridge, n.IPv6
	rs.both(v6, iptables.Filter, ChainIsolation1, "-i", br, "!", "-o", br, "-j", "DROP")
	rs.both(v6, iptables.Filter, ChainIsolation1, "!", "-i", br, "-o", br, "-j", "DROP")
}
