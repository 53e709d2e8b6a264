// Package firewall is the contract between the bridge driver and the
// firewall backends that program its rules: nf_tables in tables of our own
// (firewall/nftables) or the iptables binaries (firewall/iptables), for
// kernels without nf_tables. A backend is told the whole state it must hold
// (Rebuild, at driver start) and then each change (AddNetwork, DelNetwork);
// it creates its tables or chains with the first network and removes them
// with the last.
package firewall

import (
	"net"

	"github.com/cnmkit/libnetwork/types"
)

// Backend names, for the driver option and the dnet flag.
const (
	NFTables = "nftables"
	IPTables = "iptables"
)

// Network is what the firewall needs to know of one bridge network.
type Network struct {
	// Bridge is the bridge device; it identifies the network.
	Bridge string
	// Internal networks forward nothing to or from other interfaces.
	Internal bool
	// ICC accepts traffic between the network's containers.
	ICC bool
	// Masquerade rewrites traffic from PoolIPv4 leaving through another
	// interface to the host's address.
	Masquerade bool
	PoolIPv4   *net.IPNet
	// IPv6 asks for IPv6 rules too (backends that program the families
	// apart; nf_tables rules of the inet family cover both).
	IPv6 bool
}

// Backend programs the rules of the bridge networks. Its methods are safe
// for concurrent use; each change is all or nothing.
type Backend interface {
	// Name returns NFTables or IPTables.
	Name() string
	// Rebuild makes the firewall hold exactly nets: what an earlier run
	// left is replaced. With no networks, nothing of ours stays.
	Rebuild(nets []Network) error
	// AddNetwork adds n's rules.
	AddNetwork(n Network) error
	// DelNetwork removes n's rules.
	DelNetwork(n Network) error
}

// ValidName checks a backend name given by the user ("" chooses).
func ValidName(name string) error {
	switch name {
	case "", NFTables, IPTables:
		return nil
	}
	return types.BadRequestErrorf("firewall backend %q: want %q or %q", name, NFTables, IPTables)
}
