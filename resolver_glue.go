package libnetwork

import (
	"github.com/cnmkit/libnetwork/types"
	"net"

	"github.com/cnmkit/libnetwork/resolver"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netns"
)

// dnsBackend answers a sandbox's embedded DNS server from the service
// records of the sandbox's networks, through its lock-free lookup view.
type dnsBackend struct{ sb *sandbox }

func (b dnsBackend) ResolveName(name string, family int) ([]net.IP, bool) {
	return b.sb.view().resolveName(name, family)
}

func (b dnsBackend) ResolveIP(ip net.IP) string { return b.sb.view().resolveIP(ip) }

// wantsResolver reports whether the sandbox should run an embedded DNS
// server: it has a namespace of its own and an endpoint on a network with
// DNS that did not opt out (CreateOptionDisableResolution).
func (sb *sandbox) wantsResolver() bool {
	sb.mu.Lock()
	def, osSb := sb.config.useDefaultSandbox, sb.osSb
	eps := append([]*endpoint(nil), sb.endpoints...)
	sb.mu.Unlock()
	if def || osSb == nil {
		return false
	}
	for _, ep := range eps {
		if ep.network.wantsDNS() && !ep.disableResolution {
			return true
		}
	}
	return false
}

// startResolver starts the sandbox's embedded DNS server in its namespace
// when it wants one and has none. A failure is logged: the sandbox then
// keeps a resolv.conf naming the upstream servers. The caller holds opMu.
func (sb *sandbox) startResolver() {
	sb.mu.Lock()
	running, cfg := sb.dns.resolver != nil, sb.config
	sb.mu.Unlock()
	if running || !sb.wantsResolver() {
		return
	}
	log := logrus.WithField("sid", sb.id)
	dcfg := sb.ctrl.config().Daemon.DNS
	rcfg := resolver.Config{ForwardTimeout: dcfg.ForwardTimeout}
	if dcfg.DirectBind {
		rcfg.Mode = resolver.ModeDirect
	}
	if _, ups, err := sb.ctrl.buildResolvConf(&cfg, true, sb.hasIPv6()); err == nil {
		rcfg.Upstreams = ups
	}
	r, err := resolver.New(dnsBackend{sb}, rcfg)
	if err != nil {
		// An upstream the resolver cannot use: start without, the next
		// update says which.
		rcfg.Upstreams = nil
		if r, err = resolver.New(dnsBackend{sb}, rcfg); err != nil {
			log.WithError(err).Warn("embedded DNS: create")
			return
		}
	}
	h, err := netns.GetFromPath(sb.Key())
	if err != nil {
		log.WithError(err).Warn("embedded DNS: open sandbox namespace")
		return
	}
	defer h.Close()
	err = r.Start(h)
	if types.IsNotImplemented(err) && rcfg.Mode == resolver.ModeDNAT {
		// No nf_tables in the kernel: bind port 53 directly.
		log.WithError(err).Info("embedded DNS: direct bind instead of DNAT")
		rcfg.Mode = resolver.ModeDirect
		if r, err = resolver.New(dnsBackend{sb}, rcfg); err == nil {
			err = r.Start(h)
		}
	}
	if err != nil {
		log.WithError(err).Warn("embedded DNS: start")
		return
	}
	sb.mu.Lock()
	sb.dns.resolver = r
	sb.mu.Unlock()
	log.WithField("addr", r.Addr()).Debug("embedded DNS started")
}

// stopResolver stops the sandbox's embedded DNS server, if any. keepRules
// leaves its DNAT rules, for a namespace about to go (or to be taken over
// by the next controller).
func (sb *sandbox) stopResolver(keepRules bool) {
	sb.mu.Lock()
	r := sb.dns.resolver
	sb.dns.resolver = nil
	sb.mu.Unlock()
	if r == nil {
		return
	}
	if keepRules {
		r.StopKeepRules()
	} else {
		r.Stop()
	}
}
