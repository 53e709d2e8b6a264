package libnetwork

import (
	"net"
	"time"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/osl"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// removalDelay is how long a left interface waits, down and without
// addresses, before it is deleted. Deleting a link costs an RCU grace
// period (tens of milliseconds); a sandbox deleted within the delay takes
// its interfaces with its namespace for free.
var removalDelay = time.Second

// retiredAlias marks (as the link alias) an interface waiting for removal.
const retiredAlias = "cnmkit-retired"

// populateEndpoint configures the endpoint's interface (adopting the link
// the driver named) and static routes in the OS sandbox and returns the
// interface's name there. Undo steps go to undo.
func (sb *sandbox) populateEndpoint(osSb osl.Sandbox, ep *endpoint, srcName, dstPrefix string, routes []*net.IPNet, info *endpointJoinInfo, undo *undoStack) (string, error) {
	dstName := ""
	if srcName != "" {
		ep.mu.Lock()
		var opts []osl.IfaceOption
		if ep.iface.addr != nil {
			opts = append(opts, osl.WithAddress(ep.iface.addr))
		}
		if ep.iface.addrv6 != nil {
			opts = append(opts, osl.WithIPv6Address(ep.iface.addrv6))
		} else if !hasIPv6(ep.iface.llAddrs) {
			// IPv4 only: no IPv6 chatter for the bridge to flood.
			opts = append(opts, osl.WithoutIPv6LinkLocal())
		}
		if len(ep.iface.llAddrs) > 0 {
			opts = append(opts, osl.WithLinkLocalAddresses(ep.iface.llAddrs))
		}
		if ep.iface.mac != nil {
			opts = append(opts, osl.WithMacAddress(ep.iface.mac))
		}
		mac := ep.iface.mac
		if name := ep.ifnameLocked(); name != "" {
			opts = append(opts, osl.WithName(name))
		}
		ep.mu.Unlock()
		if len(routes) > 0 {
			opts = append(opts, osl.WithRoutes(routes))
		}
		// Its MAC may still be taken by a left macvlan interface.
		retiredMACs.free(mac)
		// A link not born in the sandbox is looked for in the caller's
		// namespace: make that the controller's host namespace.
		err := ns.WithNetNS(sb.ctrl.hostNS, func() error { return osSb.AddInterface(srcName, dstPrefix, opts...) })
		if err != nil {
			return "", driverErr(err, "sandbox %s: add interface %s of endpoint %s", sb.id, srcName, ep.id)
		}
		var added osl.Interface
		for _, i := range osSb.Interfaces() {
			if i.SrcName() == srcName {
				added = i
			}
		}
		if added != nil {
			dstName = added.DstName()
			undo.push(func() {
				if err := added.Remove(); err != nil {
					logrus.WithFields(logrus.Fields{"sid": sb.id, "iface": dstName}).WithError(err).Warn("undo join: remove interface")
				}
			})
		}
	}
	for _, r := range info.staticRoutes {
		if err := osSb.AddStaticRoute(r); err != nil {
			return "", driverErr(err, "sandbox %s: add static route %s of endpoint %s", sb.id, r.Destination, ep.id)
		}
		r := r
		undo.push(func() { _ = osSb.RemoveStaticRoute(r) })
	}
	return dstName, nil
}

// clearEndpoint removes what populateEndpoint configured. A namespace we
// created that is about to be destroyed is left alone: its end frees all.
func (sb *sandbox) clearEndpoint(osSb osl.Sandbox, srcName, dstName string, info *endpointJoinInfo) {
	sb.mu.Lock()
	destroying := sb.inDelete && sb.ownNS
	sb.mu.Unlock()
	if destroying {
		return
	}
	log := logrus.WithField("sid", sb.id)
	if info != nil {
		for _, r := range info.staticRoutes {
			if err := osSb.RemoveStaticRoute(r); err != nil {
				log.WithError(err).Warn("leave: remove static route")
			}
		}
	}
	if dstName == "" && srcName == "" {
		return
	}
	for _, i := range osSb.Interfaces() {
		if (dstName != "" && i.DstName() == dstName) || (dstName == "" && i.SrcName() == srcName) {
			sb.retireInterface(osSb, i)
			return
		}
	}
}

// retireInterface takes a left interface out of service at once (down, no
// addresses; a macvlan link stays up, see retiredMACs) and deletes it
// after removalDelay, unless the sandbox goes first.
func (sb *sandbox) retireInterface(osSb osl.Sandbox, i osl.Interface) {
	name := i.DstName()
	downIdx, downMAC := 0, net.HardwareAddr(nil)
	err := osSb.InvokeNetlink(func(nlh *netlink.Handle) error {
		l, err := nlh.LinkByName(name)
		if err != nil {
			return err
		}
		// A macvlan link stays up (see retiredMACs): without its
		// addresses it already carries nothing of ours.
		if l.Type() == "macvlan" {
			downIdx, downMAC = l.Attrs().Index, l.Attrs().HardwareAddr
		} else if err := nlh.LinkSetDown(l); err != nil {
			return err
		}
		// Marked, so that a restart after a crash knows it is ours to delete.
		if err := nlh.LinkSetAlias(l, retiredAlias); err != nil {
			return err
		}
		addrs, err := nlh.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return err
		}
		for k := range addrs {
			if err := nlh.AddrDel(l, &addrs[k]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Could not park it: delete it now.
		if err := i.Remove(); err != nil {
			logrus.WithFields(logrus.Fields{"sid": sb.id, "iface": name}).WithError(err).Warn("leave: remove interface")
		}
		return
	}
	var rl *retiredLink
	if downIdx != 0 {
		if h, err := netns.GetFromPath(osSb.Key()); err == nil {
			rl = retiredMACs.add(h, downIdx, downMAC)
			h.Close()
		}
	}
	sb.mu.Lock()
	sb.pending = append(sb.pending, i)
	if rl != nil {
		sb.retiredMACs = append(sb.retiredMACs, retiredMAC{mac: downMAC, link: rl})
	}
	arm := !sb.reapArmed
	sb.reapArmed = true
	sb.mu.Unlock()
	if arm {
		time.AfterFunc(removalDelay, sb.drainRemovals)
	}
}

// drainRemovals deletes the interfaces waiting for removal now.
func (sb *sandbox) drainRemovals() {
	sb.mu.Lock()
	list, macs := sb.pending, sb.retiredMACs
	sb.pending, sb.retiredMACs = nil, nil
	sb.reapArmed = false
	sb.mu.Unlock()
	for _, i := range list {
		if err := i.Remove(); err != nil {
			logrus.WithFields(logrus.Fields{"sid": sb.id, "iface": i.DstName()}).WithError(err).Warn("remove left interface")
		}
	}
	for _, m := range macs {
		retiredMACs.forget(m.mac, m.link)
	}
}

// dropRemovals forgets the interfaces waiting for removal (their namespace
// is being destroyed). Left macvlan links stay in retiredMACs, holding
// their namespace, until the removal timer: until the namespace's end
// frees them, their MACs may be needed.
func (sb *sandbox) dropRemovals() {
	sb.mu.Lock()
	sb.pending = nil
	sb.mu.Unlock()
}

// setOSGateway makes ep's gateways (or none) the sandbox's default routes.
// The default sandbox (the host's namespace) is never touched.
func (sb *sandbox) setOSGateway(osSb osl.Sandbox, ep *endpoint) error {
	sb.mu.Lock()
	def := sb.config.useDefaultSandbox
	sb.mu.Unlock()
	if osSb == nil || def {
		return nil
	}
	if err := osSb.UnsetGateway(); err != nil {
		return err
	}
	if err := osSb.UnsetGatewayIPv6(); err != nil {
		return err
	}
	if ep == nil {
		return nil
	}
	gw, gw6 := ep.gateways()
	if err := osSb.SetGateway(gw); err != nil {
		return err
	}
	ep.mu.Lock()
	dev := ep.iface.dstName
	ep.mu.Unlock()
	return osSb.SetGatewayIPv6Via(gw6, dev)
}

// moveGateway gives the default gateway and the external connectivity to
// the endpoint that should have them now. With undo, a failure is returned
// and undo steps are recorded; without, failures are logged.
func (sb *sandbox) moveGateway(undo *undoStack) error {
	sb.mu.Lock()
	old, osSb := sb.gwEp, sb.osSb
	sb.mu.Unlock()
	nw := sb.gatewayEndpoint()
	if nw == old {
		return nil
	}
	log := logrus.WithField("sid", sb.id)
	fail := func(err error, what string) error {
		if undo != nil {
			return err
		}
		log.WithError(err).Warn(what)
		return nil
	}
	labels := sb.Labels()
	if old != nil && !old.network.internal {
		if d, err := old.network.driver(); err == nil {
			if err := d.RevokeExternalConnectivity(old.network.id, old.id); err != nil {
				if err := fail(driverErr(err, "driver %s: revoke external connectivity of endpoint %s", old.network.networkType, old.id), "revoke external connectivity"); err != nil {
					return err
				}
			} else if undo != nil {
				undo.push(func() { _ = d.ProgramExternalConnectivity(old.network.id, old.id, labels) })
			}
		}
	}
	if err := sb.setOSGateway(osSb, nw); err != nil {
		if err := fail(driverErr(err, "sandbox %s: set default gateway", sb.id), "set default gateway"); err != nil {
			return err
		}
	}
	if undo != nil {
		undo.push(func() { _ = sb.setOSGateway(osSb, old) })
	}
	if nw != nil && !nw.network.internal {
		if d, err := nw.network.driver(); err == nil {
			if err := d.ProgramExternalConnectivity(nw.network.id, nw.id, labels); err != nil {
				if err := fail(driverErr(err, "driver %s: program external connectivity of endpoint %s", nw.network.networkType, nw.id), "program external connectivity"); err != nil {
					return err
				}
			} else if undo != nil {
				undo.push(func() { _ = d.RevokeExternalConnectivity(nw.network.id, nw.id) })
			}
		}
	}
	sb.mu.Lock()
	sb.gwEp = nw
	sb.mu.Unlock()
	if undo != nil {
		undo.push(func() {
			sb.mu.Lock()
			sb.gwEp = old
			sb.mu.Unlock()
		})
	}
	return nil
}

func hasIPv6(addrs []*net.IPNet) bool {
	for _, a := range addrs {
		if a.IP.To4() == nil {
			return true
		}
	}
	return false
}
