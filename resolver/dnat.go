package resolver

import (
	"net/netip"
	"strconv"

	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/nft"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// dnatTable is the nf_tables table of the DNAT rules: "CNMKIT-DNS" with the
// default prefix.
func dnatTable() string { return iptables.DefaultChainPrefix + "-DNS" }

// dnatRules are the nat rules that send port 53 of the listen address to
// one resolver's ports inside one namespace: a chain of that resolver's
// own, and the output hook's jump to it.
type dnatRules struct {
	c     *nft.Conn
	fam   nft.Family
	table string
	chain string
}

// installDNAT installs, in one nf_tables transaction, a chain redirecting
// UDP port 53 of ip to udpPort and TCP port 53 to tcpPort, and points the
// output hook at it; rules left by an earlier resolver of the namespace no
// longer apply.
func installDNAT(h netns.NsHandle, ip netip.Addr, udpPort, tcpPort int) (*dnatRules, error) {
	c, err := nft.Open(h)
	if err != nil {
		return nil, err
	}
	d := &dnatRules{c: c, fam: nft.IPv4, table: dnatTable(),
		chain: "dns-" + strconv.Itoa(udpPort) + "-" + strconv.Itoa(tcpPort)}
	addrOff, addrLen := uint32(16), uint32(4)
	if ip.Is6() {
		d.fam, addrOff, addrLen = nft.IPv6, 24, 16
	}
	addr := ip.AsSlice()
	redirect := func(proto uint8, port int) []nft.Expr {
		return []nft.Expr{
			nft.Payload(nft.NetworkHeader, addrOff, addrLen, nft.Reg32(0)),
			nft.Cmp(nft.CmpEq, nft.Reg32(0), addr),
			nft.Meta(nft.MetaL4Proto, nft.Reg32(0)),
			nft.Cmp(nft.CmpEq, nft.Reg32(0), []byte{proto}),
			nft.Payload(nft.TransportHeader, 2, 2, nft.Reg32(0)),
			nft.Cmp(nft.CmpEq, nft.Reg32(0), []byte{0, 53}),
			nft.Immediate(nft.Reg32(0), addr),
			nft.Immediate(nft.Reg32(4), []byte{byte(port >> 8), byte(port)}),
			nft.DNAT(d.fam, nft.Reg32(0), nft.Reg32(4)),
		}
	}
	b := (&nft.Batch{}).AddTable(d.fam, d.table).
		AddBaseChain(d.fam, d.table, "output", "nat", nft.Output, -100).
		AddChain(d.fam, d.table, d.chain).
		FlushChain(d.fam, d.table, d.chain).
		AddRule(d.fam, d.table, d.chain, redirect(unix.IPPROTO_UDP, udpPort)...).
		AddRule(d.fam, d.table, d.chain, redirect(unix.IPPROTO_TCP, tcpPort)...).
		FlushChain(d.fam, d.table, "output").
		AddRule(d.fam, d.table, "output", nft.Jump(d.chain))
	if err := c.Commit(b); err != nil {
		c.Close()
		if types.IsNotImplemented(err) {
			return nil, types.NotImplementedErrorf("DNS resolver: DNAT rules need nf_tables (use the direct mode without it): %w", err)
		}
		return nil, types.InternalErrorf("DNS resolver: install DNAT rules: %w", err)
	}
	return d, nil
}

// remove deletes the rules: the whole table while the output hook still
// jumps to ours; only our chain when a later resolver has taken over.
func (d *dnatRules) remove() error {
	defer d.c.Close()
	err := d.c.Commit((&nft.Batch{}).DelChain(d.fam, d.table, d.chain))
	if types.IsConflict(err) {
		err = d.c.Commit((&nft.Batch{}).DelTable(d.fam, d.table))
	}
	if types.IsNotFound(err) {
		return nil
	}
	return err
}

// close releases the connection of rules that stay.
func (d *dnatRules) close() { d.c.Close() }
