package resolver

import (
	"net/netip"
	"strconv"

	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

// dnatChainSuffix names our nat chain: "CNMKIT-DNS" with the default prefix.
const dnatChainSuffix = "DNS"

// dnatRules are the nat rules that send port 53 of the listen address to
// the resolver's ports inside one namespace.
type dnatRules struct {
	ipt   *iptables.IPTable
	chain string
	jump  string   // the OUTPUT rule that jumps to chain
	rules []string // chain's rules
}

// installDNAT installs, in one iptables-restore run, a chain redirecting
// UDP port 53 of ip to udpPort and TCP port 53 to tcpPort, and the jump to
// it from OUTPUT. When the chain exists (left by a resolver that did not
// stop), its rules are replaced and the jump is ensured.
func installDNAT(h netns.NsHandle, ip netip.Addr, udpPort, tcpPort int) (*dnatRules, error) {
	v, bits := iptables.IPv4, "/32"
	to := ip.String()
	if ip.Is6() {
		v, bits, to = iptables.IPv6, "/128", "["+to+"]"
	}
	ipt, err := iptables.New(v, iptables.WithNetNS(h))
	if err != nil {
		return nil, err
	}
	d := &dnatRules{ipt: ipt, chain: ipt.ChainName(dnatChainSuffix)}
	d.jump = "-d " + ip.String() + bits + " -j " + d.chain
	d.rules = []string{
		"-p udp --dport 53 -j DNAT --to-destination " + to + ":" + strconv.Itoa(udpPort),
		"-p tcp --dport 53 -j DNAT --to-destination " + to + ":" + strconv.Itoa(tcpPort),
	}
	lines := []string{"-N " + d.chain}
	for _, rule := range d.rules {
		lines = append(lines, "-A "+d.chain+" "+rule)
	}
	lines = append(lines, "-I OUTPUT 1 "+d.jump)
	err = ipt.Restore(iptables.Nat, lines)
	if err == nil {
		return d, nil
	}
	if !types.IsConflict(err) {
		return nil, types.InternalErrorf("DNS resolver: install DNAT rules: %w", err)
	}
	// The chain exists: flush and refill it, then make sure of the jump.
	lines = []string{":" + d.chain + " - [0:0]"}
	for _, rule := range d.rules {
		lines = append(lines, "-A "+d.chain+" "+rule)
	}
	if err := ipt.Restore(iptables.Nat, lines); err != nil {
		return nil, types.InternalErrorf("DNS resolver: replace DNAT rules: %w", err)
	}
	if err := ipt.NewBatch().EnsureJump(iptables.Nat, "OUTPUT", d.chain, "-d", ip.String()+bits).Commit(); err != nil {
		return nil, types.InternalErrorf("DNS resolver: jump to DNAT rules: %w", err)
	}
	return d, nil
}

// remove deletes the rules in one run. Rules that another resolver has
// since replaced are left alone: the run fails as a whole and changes
// nothing.
func (d *dnatRules) remove() error {
	var lines []string
	for _, rule := range d.rules {
		lines = append(lines, "-D "+d.chain+" "+rule)
	}
	lines = append(lines, "-D OUTPUT "+d.jump, "-X "+d.chain)
	return d.ipt.Restore(iptables.Nat, lines)
}
