package libnetwork

import (
	"net"
	"strings"

	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/sirupsen/logrus"
)

// Claims: while a network or an endpoint of the cluster store is being
// created, a journal record (an intent of op opNetworkClaim or
// opEndpointClaim) lists what the creation took in the cluster so far —
// network name, pools, addresses, VXLAN IDs — rewritten after each. A process killed
// before the object is stored leaves the record; the next start gives
// back what it lists (releaseClaims) unless the object was stored. What a
// kill between a take and the record's rewrite takes is not listed.

// claim is the record of one creation's claims.
type claim struct {
	c  *controller
	in intent
}

// newClaim records an empty claim of in (its op opNetworkClaim or
// opEndpointClaim); done removes the record.
func (c *controller) newClaim(in intent) (*claim, func(), error) {
	done, err := c.begin(in)
	if err != nil {
		return nil, nil, err
	}
	return &claim{c: c, in: in}, done, nil
}

// update rewrites the record with the claims given so far.
func (cl *claim) update(change func(in *intent)) {
	if cl == nil || cl.c.journal == nil {
		return
	}
	change(&cl.in)
	if _, err := cl.c.journal.Begin(cl.in.key(), cl.in); err != nil {
		logrus.WithField("op", cl.in.Op).WithError(err).Warn("record a claim of the cluster store")
	}
}

// addAddr adds an address of pool poolID to the claim.
func (cl *claim) addAddr(poolID string, ip *net.IPNet) {
	if ip == nil {
		return
	}
	cl.update(func(in *intent) { in.Addrs = append(in.Addrs, poolID+"|"+ip.IP.String()) })
}

// releaseClaims gives back, at start, what an interrupted creation
// claimed in the cluster, unless its object was stored (restored).
func (c *controller) releaseClaims(in intent, log *logrus.Entry) {
	n := c.networks[in.Network]
	switch in.Op {
	case opNetworkClaim:
		if n != nil {
			return // stored: the creation completed
		}
	case opEndpointClaim:
		if n == nil {
			return // the network is gone, with its pools
		}
		if n.endpoints[in.Endpoint] != nil {
			return
		}
		if n.shared() {
			if err := c.uncountEndpoints(n, in.Endpoint); err != nil {
				log.WithError(err).Warn("restore: take an unfinished endpoint out of the count")
			}
		}
	}
	if len(in.Pools)+len(in.Addrs) > 0 {
		ipam, _, err := c.ipamDriver(ipamTypeOf(n))
		if err != nil {
			log.WithError(err).Warn("restore: no IPAM driver to give back claimed addresses")
		} else {
			releaseClaimed(ipam, in, log)
		}
	}
	if in.Name != "" {
		c.releaseClusterName(in.Name, in.Network)
	}
	if len(in.VNIs) > 0 {
		ids, err := c.clusterVXLANIDs()
		if err != nil {
			log.WithError(err).Warn("restore: give back claimed VXLAN IDs")
			return
		}
		for _, id := range in.VNIs {
			ids.Release(id)
		}
	}
	log.WithFields(logrus.Fields{"name": in.Name, "pools": in.Pools, "addrs": in.Addrs, "vnis": in.VNIs}).Info("restore: claims of an unfinished creation given back")
}

func releaseClaimed(ipam ipamapi.Ipam, in intent, log *logrus.Entry) {
	for _, a := range in.Addrs {
		pool, ip, ok := strings.Cut(a, "|")
		if !ok || net.ParseIP(ip) == nil {
			continue
		}
		if err := ipam.ReleaseAddress(pool, net.ParseIP(ip)); err != nil {
			log.WithError(err).Debugf("restore: release claimed address %s", a)
		}
	}
	for _, p := range in.Pools {
		if err := ipam.ReleasePool(p); err != nil {
			log.WithError(err).Debugf("restore: release claimed pool %s", p)
		}
	}
}

// ipamTypeOf is n's IPAM driver; the default one for a network that is
// gone (the only one whose pools live in the cluster store).
func ipamTypeOf(n *network) string {
	if n == nil {
		return ipamapi.DefaultIPAM
	}
	return n.ipamType
}
