package bridge

import (
	"errors"
	"os"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/nlraw"
	"github.com/cnmkit/libnetwork/types"
	"golang.org/x/sys/unix"
)

// Join creates the endpoint's veth pair with one netlink request: the host
// end up and enslaved to the bridge, the container end born inside the
// sandbox's namespace (at sboxKey) under a unique temporary name, with the
// endpoint's MAC and the network's MTU. The sandbox renames it (SetNames)
// and configures its addresses. A sandbox whose namespace the runtime hands
// over later (SetKey) gets the container end in the host namespace, for the
// sandbox to take in. The gateway is the bridge's address (or the one IPAM
// named under DefaultGatewayV4AuxKey/DefaultGatewayV6AuxKey), except on
// internal networks.
func (d *driver) Join(nid, eid string, sboxKey string, jinfo driverapi.JoinInfo, options map[string]interface{}) error {
	if jinfo == nil || jinfo.InterfaceName() == nil {
		return types.BadRequestErrorf("bridge: join of endpoint %s without join info: %w", eid, &ErrInvalidContainerConfig{})
	}
	n, ep, err := d.endpoint(nid, eid)
	if err != nil {
		return err
	}
	cfg := n.config
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if ep.joined {
		return types.ForbiddenErrorf("bridge: endpoint %s is already joined", eid)
	}
	// The reaper must not take the host end name we are about to make.
	d.reaper.forget(ep.hostName)
	d.backlog.forget(ep.hostName)
	prefix := cfg.ContainerIfacePrefix
	if prefix == "" {
		prefix = defaultIfacePrefix
	}
	// The container end is born with its final name when the sandbox says
	// which: no rename afterwards.
	name := ""
	if s, ok := jinfo.InterfaceName().(driverapi.NameSuggester); ok {
		name = s.SuggestName(prefix)
	}
	tmp, err := d.createVeth(n, ep, sboxKey, name)
	if err != nil {
		return err
	}
	undo := func() { d.deleteHostEnd(ep.hostName) }
	if cfg.HairpinMode || (d.fw != nil && !d.config.EnableUserlandProxy) {
		if err := setHairpin(d.raw, ep.hostName, ep.hostIdx, true); err != nil {
			undo()
			return types.InternalErrorf("bridge: hairpin mode on %s: %w", ep.hostName, err)
		}
	}
	if err := jinfo.InterfaceName().SetNames(tmp, prefix); err != nil {
		undo()
		return err
	}
	if !cfg.Internal {
		gw4 := cfg.AddressIPv4.IP
		if cfg.DefaultGatewayIPv4 != nil {
			gw4 = cfg.DefaultGatewayIPv4
		}
		if err := jinfo.SetGateway(gw4); err != nil {
			undo()
			return err
		}
		if cfg.AddressIPv6 != nil && ep.addrv6 != nil {
			gw6 := cfg.AddressIPv6.IP
			if cfg.DefaultGatewayIPv6 != nil {
				gw6 = cfg.DefaultGatewayIPv6
			}
			if err := jinfo.SetGatewayIPv6(gw6); err != nil {
				undo()
				return err
			}
		}
	}
	ep.joined = true
	return nil
}

// createVeth makes the pair and returns the container end's name: name
// when given and free in the sandbox, else a temporary one. A host end left
// by an earlier join of the same endpoint (waiting for the reaper, or from
// a crash) is deleted first.
func (d *driver) createVeth(n *bridgeNetwork, ep *bridgeEndpoint, sboxKey, name string) (string, error) {
	fd, err := netutils.OpenSandboxNS(sboxKey)
	if err != nil {
		return "", types.BadRequestErrorf("bridge: open sandbox namespace %q: %w", sboxKey, err)
	}
	if fd >= 0 {
		defer unix.Close(fd)
	}
	for attempt := 0; ; attempt++ {
		tmp := name
		if tmp == "" || attempt > 0 {
			var err error
			if tmp, err = netutils.GenerateRandomNameLen(tmpVethPrefix, 11); err != nil {
				return "", err
			}
		}
		ep.hostIdx, err = d.raw.AddVeth(nlraw.Veth{Name: ep.hostName, Down: true, MasterIndex: n.index(), MTU: n.config.Mtu,
			PeerName: tmp, PeerMAC: ep.mac, PeerNSFd: fd})
		if err == nil {
			if err := d.hostEndUp(ep.hostName); err != nil {
				d.deleteHostEnd(ep.hostName)
				return "", types.InternalErrorf("bridge: set veth %s up for endpoint %s: %w", ep.hostName, ep.id, err)
			}
			return tmp, nil
		}
		if !errors.Is(err, unix.EEXIST) || attempt > 0 {
			return "", types.InternalErrorf("bridge: create veth %s for endpoint %s in sandbox %q: %w", ep.hostName, ep.id, sboxKey, err)
		}
		// Either our host end is still there, or the name is taken in
		// the sandbox: clear the first, retry once with a random name.
		d.deleteHostEnd(ep.hostName)
	}
}

// hostEndUp turns IPv6 off on a new host end, then sets it up. A bridge
// port needs no address of its own; with IPv6 each would get a link-local
// address and routes, making every link change in the host namespace walk
// routing tables that grow with the containers, and talk to its container.
func (d *driver) hostEndUp(name string) error {
	err := d.hostW.Do(func() error {
		return os.WriteFile("/proc/sys/net/ipv6/conf/"+name+"/disable_ipv6", []byte("1"), 0)
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) { // no IPv6 in the kernel
		return err
	}
	return d.raw.SetUp(name)
}

// deleteHostEnd deletes the host end name now (and the pair with it).
func (d *driver) deleteHostEnd(name string) {
	l, err := d.nlh.LinkByName(name)
	if err != nil {
		return
	}
	if err := d.nlh.LinkDel(l); err != nil && !isGone(err) {
		d.log("").WithField("veth", name).WithError(err).Warn("delete veth")
	}
}

// Leave cuts the endpoint off at once, by taking the host end off the
// bridge, and hands the pair to the reaper: it is normally gone before the
// reaper's turn, with the sandbox's namespace or the sandbox's own removal
// of its end, so that detach pays no veth deletion itself. Releasing the
// port here costs the bridge's per-port work (which grows with its ports)
// now, in the caller; left to the namespace's end, the same work would run
// in the kernel's cleanup worker holding the RTNL lock, stalling the next
// attach.
func (d *driver) Leave(nid, eid string) error {
	n, ep, err := d.endpoint(nid, eid)
	if err != nil {
		return err
	}
	ep.mu.Lock()
	defer ep.mu.Unlock()
	if !ep.joined {
		return types.ForbiddenErrorf("bridge: endpoint %s is not joined", eid)
	}
	d.detach(n, ep)
	ep.joined = false
	return nil
}

// detach cuts the host end off and queues it for deletion. The caller
// holds ep.mu.
func (d *driver) detach(n *bridgeNetwork, ep *bridgeEndpoint) {
	err := releasePort(d.raw, ep.hostName, ep.hostIdx)
	ep.hostIdx = 0
	if err != nil {
		if isGone(err) {
			return
		}
		// Cannot be released: down.
		l, lerr := d.nlh.LinkByName(ep.hostName)
		if lerr != nil {
			return
		}
		if err := d.nlh.LinkSetDown(l); err != nil && !isGone(err) {
			d.log(n.id).WithField("eid", shortID(ep.id)).WithError(err).Warn("leave: cut off veth")
		}
	}
	// Not more than maxBacklog left pairs waiting for the kernel.
	if err == nil {
		d.backlog.add(ep.hostName)
	}
	d.reaper.add(ep.hostName, n.id)
}
