package resolver

import (
	"net/netip"
	"strconv"

	nftfw "github.com/cnmkit/libnetwork/firewall/nftables"
	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/types"
	gnft "github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// dnatTable is the nf_tables table of the DNAT rules inside a sandbox's
// namespace: "CNMKIT-DNS" with the default prefix, family ip or ip6.
func dnatTable() string { return iptables.DefaultChainPrefix + "-DNS" }

// dnatRules are the nat rules that send port 53 of the listen address to
// one resolver's ports inside one namespace: a chain of that resolver's
// own, and the output hook's jump to it.
type dnatRules struct {
	c     *nftfw.Conn
	table *gnft.Table
	chain string
}

// installDNAT installs, in one nf_tables transaction, a chain redirecting
// UDP port 53 of ip to udpPort and TCP port 53 to tcpPort, and points the
// output hook at it; rules left by an earlier resolver of the namespace no
// longer apply.
func installDNAT(h netns.NsHandle, ip netip.Addr, udpPort, tcpPort int) (*dnatRules, error) {
	c, err := nftfw.Open(h)
	if err != nil {
		return nil, err
	}
	fam, nfproto := gnft.TableFamilyIPv4, uint32(unix.NFPROTO_IPV4)
	addrOff, addrLen := uint32(16), uint32(4)
	if ip.Is6() {
		fam, nfproto, addrOff, addrLen = gnft.TableFamilyIPv6, unix.NFPROTO_IPV6, 24, 16
	}
	d := &dnatRules{c: c, table: &gnft.Table{Family: fam, Name: dnatTable()},
		chain: "dns-" + strconv.Itoa(udpPort) + "-" + strconv.Itoa(tcpPort)}
	addr := ip.AsSlice()
	const r1, r2 = 1, 2
	redirect := func(proto uint8, port int) []expr.Any {
		return []expr.Any{
			&expr.Payload{DestRegister: r1, Base: expr.PayloadBaseNetworkHeader, Offset: addrOff, Len: addrLen},
			&expr.Cmp{Op: expr.CmpOpEq, Register: r1, Data: addr},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: r1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: r1, Data: []byte{proto}},
			&expr.Payload{DestRegister: r1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: r1, Data: []byte{0, 53}},
			&expr.Immediate{Register: r1, Data: addr},
			&expr.Immediate{Register: r2, Data: []byte{byte(port >> 8), byte(port)}},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: nfproto, RegAddrMin: r1, RegProtoMin: r2, Specified: true},
		}
	}
	err = c.Do("install DNS DNAT in "+d.table.Name, func(nc *gnft.Conn) error {
		t := nc.AddTable(d.table)
		out := nc.AddChain(&gnft.Chain{Table: t, Name: "output", Type: gnft.ChainTypeNAT,
			Hooknum: gnft.ChainHookOutput, Priority: gnft.ChainPriorityNATDest})
		own := nc.AddChain(&gnft.Chain{Table: t, Name: d.chain})
		nc.FlushChain(own)
		nc.AddRule(&gnft.Rule{Table: t, Chain: own, Exprs: redirect(unix.IPPROTO_UDP, udpPort)})
		nc.AddRule(&gnft.Rule{Table: t, Chain: own, Exprs: redirect(unix.IPPROTO_TCP, tcpPort)})
		nc.FlushChain(out)
		nc.AddRule(&gnft.Rule{Table: t, Chain: out, Exprs: []expr.Any{&expr.Verdict{Kind: expr.VerdictJump, Chain: d.chain}}})
		return nil
	})
	if err != nil {
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
	err := d.c.Do("delete DNS chain "+d.chain, func(nc *gnft.Conn) error {
		nc.DelChain(&gnft.Chain{Table: d.table, Name: d.chain})
		return nil
	})
	if types.IsConflict(err) {
		err = d.c.Do("delete table "+d.table.Name, func(nc *gnft.Conn) error {
			nc.DelTable(d.table)
			return nil
		})
	}
	if types.IsNotFound(err) {
		return nil
	}
	return err
}

// close releases the connection of rules that stay.
func (d *dnatRules) close() { d.c.Close() }
