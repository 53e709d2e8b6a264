package libnetwork

import (
	"errors"
	"fmt"
	"net"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// IpamConf contains all the ipam related configurations for a network.
type IpamConf struct {
	// The master address pool for containers and network interfaces
	PreferredPool string
	// A subset of the master pool. If specified,
	// this becomes the container pool
	SubPool string
	// Preferred Network Gateway address (optional)
	Gateway string
	// Auxiliary addresses for network driver. Must be within the master pool.
	// libnetwork will reserve them if they fall into the container pool
	AuxAddresses map[string]string
}

// Validate checks whether the configuration is valid.
func (c *IpamConf) Validate() error {
	if c.Gateway != "" && net.ParseIP(c.Gateway) == nil {
		return types.BadRequestErrorf("invalid gateway address %q in IPAM configuration", c.Gateway)
	}
	if c.PreferredPool != "" {
		if _, _, err := net.ParseCIDR(c.PreferredPool); err != nil {
			return types.BadRequestErrorf("invalid pool %q in IPAM configuration: %w", c.PreferredPool, err)
		}
	}
	if c.SubPool != "" {
		if c.PreferredPool == "" {
			return types.BadRequestErrorf("sub-pool %q in IPAM configuration needs a pool", c.SubPool)
		}
		if _, _, err := net.ParseCIDR(c.SubPool); err != nil {
			return types.BadRequestErrorf("invalid sub-pool %q in IPAM configuration: %w", c.SubPool, err)
		}
	}
	for k, v := range c.AuxAddresses {
		if net.ParseIP(v) == nil {
			return types.BadRequestErrorf("invalid auxiliary address %s=%q in IPAM configuration", k, v)
		}
	}
	return nil
}

// IpamInfo contains all the ipam related operational info for a network.
type IpamInfo struct {
	PoolID string
	Meta   map[string]string
	driverapi.IPAMData
}

func copyIpamConfs(in []*IpamConf) []*IpamConf {
	if in == nil {
		return nil
	}
	out := make([]*IpamConf, len(in))
	for i, c := range in {
		cc := *c
		if c.AuxAddresses != nil {
			cc.AuxAddresses = copyStringMap(c.AuxAddresses)
		}
		out[i] = &cc
	}
	return out
}

func copyIpamInfo(in *IpamInfo) *IpamInfo {
	out := &IpamInfo{PoolID: in.PoolID, Meta: copyStringMap(in.Meta)}
	out.AddressSpace = in.AddressSpace
	out.Pool = types.GetIPNetCopy(in.Pool)
	out.Gateway = types.GetIPNetCopy(in.Gateway)
	if in.AuxAddresses != nil {
		out.AuxAddresses = make(map[string]*net.IPNet, len(in.AuxAddresses))
		for k, v := range in.AuxAddresses {
			out.AuxAddresses[k] = types.GetIPNetCopy(v)
		}
	}
	return out
}

func copyIpamInfos(in []*IpamInfo) []*IpamInfo {
	if in == nil {
		return nil
	}
	out := make([]*IpamInfo, len(in))
	for i, d := range in {
		out[i] = copyIpamInfo(d)
	}
	return out
}

// ipamData returns the pools as drivers see them.
func ipamData(infos []*IpamInfo) []driverapi.IPAMData {
	out := make([]driverapi.IPAMData, 0, len(infos))
	for _, d := range infos {
		out = append(out, copyIpamInfo(d).IPAMData)
	}
	return out
}

// ipamAllocate requests the network's pools, gateways and auxiliary
// addresses. On error everything it allocated is released.
func (n *network) ipamAllocate() error {
	if n.hasSpecialDriver() {
		return nil
	}
	ipam, _, err := n.ctrl.ipamDriver(n.ipamType)
	if err != nil {
		return err
	}
	if n.addrSpace == "" {
		if n.addrSpace, err = n.defaultAddrSpace(); err != nil {
			return err
		}
	}
	if len(n.ipamV4Cfg) == 0 {
		n.ipamV4Cfg = []*IpamConf{{}}
	}
	if n.ipamV4Info, err = n.ipamAllocateVersion(ipam, n.ipamV4Cfg, false); err != nil {
		return err
	}
	if !n.enableIPv6 {
		return nil
	}
	if len(n.ipamV6Cfg) == 0 {
		n.ipamV6Cfg = []*IpamConf{{}}
	}
	if n.ipamV6Info, err = n.ipamAllocateVersion(ipam, n.ipamV6Cfg, true); err != nil {
		n.ipamReleaseVersion(ipam, n.ipamV4Cfg, n.ipamV4Info)
		n.ipamV4Info = nil
		return err
	}
	return nil
}

func (n *network) defaultAddrSpace() (string, error) {
	local, global, err := n.ctrl.reg.IPAMDefaultAddressSpaces(n.ipamType)
	if err != nil {
		return "", err
	}
	if n.storeScope() == "global" {
		return global, nil
	}
	return local, nil
}

// ipamAllocateVersion allocates the pools of cfgs; on error it releases them.
func (n *network) ipamAllocateVersion(ipam ipamapi.Ipam, cfgs []*IpamConf, v6 bool) (infos []*IpamInfo, err error) {
	defer func() {
		if err != nil {
			n.ipamReleaseVersion(ipam, cfgs, infos)
			infos = nil
		}
	}()
	for _, cfg := range cfgs {
		if err := cfg.Validate(); err != nil {
			return infos, err
		}
	}
	for _, cfg := range cfgs {
		d := &IpamInfo{}
		d.AddressSpace = n.addrSpace
		d.PoolID, d.Pool, d.Meta, err = ipam.RequestPool(n.addrSpace, cfg.PreferredPool, cfg.SubPool, n.ipamOptions, v6)
		if err != nil {
			return infos, wrapIpamErr(err, "request pool %q of network %s", cfg.PreferredPool, n.name)
		}
		infos = append(infos, d)
		if n.claim != nil {
			n.claim.update(func(in *intent) { in.Pools = append(in.Pools, d.PoolID) })
			step(opNetworkClaim, "pool")
		}
		if err = n.allocatePoolAddresses(ipam, cfg, d); err != nil {
			return infos, err
		}
	}
	return infos, nil
}

// allocatePoolAddresses reserves the gateway and the auxiliary addresses of
// pool d. It is also how pools are replayed at restart (d.Gateway is then
// the gateway to reserve again).
func (n *network) allocatePoolAddresses(ipam ipamapi.Ipam, cfg *IpamConf, d *IpamInfo) error {
	if !gwAllocated(cfg, d) {
		if d.Gateway == nil {
			gws := d.Meta[netlabel.Gateway]
			gw, err := types.ParseCIDR(gws)
			if err != nil {
				return types.BadRequestErrorf("IPAM driver %q returned an invalid gateway %q: %w", n.ipamType, gws, err)
			}
			d.Gateway = gw
		}
	} else {
		want := net.ParseIP(cfg.Gateway)
		if d.Gateway != nil {
			want = d.Gateway.IP
		}
		gw, _, err := ipam.RequestAddress(d.PoolID, want, map[string]string{ipamapi.RequestAddressType: netlabel.Gateway})
		if err != nil {
			return wrapIpamErr(err, "allocate gateway %q in pool %s of network %s", cfg.Gateway, d.Pool, n.name)
		}
		d.Gateway = gw
	}
	if len(cfg.AuxAddresses) == 0 {
		return nil
	}
	d.AuxAddresses = make(map[string]*net.IPNet, len(cfg.AuxAddresses))
	for k, v := range cfg.AuxAddresses {
		ip := net.ParseIP(v)
		if !d.Pool.Contains(ip) {
			return types.ForbiddenErrorf("auxiliary address %s=%s must belong to the master pool %s", k, v, d.Pool)
		}
		a, _, err := ipam.RequestAddress(d.PoolID, ip, nil)
		if err != nil {
			if errors.Is(err, ipamapi.ErrIPOutOfRange) {
				// Outside the container pool: nothing to reserve.
				d.AuxAddresses[k] = &net.IPNet{IP: ip, Mask: d.Pool.Mask}
				continue
			}
			return wrapIpamErr(err, "reserve auxiliary address %s=%s in network %s", k, v, n.name)
		}
		d.AuxAddresses[k] = a
	}
	return nil
}

// gwAllocated reports whether the controller reserves the gateway of pool d
// itself: when the user named one, or when the IPAM driver gave none.
func gwAllocated(cfg *IpamConf, d *IpamInfo) bool {
	return cfg.Gateway != "" || d.Meta[netlabel.Gateway] == ""
}

// ipamRelease releases every address and pool the network holds.
func (n *network) ipamRelease() {
	if n.hasSpecialDriver() {
		return
	}
	ipam, _, err := n.ctrl.ipamDriver(n.ipamType)
	if err != nil {
		logrus.WithFields(logrus.Fields{"nid": n.id, "error": err}).Warn("release IPAM of network")
		return
	}
	n.ipamReleaseVersion(ipam, n.ipamV4Cfg, n.ipamV4Info)
	n.ipamReleaseVersion(ipam, n.ipamV6Cfg, n.ipamV6Info)
}

func (n *network) ipamReleaseVersion(ipam ipamapi.Ipam, cfgs []*IpamConf, infos []*IpamInfo) {
	for i, d := range infos {
		cfg := &IpamConf{}
		if i < len(cfgs) {
			cfg = cfgs[i]
		}
		if d.Gateway != nil && gwAllocated(cfg, d) {
			if err := ipam.ReleaseAddress(d.PoolID, d.Gateway.IP); err != nil {
				logrus.WithFields(logrus.Fields{"nid": n.id, "gw": d.Gateway, "error": err}).Warn("release gateway address")
			}
		}
		for k, a := range d.AuxAddresses {
			// Addresses outside the container pool were never reserved.
			err := ipam.ReleaseAddress(d.PoolID, a.IP)
			if err != nil && !errors.Is(err, ipamapi.ErrIPOutOfRange) && !errors.Is(err, ipamapi.ErrIPNotAllocated) {
				logrus.WithFields(logrus.Fields{"nid": n.id, "aux": k, "error": err}).Warn("release auxiliary address")
			}
		}
		if err := ipam.ReleasePool(d.PoolID); err != nil {
			logrus.WithFields(logrus.Fields{"nid": n.id, "pool": d.PoolID, "error": err}).Warn("release pool")
		}
	}
}

// getIPInfo returns the pools of one IP version.
func (n *network) getIPInfo(v6 bool) []*IpamInfo {
	if v6 {
		return n.ipamV6Info
	}
	return n.ipamV4Info
}

// wrapIpamErr keeps a typed IPAM error's class and gives untyped ones a
// class, adding what was being done.
func wrapIpamErr(err error, format string, a ...interface{}) error {
	msg := fmt.Sprintf(format, a...)
	switch {
	case types.IsBadRequest(err):
		return types.BadRequestErrorf("%s: %w", msg, err)
	case types.IsNotFound(err):
		return types.NotFoundErrorf("%s: %w", msg, err)
	case types.IsForbidden(err):
		return types.ForbiddenErrorf("%s: %w", msg, err)
	case types.IsConflict(err):
		return types.ConflictErrorf("%s: %w", msg, err)
	case types.IsNoService(err):
		return types.NoServiceErrorf("%s: %w", msg, err)
	case types.IsRetry(err):
		return types.RetryErrorf("%s: %w", msg, err)
	}
	return types.InternalErrorf("%s: %w", msg, err)
}
