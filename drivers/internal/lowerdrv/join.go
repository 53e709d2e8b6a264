package lowerdrv

import (
	"errors"
	"net"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/drivers/internal/parent"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/cnmkit/libnetwork/types"
	"golang.org/x/sys/unix"
)

var (
	defaultV4 = &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}
	defaultV6 = &net.IPNet{IP: net.IPv6zero, Mask: net.CIDRMask(0, 128)}
)

// Join creates the endpoint's interface on the network's parent with one
// netlink request, born inside the sandbox's namespace (at sboxKey) with
// the name the sandbox will give it, the endpoint's MAC and the network's
// mode. A sandbox whose namespace the runtime hands over later (SetKey)
// gets it in the host namespace under a temporary name, for the sandbox
// to take in. Gateways as Docker: the subnet's gateway (the external
// router) for macvlan and ipvlan l2; default routes through the interface
// for the routed modes (ipvlan l3, l3s); none on an internal network.
func (d *Driver) Join(nid, eid string, sboxKey string, jinfo driverapi.JoinInfo, options map[string]interface{}) error {
	if jinfo == nil || jinfo.InterfaceName() == nil {
		return types.BadRequestErrorf("%s: join of endpoint %s without join info", d.kind.Name, eid)
	}
	n, ep, err := d.endpoint(nid, eid)
	if err != nil {
		return err
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.joined {
		return types.ForbiddenErrorf("%s: endpoint %s is already joined", d.kind.Name, eid)
	}
	name := ""
	if s, ok := jinfo.InterfaceName().(driverapi.NameSuggester); ok {
		name = s.SuggestName(ifacePrefix)
	}
	made, inHost, err := d.createLink(n, ep, sboxKey, name)
	if err != nil {
		return err
	}
	undo := func() {
		if inHost {
			d.deleteHostLink(made)
		}
	}
	if err := jinfo.InterfaceName().SetNames(made, ifacePrefix); err != nil {
		undo()
		return err
	}
	if err := d.setRoutes(n, ep, jinfo); err != nil {
		undo()
		return err
	}
	if inHost {
		ep.hostName = made
	}
	ep.joined, ep.restored = true, false
	return nil
}

// setRoutes tells the sandbox its gateways or routes.
func (d *Driver) setRoutes(n *network, ep *endpoint, jinfo driverapi.JoinInfo) error {
	if n.cfg.Internal {
		return nil
	}
	if d.kind.Routed[n.cfg.Mode] {
		jinfo.DisableGatewayService()
		if ep.addr != nil {
			if err := jinfo.AddStaticRoute(defaultV4, types.CONNECTED, nil); err != nil {
				return err
			}
		}
		if ep.addr6 != nil {
			if err := jinfo.AddStaticRoute(defaultV6, types.CONNECTED, nil); err != nil {
				return err
			}
		}
		return nil
	}
	if ep.addr != nil {
		if gw := gateway(n.v4, ep.addr.IP); gw != nil {
			if err := jinfo.SetGateway(gw); err != nil {
				return err
			}
		}
	}
	if ep.addr6 != nil {
		if gw := gateway(n.v6, ep.addr6.IP); gw != nil {
			if err := jinfo.SetGatewayIPv6(gw); err != nil {
				return err
			}
		}
	}
	return nil
}

// createLink makes the interface and returns its name and whether it is in
// the host namespace: name when given and free in the sandbox, else a
// temporary one. A parent whose index changed (made again since) is looked
// up once more.
func (d *Driver) createLink(n *network, ep *endpoint, sboxKey, name string) (string, bool, error) {
	fd, err := netutils.OpenSandboxNS(sboxKey)
	if err != nil {
		return "", false, types.BadRequestErrorf("%s: open sandbox namespace %q: %w", d.kind.Name, sboxKey, err)
	}
	if fd >= 0 {
		defer unix.Close(fd)
	}
	l := parent.Lower{Kind: d.kind.Name, ParentIndex: n.parentIndex(), Mode: d.kind.Modes[n.cfg.Mode], NSFd: fd, MAC: ep.mac}
	relooked := false
	for attempt := 0; attempt < 3; attempt++ {
		l.Name = name
		if l.Name == "" || fd < 0 || attempt > 0 {
			if l.Name, err = netutils.GenerateRandomNameLen(d.kind.TmpPrefix, 15); err != nil {
				return "", false, err
			}
		}
		err = parent.AddLower(d.raw, l)
		if err == nil {
			return l.Name, fd < 0, nil
		}
		switch {
		case errors.Is(err, unix.EEXIST):
			continue
		case (errors.Is(err, unix.ENODEV) || errors.Is(err, unix.EINVAL)) && !relooked:
			relooked = true
			idx, lerr := d.raw.LinkIndex(n.link.Name)
			if lerr != nil {
				if nlraw.IsGone(lerr) {
					return "", false, types.NotFoundErrorf("%s: parent %s of network %s is gone", d.kind.Name, n.link.Name, n.id)
				}
				return "", false, types.InternalErrorf("%s: look up parent %s: %w", d.kind.Name, n.link.Name, lerr)
			}
			if idx == l.ParentIndex {
				return "", false, types.InternalErrorf("%s: create %s link on %s for endpoint %s: %w", d.kind.Name, d.kind.Name, n.link.Name, ep.id, err)
			}
			n.setParentIndex(idx)
			l.ParentIndex = idx
			attempt--
			continue
		}
		break
	}
	return "", false, types.InternalErrorf("%s: create %s link on %s for endpoint %s in sandbox %q: %w", d.kind.Name, d.kind.Name, n.link.Name, ep.id, sboxKey, err)
}

// deleteHostLink deletes name from the host namespace if it is still there.
func (d *Driver) deleteHostLink(name string) {
	if err := d.raw.DelLink(name); err != nil && !nlraw.IsGone(err) {
		d.log("").WithField("link", name).WithError(err).Warn("delete interface left in the host namespace")
	}
}

// Leave detaches the endpoint. Its interface lives in the sandbox, whose
// owner retires it (or whose namespace takes it along): the driver only
// deletes one still waiting in the host namespace.
func (d *Driver) Leave(nid, eid string) error {
	_, ep, err := d.endpoint(nid, eid)
	if err != nil {
		return err
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if !ep.joined && !ep.restored {
		return types.ForbiddenErrorf("%s: endpoint %s is not joined", d.kind.Name, eid)
	}
	d.detach(ep)
	return nil
}

// detach undoes the join; the caller holds ep.mu.
func (d *Driver) detach(ep *endpoint) {
	if ep.hostName != "" {
		d.deleteHostLink(ep.hostName)
		ep.hostName = ""
	}
	ep.joined, ep.restored = false, false
}
