package bridge

import (
	"net"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/cnmkit/libnetwork/types"
)

// setIPAM records the network's pools and gateway addresses. A bridge
// network has exactly one IPv4 pool and at most one IPv6 pool, each with a
// gateway inside it, and, under DefaultGatewayV4AuxKey or
// DefaultGatewayV6AuxKey, maybe another default gateway for its containers.
func (c *networkConfiguration) setIPAM(v4, v6 []driverapi.IPAMData) error {
	switch {
	case len(v4) == 0:
		return types.BadRequestErrorf("bridge network %s needs an IPv4 pool", c.ID)
	case len(v4) > 1:
		return types.BadRequestErrorf("bridge network %s: one IPv4 pool supported, got %d", c.ID, len(v4))
	}
	pool, gw, err := poolAndGateway(c.ID, &v4[0], false)
	if err != nil {
		return err
	}
	dgw4, err := auxGateway(c.ID, &v4[0], pool, false)
	if err != nil {
		return err
	}
	c.PoolIPv4, c.AddressIPv4, c.DefaultGatewayIPv4 = pool, gw, dgw4
	c.PoolIPv6, c.AddressIPv6, c.DefaultGatewayIPv6 = nil, nil, nil
	if !c.EnableIPv6 || len(v6) == 0 {
		return nil
	}
	if len(v6) > 1 {
		return types.BadRequestErrorf("bridge network %s: one IPv6 pool supported, got %d", c.ID, len(v6))
	}
	pool, gw, err = poolAndGateway(c.ID, &v6[0], true)
	if err != nil {
		return err
	}
	dgw6, err := auxGateway(c.ID, &v6[0], pool, true)
	if err != nil {
		return err
	}
	c.PoolIPv6, c.AddressIPv6, c.DefaultGatewayIPv6 = pool, gw, dgw6
	return nil
}

// auxGateway returns the default gateway d names among its auxiliary
// addresses, or nil; one outside pool, of the other family, or (IPv4) its
// network or broadcast address is an ErrInvalidGateway naming it.
func auxGateway(nid string, d *driverapi.IPAMData, pool *net.IPNet, v6 bool) (net.IP, error) {
	key := DefaultGatewayV4AuxKey
	if v6 {
		key = DefaultGatewayV6AuxKey
	}
	a, ok := d.AuxAddresses[key]
	if !ok {
		return nil, nil
	}
	var ip net.IP
	if a != nil {
		ip = a.IP
		if !v6 {
			ip = ip.To4()
		}
	}
	if ip == nil || (ip.To4() == nil) != v6 || !pool.Contains(ip) {
		return nil, types.BadRequestErrorf("bridge network %s: %s %v is not an address of pool %s: %w", nid, key, a, pool, &ErrInvalidGateway{})
	}
	first, last := netutils.NetworkRange(pool)
	if ones, bits := pool.Mask.Size(); !v6 && bits-ones >= 2 && (ip.Equal(first) || ip.Equal(last)) {
		return nil, types.BadRequestErrorf("bridge network %s: %s %s is the network or broadcast address of %s: %w", nid, key, ip, pool, &ErrInvalidGateway{})
	}
	return types.GetIPCopy(ip), nil
}

func poolAndGateway(nid string, d *driverapi.IPAMData, v6 bool) (*net.IPNet, *net.IPNet, error) {
	if d.Pool == nil {
		return nil, nil, types.BadRequestErrorf("bridge network %s: IPAM data has no pool", nid)
	}
	if d.Pool.IP.To4() == nil != v6 {
		return nil, nil, types.BadRequestErrorf("bridge network %s: pool %s is of the wrong address family", nid, d.Pool)
	}
	if ones, _ := d.Pool.Mask.Size(); ones == 0 {
		fam := "ipv4"
		if v6 {
			fam = "ipv6"
		}
		return nil, nil, types.BadRequestErrorf("bridge network %s: %s pool is empty (pool %s has no addresses to give: the null IPAM driver's)", nid, fam, d.Pool)
	}
	if err := validateIPAMData(d, v6); err != nil {
		return nil, nil, types.BadRequestErrorf("bridge network %s: %w", nid, err)
	}
	if d.Gateway == nil {
		return nil, nil, types.BadRequestErrorf("bridge network %s: pool %s has no gateway", nid, d.Pool)
	}
	pool := types.GetIPNetCanonical(d.Pool)
	gwIP := d.Gateway.IP
	if !v6 {
		gwIP = gwIP.To4()
	}
	first, last := netutils.NetworkRange(pool)
	if ones, bits := pool.Mask.Size(); !v6 && bits-ones >= 2 && (gwIP.Equal(first) || gwIP.Equal(last)) {
		return nil, nil, types.BadRequestErrorf("bridge network %s: gateway %s is the network or broadcast address of %s: %w", nid, gwIP, pool, &ErrInvalidGateway{})
	}
	return pool, &net.IPNet{IP: types.GetIPCopy(gwIP), Mask: types.GetIPNetCopy(pool).Mask}, nil
}

// validateIPAMData is d.Validate, but for the auxiliary default gateway of
// d's family, which auxGateway checks (an ErrInvalidGateway).
func validateIPAMData(d *driverapi.IPAMData, v6 bool) error {
	key := DefaultGatewayV4AuxKey
	if v6 {
		key = DefaultGatewayV6AuxKey
	}
	v := *d
	v.AuxAddresses = make(map[string]*net.IPNet, len(d.AuxAddresses))
	for k, a := range d.AuxAddresses {
		if k != key {
			v.AuxAddresses[k] = a
		}
	}
	return v.Validate()
}

// overlaps reports whether the pools of a and b share an address.
func (c *networkConfiguration) overlaps(o *networkConfiguration) bool {
	if c.PoolIPv4 != nil && o.PoolIPv4 != nil && netutils.NetworkOverlaps(c.PoolIPv4, o.PoolIPv4) {
		return true
	}
	return c.PoolIPv6 != nil && o.PoolIPv6 != nil && netutils.NetworkOverlaps(c.PoolIPv6, o.PoolIPv6)
}
