package osl

import (
	"bytes"
	"net"

	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// neigh is a neighbour entry added by AddNeighbor.
type neigh struct {
	dstIP     net.IP
	dstMac    net.HardwareAddr
	linkName  string // as given to WithNeighLinkName
	linkDst   string // the interface's name in the sandbox
	linkIndex int
	family    int // 0 for IP neighbours, else e.g. AF_BRIDGE
}

// kernel returns the entry's netlink form.
func (nh *neigh) kernel() *netlink.Neigh {
	k := &netlink.Neigh{LinkIndex: nh.linkIndex, IP: nh.dstIP, HardwareAddr: nh.dstMac,
		State: netlink.NUD_PERMANENT, Family: nh.family}
	if nh.family > 0 {
		k.Flags = netlink.NTF_SELF
	}
	return k
}

// findNeighbor returns the entry for ip and mac; the caller holds n.mu.
func (n *namespace) findNeighbor(ip net.IP, mac net.HardwareAddr) (int, *neigh) {
	for k, nh := range n.neighbors {
		if nh.dstIP.Equal(ip) && bytes.Equal(nh.dstMac, mac) {
			return k, nh
		}
	}
	return -1, nil
}

func (n *namespace) AddNeighbor(dstIP net.IP, dstMac net.HardwareAddr, options ...NeighOption) error {
	return n.addNeighbor(dstIP, dstMac, neighKeep, options)
}

func (n *namespace) AddNeighborForce(dstIP net.IP, dstMac net.HardwareAddr, force bool, options ...NeighOption) error {
	if force {
		return n.addNeighbor(dstIP, dstMac, neighReplace, options)
	}
	return n.addNeighbor(dstIP, dstMac, neighRefuse, options)
}

// What addNeighbor does with an entry already added for the same IP and MAC.
const (
	neighKeep    = iota // keep it, succeed
	neighRefuse         // ConflictError
	neighReplace        // replace it
)

func (n *namespace) addNeighbor(dstIP net.IP, dstMac net.HardwareAddr, onDup int, options []NeighOption) error {
	nh := &neigh{dstIP: types.GetIPCopy(dstIP), dstMac: types.GetMacCopy(dstMac)}
	for _, o := range options {
		if o != nil {
			o(nh)
		}
	}
	if len(dstIP) == 0 {
		return types.BadRequestErrorf("neighbour has no IP address")
	}
	if len(dstMac) != 6 {
		return types.BadRequestErrorf("neighbour %s: MAC address %q is not a 6-byte Ethernet address", dstIP, dstMac)
	}
	if nh.linkName == "" {
		return types.BadRequestErrorf("neighbour %s: no interface given (WithNeighLinkName)", dstIP)
	}
	if nh.family < 0 || nh.family > 255 {
		return types.BadRequestErrorf("neighbour %s: address family %d is invalid", dstIP, nh.family)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return errDestroyed(n.key)
	}
	i := n.findIface(nh.linkName)
	if i == nil {
		return types.NotFoundErrorf("neighbour %s: interface %q is not in sandbox %s", dstIP, nh.linkName, n.key)
	}
	nh.linkDst, nh.linkIndex = i.dstName, i.index
	k, old := n.findNeighbor(dstIP, dstMac)
	if old != nil && onDup == neighKeep {
		return nil
	}
	if old != nil && onDup == neighRefuse {
		return types.ConflictErrorf("neighbour %s (%s) is already in sandbox %s", dstIP, dstMac, n.key)
	}
	if err := n.nlh.NeighSet(nh.kernel()); err != nil {
		return kernelErr(err, "add neighbour %s (%s) on %s in sandbox %s", dstIP, dstMac, i.dstName, n.key)
	}
	if old != nil {
		n.neighbors[k] = nh
	} else {
		n.neighbors = append(n.neighbors, nh)
	}
	return nil
}

func (n *namespace) DeleteNeighbor(dstIP net.IP, dstMac net.HardwareAddr) error {
	return n.DeleteNeighborOS(dstIP, dstMac, true)
}

func (n *namespace) DeleteNeighborOS(dstIP net.IP, dstMac net.HardwareAddr, osDelete bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return errDestroyed(n.key)
	}
	k, nh := n.findNeighbor(dstIP, dstMac)
	if nh == nil {
		return types.NotFoundErrorf("neighbour %s (%s) is not in sandbox %s", dstIP, dstMac, n.key)
	}
	if osDelete {
		kn := nh.kernel()
		if nh.family == 0 {
			kn.HardwareAddr = nil
		}
		if err := n.nlh.NeighDel(kn); err != nil && !isGone(err) {
			// The entry is forgotten anyway, so a later add is not refused.
			logrus.WithFields(logrus.Fields{"key": n.key, "ip": dstIP, "error": err}).Warn("osl: delete neighbour")
		}
		if nh.family == unix.AF_BRIDGE {
			// Also the entry the bridge learnt dynamically, if any.
			kn.Flags, kn.State = netlink.NTF_MASTER, 0
			_ = n.nlh.NeighDel(kn)
		}
	}
	n.neighbors = append(n.neighbors[:k], n.neighbors[k+1:]...)
	return nil
}
