package overlay

import (
	"net"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// tunnelAddrs are this host's tunnel addresses from NodeDiscovery.
type tunnelAddrs struct {
	// advertise is published in peer records: remote hosts send to it.
	advertise net.IP
	// local is the VXLAN source address: an address of the host namespace.
	local net.IP
}

// DiscoverNew takes this host's tunnel addresses from a NodeDiscovery event
// about itself (Self): Address is advertised to the other hosts,
// BindAddress (or Address when it is empty or unspecified) is the VXLAN
// source address and must be an address of the host namespace. Events
// about other nodes and store configurations are ignored. Encryption keys
// set (EncryptionKeysConfig) or rotate (EncryptionKeysUpdate) the keys of
// the encrypted networks (esp_keys.go).
func (d *driver) DiscoverNew(dType discoverapi.DiscoveryType, data interface{}) error {
	switch dType {
	case discoverapi.NodeDiscovery:
		nd, ok := data.(discoverapi.NodeDiscoveryData)
		if !ok {
			if p, isPtr := data.(*discoverapi.NodeDiscoveryData); isPtr && p != nil {
				nd, ok = *p, true
			}
		}
		if !ok {
			return types.BadRequestErrorf("overlay: node discovery data of type %T", data)
		}
		if !nd.Self {
			return nil
		}
		return d.setTunnel(nd)
	case discoverapi.EncryptionKeysConfig:
		return d.setKeys(data)
	case discoverapi.EncryptionKeysUpdate:
		return d.updateKeys(data)
	}
	return nil
}

// DiscoverDelete forgets this host's tunnel addresses when told that the
// node itself is gone; networks already built keep theirs.
func (d *driver) DiscoverDelete(dType discoverapi.DiscoveryType, data interface{}) error {
	if dType != discoverapi.NodeDiscovery {
		return nil
	}
	nd, ok := data.(discoverapi.NodeDiscoveryData)
	if ok && nd.Self {
		d.mu.Lock()
		d.tunnel = nil
		d.mu.Unlock()
	}
	return nil
}

// setTunnel validates and records this host's tunnel addresses.
func (d *driver) setTunnel(nd discoverapi.NodeDiscoveryData) error {
	adv := parseHostIP(nd.Address)
	local := parseHostIP(nd.BindAddress)
	if adv == nil && local == nil {
		return types.BadRequestErrorf("overlay: node addresses %q / %q: no usable tunnel address", nd.Address, nd.BindAddress)
	}
	if local == nil {
		local = adv
	}
	if adv == nil {
		adv = local
	}
	if (adv.To4() == nil) != (local.To4() == nil) {
		return types.BadRequestErrorf("overlay: advertise address %s and bind address %s are of different families", adv, local)
	}
	if _, err := d.underlayMTU(local); err != nil {
		return err
	}
	// Lock order: a network's lock before the driver's, never the reverse.
	d.mu.Lock()
	old := d.tunnel
	nets := make([]*network, 0, len(d.networks))
	for _, n := range d.networks {
		nets = append(nets, n)
	}
	d.mu.Unlock()
	if old != nil && (!old.advertise.Equal(adv) || !old.local.Equal(local)) {
		for _, n := range nets {
			if n.isBuilt() {
				return types.ForbiddenErrorf("overlay: cannot change the tunnel address from %s to %s while network %s has endpoints on this host", old.advertise, adv, n.id)
			}
		}
	}
	d.mu.Lock()
	d.tunnel = &tunnelAddrs{advertise: adv, local: local}
	d.mu.Unlock()
	logrus.WithFields(logrus.Fields{"driver": networkType, "advertise": adv, "local": local}).Debug("overlay: tunnel address set")
	return nil
}

// parseHostIP parses a node address ("ip" or "ip:port"); nil if it is
// empty, unparsable or unspecified.
func parseHostIP(s string) net.IP {
	if s == "" {
		return nil
	}
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	ip := net.ParseIP(s)
	if ip == nil || ip.IsUnspecified() {
		return nil
	}
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

// tunnelAddrs returns this host's tunnel addresses, or nil.
func (d *driver) tunnelAddrs() *tunnelAddrs {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tunnel
}

// underlayMTU returns the MTU of the host-namespace link that holds ip, or
// a BadRequestError when no link of the host namespace has ip.
func (d *driver) underlayMTU(ip net.IP) (int, error) {
	family := netlink.FAMILY_V4
	if ip.To4() == nil {
		family = netlink.FAMILY_V6
	}
	addrs, err := d.hostNL.AddrList(nil, family)
	if err != nil {
		return 0, types.InternalErrorf("overlay: list the addresses of the host namespace: %w", err)
	}
	for _, a := range addrs {
		if !a.IP.Equal(ip) {
			continue
		}
		l, err := d.hostNL.LinkByIndex(a.LinkIndex)
		if err != nil {
			return 0, types.InternalErrorf("overlay: link of tunnel address %s: %w", ip, err)
		}
		return l.Attrs().MTU, nil
	}
	return 0, types.BadRequestErrorf("overlay: tunnel address %s is not an address of the host namespace", ip)
}
