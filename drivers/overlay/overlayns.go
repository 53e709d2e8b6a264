package overlay

import (
	"errors"
	"net"
	"os"
	"time"

	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// overlayNS is a network's overlay namespace on this host, with its
// bridges and VXLAN devices (one of each per segment).
type overlayNS struct {
	path string
	nsh  netns.NsHandle
	nlh  *netlink.Handle
	raw  *nlraw.Socket // for veth pairs, created from inside
	mtu  int           // of the VXLAN devices, bridges and endpoints
	devs []segDevs
	vnis []uint32 // VXLAN IDs whose devices exist
}

// segDevs are the link indexes of a segment's devices.
type segDevs struct{ br, vx int }

// build creates the overlay namespace of n: the namespace pinned at
// n.path, then per segment a bridge (up, with the gateway addresses) and a
// VXLAN device enslaved to it. On error everything is removed again. The
// caller holds n.mu.
func (n *network) build() (err error) {
	d := n.d
	tun := d.tunnelAddrs()
	if tun == nil {
		return types.NoServiceErrorf("overlay: network %s: this host has no tunnel address (no node discovery event about itself)", n.id)
	}
	under, err := d.underlayMTU(tun.local)
	if err != nil {
		return err
	}
	mtu := n.mtu
	if mtu == 0 {
		mtu = under - vxlanOverhead4
		if tun.local.To4() == nil {
			mtu = under - vxlanOverhead6
		}
		if n.encrypted {
			mtu -= espOverhead
		}
		if mtu < minMTU {
			return types.BadRequestErrorf("overlay: network %s: underlay MTU %d leaves no room for VXLAN", n.id, under)
		}
	}
	if _, serr := os.Lstat(n.path); serr == nil {
		// Left by a crash of an earlier run.
		if rerr := ns.RemovePinned(n.path); rerr != nil {
			return rerr
		}
	}
	if err := ns.NewPinned(n.path, false); err != nil {
		return err
	}
	o := &overlayNS{path: n.path, mtu: mtu}
	defer func() {
		if err != nil {
			o.destroy()
			d.markDying(o.vnis)
		}
	}()
	if o.nsh, err = netns.GetFromPath(n.path); err != nil {
		return types.InternalErrorf("overlay: open namespace %s: %w", n.path, err)
	}
	if o.nlh, err = netlink.NewHandleAt(o.nsh, unix.NETLINK_ROUTE); err != nil {
		return types.InternalErrorf("overlay: netlink handle in %s: %w", n.path, err)
	}
	if o.raw, err = openRawSocket(o.nsh); err != nil {
		return err
	}
	var v4s, v6s int
	for i, s := range n.segs {
		if s.sub4 != nil {
			v4s++
		}
		if s.sub6 != nil {
			v6s++
		}
		if err := n.buildSegment(o, i, s, tun.local); err != nil {
			return err
		}
	}
	if v4s > 1 || v6s > 1 {
		if err := o.enableForwarding(v4s > 1, v6s > 1); err != nil {
			return err
		}
	}
	n.ons = o
	// Entries learnt before this host knew its own tunnel address may be
	// its own endpoints'.
	for eid, p := range n.peers.peers {
		if p.rec.TunnelIP.Equal(tun.advertise) {
			n.peers.removeRemote(eid)
		}
	}
	// Peers announced before this host had an endpoint on the network.
	n.peers.reconcile(o, logFor(n.id), n.peers.allKeys())
	logFor(n.id).WithFields(logrus.Fields{"path": n.path, "mtu": mtu, "segments": len(n.segs)}).Debug("overlay: namespace built")
	return nil
}

// buildSegment creates segment i's bridge and VXLAN device.
func (n *network) buildSegment(o *overlayNS, i int, s *segment, local net.IP) error {
	snoop := false
	attrs := netlink.NewLinkAttrs()
	attrs.Name, attrs.MTU, attrs.Flags = bridgeName(i), o.mtu, net.FlagUp
	br := &netlink.Bridge{LinkAttrs: attrs, MulticastSnooping: &snoop}
	if err := o.nlh.LinkAdd(br); err != nil {
		return types.InternalErrorf("overlay: network %s: create bridge %s: %w", n.id, attrs.Name, err)
	}
	if br.Index == 0 {
		return types.InternalErrorf("overlay: network %s: bridge %s has no index", n.id, attrs.Name)
	}
	for _, gw := range []*net.IPNet{s.gw4, s.gw6} {
		if gw == nil {
			continue
		}
		a := &netlink.Addr{IPNet: gw}
		if gw.IP.To4() == nil {
			a.Flags = unix.IFA_F_NODAD
		}
		if err := o.nlh.AddrAdd(br, a); err != nil {
			return types.InternalErrorf("overlay: network %s: add gateway %s to %s: %w", n.id, gw, attrs.Name, err)
		}
	}
	if err := n.addVxlan(o, i, s.vni, br.Index, local); err != nil {
		return err
	}
	vx, err := o.nlh.LinkByName(vxlanName(i))
	if err != nil {
		return types.InternalErrorf("overlay: network %s: look up %s: %w", n.id, vxlanName(i), err)
	}
	o.devs = append(o.devs, segDevs{br: br.Index, vx: vx.Attrs().Index})
	return nil
}

// addVxlan creates a VXLAN device inside o from the host namespace. A VXLAN
// ID still held by a namespace this driver has just released (the kernel
// frees namespaces asynchronously) is waited for; any other holder is a
// ConflictError.
func (n *network) addVxlan(o *overlayNS, i int, vni uint32, master int, local net.IP) error {
	d := n.d
	spec := vxlanSpec{name: vxlanName(i), vni: vni, local: local, port: n.port(), mtu: o.mtu,
		masterIndex: master, nsFd: int(o.nsh)}
	backoff := time.Millisecond
	for {
		err := addVxlan(d.hostRaw, spec)
		if err == nil {
			o.vnis = append(o.vnis, vni)
			return nil
		}
		if !errors.Is(err, unix.EEXIST) {
			return types.InternalErrorf("overlay: network %s: create VXLAN device (ID %d, port %d, local %s): %w", n.id, vni, n.port(), local, err)
		}
		since, dying := d.dyingSince(vni)
		if !dying || time.Since(since) > dyingWait {
			return types.ConflictErrorf("overlay: network %s: VXLAN ID %d on UDP port %d is in use by another device of the host namespace: %w", n.id, vni, n.port(), err)
		}
		time.Sleep(backoff)
		if backoff < 20*time.Millisecond {
			backoff *= 2
		}
	}
}

// enableForwarding lets the overlay namespace route between the segments
// of a network with several subnets of a family.
func (o *overlayNS) enableForwarding(v4, v6 bool) error {
	var files []string
	if v4 {
		files = append(files, "/proc/sys/net/ipv4/ip_forward")
	}
	if v6 {
		files = append(files, "/proc/sys/net/ipv6/conf/all/forwarding")
	}
	err := ns.WithNetNS(o.nsh, func() error {
		for _, f := range files {
			if err := os.WriteFile(f, []byte("1"), 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return types.InternalErrorf("overlay: enable forwarding in %s: %w", o.path, err)
	}
	return nil
}

// destroy closes the handles and unpins the namespace: the kernel frees it
// and every link in it (the VXLAN devices, bridges and veth pairs).
func (o *overlayNS) destroy() {
	o.close()
	if err := ns.RemovePinned(o.path); err != nil {
		logrus.WithField("path", o.path).WithError(err).Warn("overlay: unpin namespace")
	}
}

// close releases the handles; the namespace stays pinned.
func (o *overlayNS) close() {
	if o.raw != nil {
		o.raw.Close()
		o.raw = nil
	}
	if o.nlh != nil {
		o.nlh.Close()
		o.nlh = nil
	}
	if o.nsh.IsOpen() {
		o.nsh.Close()
		o.nsh = netns.None()
	}
}

// teardown removes the overlay namespace, if any. The caller holds n.mu.
func (n *network) teardown() {
	if n.sweep != nil {
		n.sweep.Stop()
		n.sweep = nil
	}
	if n.ons == nil {
		return
	}
	o := n.ons
	n.ons = nil
	o.destroy()
	n.d.markDying(o.vnis)
	n.peers.forgetKernel()
	logFor(n.id).Debug("overlay: namespace removed")
}

// The kernelTables of an overlay namespace.

func (o *overlayNS) setFDB(seg int, mac net.HardwareAddr, vtep net.IP) error {
	return o.nlh.NeighSet(&netlink.Neigh{LinkIndex: o.devs[seg].vx, Family: unix.AF_BRIDGE, Flags: netlink.NTF_SELF,
		State: netlink.NUD_PERMANENT, IP: vtep, HardwareAddr: mac})
}

func (o *overlayNS) delFDB(seg int, mac net.HardwareAddr, vtep net.IP) error {
	err := o.nlh.NeighDel(&netlink.Neigh{LinkIndex: o.devs[seg].vx, Family: unix.AF_BRIDGE, Flags: netlink.NTF_SELF,
		State: netlink.NUD_PERMANENT, IP: vtep, HardwareAddr: mac})
	// The bridge's own entry for the MAC, learnt on the VXLAN port.
	_ = o.nlh.NeighDel(&netlink.Neigh{LinkIndex: o.devs[seg].vx, Family: unix.AF_BRIDGE, Flags: netlink.NTF_MASTER, HardwareAddr: mac})
	if err != nil && !isGone(err) {
		return err
	}
	return nil
}

func (o *overlayNS) setNeigh(seg int, ip net.IP, mac net.HardwareAddr) error {
	return o.nlh.NeighSet(&netlink.Neigh{LinkIndex: o.devs[seg].vx, State: netlink.NUD_PERMANENT, IP: ip, HardwareAddr: mac})
}

func (o *overlayNS) delNeigh(seg int, ip net.IP, mac net.HardwareAddr) error {
	err := o.nlh.NeighDel(&netlink.Neigh{LinkIndex: o.devs[seg].vx, IP: ip})
	if err != nil && !isGone(err) {
		return err
	}
	return nil
}
