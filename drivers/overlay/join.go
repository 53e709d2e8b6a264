package overlay

import (
	"errors"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/cnmkit/libnetwork/types"
	"golang.org/x/sys/unix"
)

// containerIfPrefix is the interface name prefix in the sandbox.
const containerIfPrefix = "eth"

// Join attaches the endpoint to the sandbox at sboxKey. The first Join of
// the network on this host builds its overlay namespace. The veth pair is
// made with one request: one end up on the segment's bridge, the other
// born inside the sandbox under a temporary name with the endpoint's MAC
// and the overlay MTU. There is no default gateway, and the gateway
// service is not disabled: the container gets its outside access from
// another network, or from the controller's default gateway network; routes to the network's other
// subnets go through the segment's gateway. The endpoint's PeerRecord is
// published in PeerTable under the endpoint ID.
func (d *driver) Join(nid, eid string, sboxKey string, jinfo driverapi.JoinInfo, options map[string]interface{}) error {
	if jinfo == nil {
		return types.BadRequestErrorf("overlay: join of endpoint %s without join info", eid)
	}
	n, err := d.network(nid)
	if err != nil {
		return err
	}
	tun := d.tunnelAddrs()
	if tun == nil {
		return types.NoServiceErrorf("overlay: network %s: this host has no tunnel address (no node discovery event about itself)", nid)
	}
	tmp, err := netutils.GenerateRandomNameLen("ovc", 11)
	if err != nil {
		return err
	}
	// Born with its final name when the sandbox says which (no rename).
	name := tmp
	if s, ok := jinfo.InterfaceName().(driverapi.NameSuggester); ok {
		if sug := s.SuggestName(containerIfPrefix); sug != "" {
			name = sug
		}
	}
	sbFd, err := netutils.OpenSandboxNS(sboxKey)
	if err != nil {
		return types.BadRequestErrorf("overlay: open sandbox namespace %q: %w", sboxKey, err)
	}
	if sbFd >= 0 {
		defer unix.Close(sbFd)
	} else {
		// No namespace yet (Docker's order: Join, then SetKey): the
		// container end waits in the host namespace, under a name of ours,
		// for the controller to move it in at SetKey.
		sbFd, name = int(d.hostNS), tmp
	}

	n.mu.Lock()
	ep, ok := n.endpoints[eid]
	switch {
	case !ok || n.deleted:
		n.mu.Unlock()
		return types.NotFoundErrorf("overlay: endpoint %s not found in network %s", eid, nid)
	case ep.state != epIdle:
		n.mu.Unlock()
		return types.ForbiddenErrorf("overlay: endpoint %s is already joined", eid)
	}
	rec := &PeerRecord{Addr: ep.addr, AddrV6: ep.addr6, MAC: ep.mac, TunnelIP: tun.advertise}
	value, err := rec.Encode()
	if err != nil {
		n.mu.Unlock()
		return err
	}
	if n.ons == nil {
		if err := n.build(); err != nil {
			n.mu.Unlock()
			return err
		}
	}
	ep.state = epJoining
	n.users++
	o := n.ons
	n.mu.Unlock()

	fail := func(err error) error {
		n.mu.Lock()
		ep.state = epIdle
		n.release()
		n.mu.Unlock()
		if n.encrypted {
			d.resyncESP(nid)
		}
		return err
	}
	if n.encrypted {
		// The tunnels to the peers already known are encrypted before the
		// endpoint is announced.
		d.espMu.Lock()
		err := d.syncESP()
		d.espMu.Unlock()
		if err != nil {
			return fail(err)
		}
	}
	if err := n.fillJoinInfo(ep, jinfo, name, value); err != nil {
		return fail(err)
	}
	spec := nlraw.Veth{Name: ep.hostName, MasterIndex: o.devs[ep.seg].br, MTU: o.mtu,
		PeerName: name, PeerMAC: ep.mac, PeerNSFd: sbFd}
	if _, err := o.raw.AddVeth(spec); err != nil {
		if !errors.Is(err, unix.EEXIST) {
			return fail(types.InternalErrorf("overlay: endpoint %s: create veth pair in sandbox %q: %w", eid, sboxKey, err))
		}
		// A pair left by a join whose leave did not complete, or the name
		// taken in the sandbox: replace the first, use the random name.
		_ = o.raw.DelLink(ep.hostName)
		if spec.PeerName != tmp {
			spec.PeerName = tmp
			if err := jinfo.InterfaceName().SetNames(tmp, containerIfPrefix); err != nil {
				return fail(err)
			}
		}
		if _, err := o.raw.AddVeth(spec); err != nil {
			return fail(types.InternalErrorf("overlay: endpoint %s: create veth pair in sandbox %q: %w", eid, sboxKey, err))
		}
	}

	n.mu.Lock()
	ep.state = epJoined
	keys := n.peers.addLocal(eid, ep.seg, ep.mac, ep.addr, ep.addr6)
	n.peers.reconcile(n.tables(), logFor(nid), keys)
	n.mu.Unlock()
	logFor(nid).WithField("eid", shortID(eid)).Debug("overlay: joined")
	return nil
}

// fillJoinInfo tells the controller the interface's names, the routes to
// the network's other subnets and the peer entry to publish.
func (n *network) fillJoinInfo(ep *endpoint, jinfo driverapi.JoinInfo, tmp string, value []byte) error {
	if err := jinfo.InterfaceName().SetNames(tmp, containerIfPrefix); err != nil {
		return err
	}
	own := n.segs[ep.seg]
	for j, s := range n.segs {
		if j == ep.seg {
			continue
		}
		if ep.addr != nil && own.gw4 != nil && s.sub4 != nil {
			if err := jinfo.AddStaticRoute(s.sub4, types.NEXTHOP, own.gw4.IP); err != nil {
				return err
			}
		}
		if ep.addr6 != nil && own.gw6 != nil && s.sub6 != nil {
			if err := jinfo.AddStaticRoute(s.sub6, types.NEXTHOP, own.gw6.IP); err != nil {
				return err
			}
		}
	}
	// No DisableGatewayService: a container only on overlay networks gets
	// its way out from the controller's default gateway network.
	return jinfo.AddTableEntry(PeerTable, ep.id, value)
}

// Leave detaches the endpoint. The last endpoint of the network on this
// host takes the overlay namespace with it (and with it every link, FDB
// and neighbour entry of the network); otherwise its veth pair is deleted.
func (d *driver) Leave(nid, eid string) error {
	n, err := d.network(nid)
	if err != nil {
		return err
	}
	n.mu.Lock()
	ep, ok := n.endpoints[eid]
	if !ok {
		n.mu.Unlock()
		return types.NotFoundErrorf("overlay: endpoint %s not found in network %s", eid, nid)
	}
	if ep.state != epJoined {
		n.mu.Unlock()
		return types.ForbiddenErrorf("overlay: endpoint %s is not joined", eid)
	}
	keys := n.peers.removeLocal(eid)
	if n.users == 1 {
		ep.state = epIdle
		n.release()
		n.mu.Unlock()
		if n.encrypted {
			d.resyncESP(nid)
		}
		logFor(nid).WithField("eid", shortID(eid)).Debug("overlay: left (last endpoint)")
		return nil
	}
	n.peers.reconcile(n.tables(), logFor(nid), keys)
	ep.state = epLeaving
	o := n.ons
	n.mu.Unlock()

	if err := o.raw.DelLink(ep.hostName); err != nil && !isGone(err) {
		logFor(nid).WithField("eid", shortID(eid)).WithError(err).Warn("overlay: delete veth pair")
	}
	n.mu.Lock()
	ep.state = epIdle
	n.release()
	n.mu.Unlock()
	logFor(nid).WithField("eid", shortID(eid)).Debug("overlay: left")
	return nil
}

// release drops a user of the overlay namespace; the last one removes it.
// The caller holds n.mu.
func (n *network) release() {
	n.users--
	if n.users == 0 {
		n.teardown()
	}
}

// tables returns the kernel tables of the overlay namespace, or nil.
func (n *network) tables() kernelTables {
	if n.ons == nil {
		return nil
	}
	return n.ons
}
