package portmapper

import (
	"net"
	"os"
	"strings"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// localnetRef counts the mappings that need route_localnet on an interface
// and remembers the value to restore when the last one goes.
type localnetRef struct {
	orig string
	refs int
}

func localnetPath(iface string) string {
	return "/proc/sys/net/ipv4/conf/" + iface + "/route_localnet"
}

// inNamespace runs fn in the portmapper's namespace: NetNSPath's, else on
// the calling thread.
func (pm *PortMapper) inNamespace(fn func() error) error {
	if pm.inNS {
		return ns.WithNetNS(pm.nsh, fn)
	}
	return fn()
}

// holdLocalnet enables route_localnet on the interface that routes to
// ctrIP, so that the host's loopback can be DNATed towards the container,
// and returns the interface ("" when the route is the loopback itself).
// The caller holds pm.mu.
func (pm *PortMapper) holdLocalnet(ctrIP net.IP) (string, error) {
	if pm.nl == nil {
		var h *netlink.Handle
		var err error
		if pm.inNS {
			h, err = netlink.NewHandleAt(pm.nsh)
		} else {
			h, err = netlink.NewHandle()
		}
		if err != nil {
			return "", types.InternalErrorf("portmapper: netlink handle: %w", err)
		}
		pm.nl = h
	}
	routes, err := pm.nl.RouteGet(ctrIP)
	if err != nil || len(routes) == 0 {
		return "", types.BadRequestErrorf("portmapper: no route to container IP %v: %v", ctrIP, err)
	}
	link, err := pm.nl.LinkByIndex(routes[0].LinkIndex)
	if err != nil {
		return "", types.InternalErrorf("portmapper: link %d towards %v: %w", routes[0].LinkIndex, ctrIP, err)
	}
	iface := link.Attrs().Name
	if iface == "lo" || strings.ContainsAny(iface, "/.") {
		return "", nil
	}
	if ref := pm.localnet[iface]; ref != nil {
		ref.refs++
		return iface, nil
	}
	var orig string
	err = pm.inNamespace(func() error {
		b, err := os.ReadFile(localnetPath(iface))
		if err != nil {
			return err
		}
		orig = strings.TrimSpace(string(b))
		if orig == "1" {
			return nil
		}
		return os.WriteFile(localnetPath(iface), []byte("1"), 0o644)
	})
	if err != nil {
		return "", types.InternalErrorf("portmapper: enable route_localnet on %s: %w", iface, err)
	}
	pm.localnet[iface] = &localnetRef{orig: orig, refs: 1}
	return iface, nil
}

// releaseLocalnet drops a reference and restores the interface's original
// route_localnet with the last one. The caller holds pm.mu.
func (pm *PortMapper) releaseLocalnet(iface string) {
	ref := pm.localnet[iface]
	if iface == "" || ref == nil {
		return
	}
	if ref.refs--; ref.refs > 0 {
		return
	}
	delete(pm.localnet, iface)
	if ref.orig == "1" {
		return
	}
	err := pm.inNamespace(func() error {
		return os.WriteFile(localnetPath(iface), []byte(ref.orig), 0o644)
	})
	if err != nil && !os.IsNotExist(err) {
		logrus.WithError(err).WithField("iface", iface).Warn("portmapper: cannot restore route_localnet")
	}
}
