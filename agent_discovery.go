package libnetwork

import (
	"net"
	"strings"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/types"
)

// seedClusterFields folds the seed's cluster fields into ours: Address is
// the advertise address when none is set; Discovery ("nodes://a,b" or
// "a,b") adds peers. Other discovery back-ends (consul://, etcd://, zk://)
// were Docker swarm's and are refused.
func seedClusterFields(cl *config.ClusterCfg) error {
	cl.Address = strings.TrimSpace(cl.Address)
	if cl.Address != "" {
		if ip := net.ParseIP(cl.Address); ip == nil || ip.IsUnspecified() {
			return types.BadRequestErrorf("invalid cluster address %q: not a specific IP address", cl.Address)
		}
		switch {
		case cl.AdvertiseAddr == "":
			cl.AdvertiseAddr = cl.Address
		case !net.ParseIP(cl.AdvertiseAddr).Equal(net.ParseIP(cl.Address)):
			return types.BadRequestErrorf("cluster address %q and advertise address %q differ", cl.Address, cl.AdvertiseAddr)
		}
	}
	d := strings.TrimSpace(cl.Discovery)
	if d == "" {
		return nil
	}
	if i := strings.Index(d, "://"); i >= 0 {
		if scheme := d[:i]; scheme != "nodes" {
			return types.NotImplementedErrorf("cluster discovery %q: the %s back-end is not supported (use nodes://ip:port,...)", cl.Discovery, scheme)
		}
		d = d[i+3:]
	}
	seen := make(map[string]bool, len(cl.Peers))
	for _, p := range cl.Peers {
		seen[p] = true
	}
	for _, p := range strings.Split(d, ",") {
		p = strings.TrimSpace(p)
		if err := validatePeer(p); err != nil {
			return types.BadRequestErrorf("cluster discovery %q: %w", cl.Discovery, err)
		}
		if !seen[p] {
			seen[p] = true
			cl.Peers = append(cl.Peers, p)
		}
	}
	return nil
}
