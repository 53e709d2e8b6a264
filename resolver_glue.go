package libnetwork

import (
	"net"
	"sync"

	"github.com/cnmkit/libnetwork/resolver"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netns"
)

// Resolver represents the embedded DNS server in Docker. It operates
// by listening on container's loopback interface for DNS queries.
type Resolver interface {
	// Start starts the name server for the container
	Start() error
	// Stop stops the name server for the container. Stopped resolver
	// can be reused after running the SetupFunc again.
	Stop()
	// SetupFunc provides the setup function that should be run
	// in the container's network namespace.
	SetupFunc() func()
	// NameServer returns the IP of the DNS resolver for the
	// containers.
	NameServer() string
	// SetExtServers configures the external nameservers the resolver
	// should use to forward queries
	SetExtServers([]string)
	// FlushExtServers clears the cached UDP connections to external
	// nameservers
	FlushExtServers()
	// ResolverOptions returns resolv.conf options that should be set
	ResolverOptions() []string
}

// sandboxResolver is the Resolver of one sandbox: the resolver package's
// server answering from the sandbox's networks, in the sandbox's namespace.
type sandboxResolver struct {
	sb *sandbox

	mu  sync.Mutex
	r   *resolver.Resolver
	ext []string       // forwarding servers (SetExtServers)
	nsh netns.NsHandle // the namespace SetupFunc ran in, or None
}

// NewResolver returns the embedded DNS server of sb; it serves once started.
func NewResolver(sb *sandbox) Resolver {
	return &sandboxResolver{sb: sb, nsh: netns.None()}
}

// SetupFunc returns a function that, run in the sandbox's namespace (for
// example through osl.Sandbox.InvokeFunc), makes Start serve there; without
// it Start serves in the namespace at the sandbox's key.
func (r *sandboxResolver) SetupFunc() func() {
	return func() {
		h, err := netns.Get()
		if err != nil {
			logrus.WithField("sid", r.sb.id).WithError(err).Warn("embedded DNS: setup: current namespace")
			return
		}
		r.mu.Lock()
		if r.nsh.IsOpen() {
			r.nsh.Close()
		}
		r.nsh = h
		r.mu.Unlock()
	}
}

// Start starts serving. When the kernel has no nf_tables the server binds
// port 53 directly instead of being reached through a DNAT rule. Errors
// name the sandbox and keep their class.
func (r *sandboxResolver) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.r != nil {
		return types.ForbiddenErrorf("sandbox %s: embedded DNS server already started", r.sb.id)
	}
	h := r.nsh
	if !h.IsOpen() {
		var err error
		if h, err = netns.GetFromPath(r.sb.Key()); err != nil {
			return types.NoServiceErrorf("sandbox %s: embedded DNS server: open namespace %s: %w", r.sb.id, r.sb.Key(), err)
		}
		defer h.Close()
	}
	dcfg := r.sb.ctrl.config().Daemon.DNS
	cfg := resolver.Config{ForwardTimeout: dcfg.ForwardTimeout, Upstreams: r.ext, Stats: &r.sb.ctrl.dnsStats}
	if dcfg.DirectBind {
		cfg.Mode = resolver.ModeDirect
	}
	srv, err := resolver.New(dnsBackend{r.sb}, cfg)
	if err == nil {
		err = srv.Start(h)
		if types.IsNotImplemented(err) && cfg.Mode == resolver.ModeDNAT {
			logrus.WithField("sid", r.sb.id).WithError(err).Info("embedded DNS: direct bind instead of DNAT")
			cfg.Mode = resolver.ModeDirect
			if srv, err = resolver.New(dnsBackend{r.sb}, cfg); err == nil {
				err = srv.Start(h)
			}
		}
	}
	if err != nil {
		return driverErr(err, "sandbox %s: start embedded DNS server", r.sb.id)
	}
	r.r = srv
	return nil
}

// Stop stops serving and removes the server's DNAT rules.
func (r *sandboxResolver) Stop() { r.stop(false) }

// stop stops serving; keepRules leaves the DNAT rules, for a namespace
// about to go or to be taken over by the next controller.
func (r *sandboxResolver) stop(keepRules bool) {
	r.mu.Lock()
	srv := r.r
	r.r = nil
	if r.nsh.IsOpen() {
		r.nsh.Close()
		r.nsh = netns.None()
	}
	r.mu.Unlock()
	if srv == nil {
		return
	}
	if keepRules {
		srv.StopKeepRules()
	} else {
		srv.Stop()
	}
}

// NameServer returns the address containers send their queries to.
func (r *sandboxResolver) NameServer() string { return resolver.DefaultListenAddr }

// SetExtServers sets the servers queries for other names are forwarded to
// ("ip" or "ip:port"); a list with a bad address is logged and not used.
func (r *sandboxResolver) SetExtServers(servers []string) {
	if err := r.setUpstreams(servers); err != nil {
		logrus.WithField("sid", r.sb.id).WithError(err).Warn("embedded DNS: external servers")
	}
}

// setUpstreams is SetExtServers with its error; before Start the list is
// kept, and Start checks it.
func (r *sandboxResolver) setUpstreams(servers []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.r != nil {
		if err := r.r.SetUpstreams(servers); err != nil {
			return err
		}
	}
	r.ext = append([]string(nil), servers...)
	return nil
}

// FlushExtServers forgets the forwarding servers.
func (r *sandboxResolver) FlushExtServers() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ext = nil
	if r.r != nil {
		_ = r.r.SetUpstreams(nil)
	}
}

// ResolverOptions returns the resolv.conf options of a container served
// by the embedded DNS server.
func (r *sandboxResolver) ResolverOptions() []string {
	return append([]string(nil), embeddedDNSOptions...)
}

// addr returns the address the server listens on ("" when stopped).
func (r *sandboxResolver) addr() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.r == nil {
		return ""
	}
	return r.r.Addr()
}

// dnsBackend answers a sandbox's embedded DNS server from the service
// records of the sandbox's networks, through its lock-free lookup view.
type dnsBackend struct{ sb *sandbox }

func (b dnsBackend) ResolveName(name string, family int) ([]net.IP, bool) {
	return b.sb.view().resolveName(name, family)
}

func (b dnsBackend) ResolveIP(ip net.IP) string { return b.sb.view().resolveIP(ip) }

// wantsResolver reports whether the sandbox should run an embedded DNS
// server: it has a namespace of its own, a resolv.conf of ours (not
// OptionOriginResolvConfPath's, which it gets unchanged) and an endpoint on
// a network with DNS that did not opt out (CreateOptionDisableResolution);
// joining, when not nil, counts as one of its endpoints.
func (sb *sandbox) wantsResolver(joining *endpoint) bool {
	sb.mu.Lock()
	def, osSb, origin := sb.config.useDefaultSandbox, sb.osSb, sb.config.originResolvConfPath
	eps := append([]*endpoint(nil), sb.endpoints...)
	sb.mu.Unlock()
	if joining != nil {
		eps = append(eps, joining)
	}
	if def || osSb == nil || origin != "" {
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
// when it wants one (with joining, if not nil, among its endpoints) and has
// none, and reports whether it started one. The caller holds opMu; on error
// no server runs and the caller fails its operation.
func (sb *sandbox) startResolver(joining *endpoint) (bool, error) {
	sb.mu.Lock()
	running, cfg := sb.dns.resolver != nil, sb.config
	sb.mu.Unlock()
	if running || !sb.wantsResolver(joining) {
		return false, nil
	}
	r := NewResolver(sb).(*sandboxResolver)
	_, ups, err := sb.ctrl.buildResolvConf(&cfg, true, sb.hasIPv6())
	if err != nil {
		return false, err
	}
	r.ext = ups
	if err := r.Start(); err != nil {
		return false, err
	}
	sb.mu.Lock()
	sb.dns.resolver = r
	sb.mu.Unlock()
	logrus.WithFields(logrus.Fields{"sid": sb.id, "addr": r.addr()}).Debug("embedded DNS started")
	return true, nil
}

// stopResolver stops the sandbox's embedded DNS server, if any. keepRules
// leaves its DNAT rules, for a namespace about to go (or to be taken over
// by the next controller).
func (sb *sandbox) stopResolver(keepRules bool) {
	sb.mu.Lock()
	r := sb.dns.resolver
	sb.dns.resolver = nil
	sb.mu.Unlock()
	if r != nil {
		r.stop(keepRules)
	}
}
