package iptables

import (
	"net"
	"strconv"

	"github.com/cnmkit/libnetwork/types"
)

// ChainInfo is a chain of the seed's API: a chain of one table that the
// bridge driver and the portmapper program with the package-level commands.
type ChainInfo struct {
	Name        string
	Table       Table
	HairpinMode bool
}

// loopback4 is the IPv4 loopback range, excluded from the OUTPUT jump
// without hairpin mode (the userland proxy serves it).
const loopback4 = "127.0.0.0/8"

// NewChain creates chain name in table (filter when empty) unless it
// exists, and returns its ChainInfo.
func NewChain(name string, table Table, hairpinMode bool) (*ChainInfo, error) {
	if table == "" {
		table = Filter
	}
	if err := validTable(table); err != nil {
		return nil, err
	}
	if err := validChain(name); err != nil {
		return nil, err
	}
	c := &ChainInfo{Name: name, Table: table, HairpinMode: hairpinMode}
	if ExistChain(name, table) {
		return c, nil
	}
	if err := RawCombinedOutput("-t", string(table), "-N", name); err != nil {
		if ExistChain(name, table) { // created meanwhile by another caller
			return c, nil
		}
		return nil, types.InternalErrorf("iptables: create chain %s/%s: %w", table, name, err)
	}
	return c, nil
}

// localJump matches the packets for a local address that the nat chain's
// jumps take.
func localJump(name string, excludeLoopback bool) []string {
	args := []string{"-m", "addrtype", "--dst-type", "LOCAL"}
	if excludeLoopback {
		args = append(args, "!", "-d", loopback4)
	}
	return append(args, "-j", name)
}

// ProgramChain adds (enable) or removes the jumps to c: for a nat chain
// from PREROUTING and OUTPUT for local destinations (OUTPUT not for the
// loopback unless hairpinMode); for a filter chain from the top of FORWARD
// for packets out of bridgeName, with the accept of their established
// connections after it.
func ProgramChain(c *ChainInfo, bridgeName string, hairpinMode, enable bool) error {
	if c == nil || c.Name == "" {
		return types.BadRequestErrorf("iptables: no chain to program")
	}
	action := Delete
	if enable {
		action = Append
	}
	switch c.Table {
	case Nat:
		if err := programRule(Nat, "PREROUTING", action, localJump(c.Name, false)); err != nil {
			return types.InternalErrorf("iptables: PREROUTING jump to %s: %w", c.Name, err)
		}
		if err := programRule(Nat, "OUTPUT", action, localJump(c.Name, !hairpinMode)); err != nil {
			return types.InternalErrorf("iptables: OUTPUT jump to %s: %w", c.Name, err)
		}
	case Filter:
		if bridgeName == "" {
			return types.BadRequestErrorf("iptables: filter chain %s needs a bridge name", c.Name)
		}
		jump := []string{"-o", bridgeName, "-j", c.Name}
		insert := action
		if enable {
			insert = Insert
		}
		if err := programRule(Filter, "FORWARD", insert, jump); err != nil {
			return types.InternalErrorf("iptables: FORWARD jump to %s: %w", c.Name, err)
		}
		est := []string{"-o", bridgeName, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"}
		if err := programRule(Filter, "FORWARD", action, est); err != nil {
			return types.InternalErrorf("iptables: FORWARD accept of established to %s: %w", bridgeName, err)
		}
	default:
		return types.BadRequestErrorf("iptables: chain %s of table %q has no jumps to program", c.Name, c.Table)
	}
	return nil
}

// RemoveExistingChain removes chain name of table, with its jumps, if it
// exists.
func RemoveExistingChain(name string, table Table) error {
	if table == "" {
		table = Filter
	}
	if !ExistChain(name, table) {
		return nil
	}
	return (&ChainInfo{Name: name, Table: table}).Remove()
}

// Forward adds (Append, Insert) or deletes the rules publishing port of ip
// (any address when unspecified) on destAddr:destPort for proto: the DNAT
// in c (a nat chain; not for packets from bridgeName unless c is in
// hairpin mode), the accept in the filter chain of c's name for packets
// from outside bridgeName, and the masquerade of the container's hairpin
// traffic in POSTROUTING.
func (c *ChainInfo) Forward(action Action, ip net.IP, port int, proto, destAddr string, destPort int, bridgeName string) error {
	if err := validAction(action); err != nil {
		return err
	}
	if port < 1 || port > 65535 || destPort < 1 || destPort > 65535 {
		return types.BadRequestErrorf("iptables: forward port %d to %d out of range", port, destPort)
	}
	dst := net.ParseIP(destAddr)
	if dst == nil {
		return types.BadRequestErrorf("iptables: invalid forward destination %q", destAddr)
	}
	if ip == nil {
		ip = net.IPv4zero
	}
	daddr := ip.String()
	if ip.IsUnspecified() {
		daddr = "0/0"
	}
	sport, dport := strconv.Itoa(port), strconv.Itoa(destPort)
	dnat := []string{"-p", proto, "-d", daddr, "--dport", sport, "-j", "DNAT", "--to-destination", net.JoinHostPort(dst.String(), dport)}
	if !c.HairpinMode {
		dnat = append(dnat, "!", "-i", bridgeName)
	}
	if err := programRule(Nat, c.Name, action, dnat); err != nil {
		return err
	}
	accept := []string{"!", "-i", bridgeName, "-o", bridgeName, "-p", proto, "-d", dst.String(), "--dport", dport, "-j", "ACCEPT"}
	if err := programRule(Filter, c.Name, action, accept); err != nil {
		return err
	}
	masq := []string{"-p", proto, "-s", dst.String(), "-d", dst.String(), "--dport", dport, "-j", "MASQUERADE"}
	return programRule(Nat, "POSTROUTING", action, masq)
}

// Link adds or deletes the filter rules in c that let ip1 reach ip2's port
// (and the replies back) across bridgeName.
func (c *ChainInfo) Link(action Action, ip1, ip2 net.IP, port int, proto string, bridgeName string) error {
	if err := validAction(action); err != nil {
		return err
	}
	if ip1 == nil || ip2 == nil {
		return types.BadRequestErrorf("iptables: link needs two addresses, got %v and %v", ip1, ip2)
	}
	p := strconv.Itoa(port)
	in := []string{"-i", bridgeName, "-o", bridgeName, "-p", proto, "-s", ip1.String(), "-d", ip2.String(), "--dport", p, "-j", "ACCEPT"}
	if err := programRule(Filter, c.Name, action, in); err != nil {
		return err
	}
	out := []string{"-i", bridgeName, "-o", bridgeName, "-p", proto, "-s", ip2.String(), "-d", ip1.String(), "--sport", p, "-j", "ACCEPT"}
	return programRule(Filter, c.Name, action, out)
}

// Prerouting runs action on the nat table's PREROUTING chain with args.
func (c *ChainInfo) Prerouting(action Action, args ...string) error {
	return builtin(Nat, "PREROUTING", action, args)
}

// Output runs action on the nat table's OUTPUT chain with args.
func (c *ChainInfo) Output(action Action, args ...string) error {
	return builtin(Nat, "OUTPUT", action, args)
}

func builtin(table Table, chain string, action Action, args []string) error {
	if err := validAction(action); err != nil {
		return err
	}
	out, err := Raw(append([]string{"-t", string(table), string(action), chain}, args...)...)
	if err != nil {
		return err
	}
	if len(out) != 0 {
		return ChainError{Chain: chain, Output: out}
	}
	return nil
}

// Remove removes c: for a nat chain its jumps from PREROUTING and OUTPUT
// first; then its rules and the chain. What is not there is skipped.
func (c *ChainInfo) Remove() error {
	if c.Table == Nat {
		for _, j := range []struct {
			chain string
			args  []string
		}{
			{"PREROUTING", localJump(c.Name, false)},
			{"OUTPUT", localJump(c.Name, true)},
			{"OUTPUT", localJump(c.Name, false)},
		} {
			if err := programRule(Nat, j.chain, Delete, j.args); err != nil {
				return err
			}
		}
	}
	if !ExistChain(c.Name, c.Table) {
		return nil
	}
	if err := RawCombinedOutput("-t", string(c.Table), "-F", c.Name); err != nil {
		return err
	}
	return RawCombinedOutput("-t", string(c.Table), "-X", c.Name)
}

func validAction(a Action) error {
	switch a {
	case Append, Delete, Insert:
		return nil
	}
	return types.BadRequestErrorf("iptables: unknown action %q", string(a))
}
