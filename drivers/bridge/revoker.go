package bridge

import (
	"net"
	"sync"
	"time"

	"github.com/cnmkit/libnetwork/portmapper"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// revokeDelay is how long revoked port mappings wait before their rules
// are deleted, together with the others revoked meanwhile.
//
// Deleting iptables rules costs an RCU grace period in the kernel (10–25
// ms with nf_tables, whatever the number of rules in the transaction), and
// it holds the nf_tables commit lock meanwhile, stalling every other rule
// change. So, when the port mapper can unpublish several mappings in one
// transaction (UnmapMany), RevokeExternalConnectivity does not delete: it
// queues, and the queue is unpublished in one go. Until then the host
// ports stay reserved (a request for one of them, or a join of an endpoint
// with one of the revoked container addresses, unpublishes the matching
// entries first), so no traffic can reach another container through a
// stale rule.
var revokeDelay = 250 * time.Millisecond

// revocation is the installed port mappings of an endpoint that left.
type revocation struct {
	nid      string
	ips      []net.IP
	bindings []types.PortBinding
}

// revoker unpublishes revoked port mappings in the background.
type revoker struct {
	p *portMapper

	mu      sync.Mutex
	pending []revocation
	timer   *time.Timer
	stopped bool
	// runMu serialises unpublishing, so that flush returns only once no
	// matching entry is still being unpublished.
	runMu sync.Mutex
}

func (r *revoker) add(rv revocation) {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		r.unpublish([]revocation{rv})
		return
	}
	r.pending = append(r.pending, rv)
	if r.timer == nil {
		r.timer = time.AfterFunc(revokeDelay, func() { r.flush(nil) })
	}
	r.mu.Unlock()
}

// flush unpublishes now the pending entries that match (all when match is nil).
func (r *revoker) flush(match func(*revocation) bool) {
	r.runMu.Lock()
	defer r.runMu.Unlock()
	r.mu.Lock()
	var take, keep []revocation
	for i := range r.pending {
		if match == nil || match(&r.pending[i]) {
			take = append(take, r.pending[i])
		} else {
			keep = append(keep, r.pending[i])
		}
	}
	r.pending = keep
	if match == nil && r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.mu.Unlock()
	if len(take) > 0 {
		r.unpublish(take)
	}
}

// has reports whether a pending entry matches, without unpublishing.
func (r *revoker) has(match func(*revocation) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.pending {
		if match(&r.pending[i]) {
			return true
		}
	}
	return false
}

// flushIf unpublishes the matching entries, if any, now.
func (r *revoker) flushIf(match func(*revocation) bool) {
	if r.has(match) {
		r.flush(match)
	}
}

// stop unpublishes everything pending; later revocations are done at once.
func (r *revoker) stop() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	r.flush(nil)
}

// batchUnmapper is a port mapper that unpublishes several mappings with one
// firewall transaction.
type batchUnmapper interface {
	UnmapMany(hosts []net.Addr) error
}

func (r *revoker) unpublish(list []revocation) {
	pm, err := r.p.mapper()
	if err != nil {
		return
	}
	var hosts []net.Addr
	for _, rv := range list {
		for _, b := range rv.bindings {
			if h := hostAddr(b); h != nil {
				hosts = append(hosts, h)
			}
		}
	}
	if bu, ok := interface{}(pm).(batchUnmapper); ok {
		if err := bu.UnmapMany(hosts); err != nil {
			logrus.WithField("driver", networkType).WithError(err).Warn("unpublish revoked ports")
		}
		return
	}
	for _, h := range hosts {
		if err := pm.Unmap(h); err != nil && !types.IsNotFound(err) {
			logrus.WithFields(logrus.Fields{"driver": networkType, "host": h.String()}).WithError(err).Warn("unpublish revoked port")
		}
	}
}

// hostAddr is the host side of an installed binding as the port mapper
// names it.
func hostAddr(b types.PortBinding) net.Addr {
	if b.Proto == types.SCTP {
		return &portmapper.SCTPAddr{IP: b.HostIP, Port: int(b.HostPort)}
	}
	h, err := b.HostAddr()
	if err != nil {
		return nil
	}
	return h
}

// usesIP reports whether rv published ports of a container address ip.
func (rv *revocation) usesIP(ip net.IP) bool {
	for _, x := range rv.ips {
		if x.Equal(ip) {
			return true
		}
	}
	return false
}

// holdsPort reports whether rv holds a host port that b may ask for.
func (rv *revocation) holdsPort(b types.PortBinding) bool {
	if b.HostPort == 0 {
		return false // dynamic ports come from the free ones
	}
	end := b.HostPortEnd
	if end < b.HostPort {
		end = b.HostPort
	}
	for _, h := range rv.bindings {
		if h.Proto != b.Proto || h.HostPort < b.HostPort || h.HostPort > end {
			continue
		}
		if b.HostIP == nil || b.HostIP.IsUnspecified() || h.HostIP == nil || h.HostIP.IsUnspecified() || h.HostIP.Equal(b.HostIP) {
			return true
		}
	}
	return false
}
