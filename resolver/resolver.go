package resolver

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

type runState int

const (
	stateNew runState = iota
	stateRunning
	stateStopped
)

// Resolver is the embedded DNS server of one sandbox. Its methods are safe
// for concurrent use.
type Resolver struct {
	backend Backend
	cfg     Config
	listen  netip.Addr
	ups     atomic.Pointer[[]netip.AddrPort]
	slots   chan struct{} // one token per forwarded query in flight
	// ownStats counts when Config.Stats is nil.
	ownStats Stats
	log      *logrus.Entry

	mu      sync.Mutex
	state   runState
	nsh     netns.NsHandle // our duplicate of the sandbox's handle
	udp     *net.UDPConn
	tcp     *net.TCPListener
	conns   map[net.Conn]struct{}
	rules   *dnatRules
	cancel  context.CancelFunc
	ctx     context.Context
	stopped chan struct{} // closed when Stop has finished
	wg      sync.WaitGroup
}

// New returns a resolver answering from backend, configured by cfg. It
// does not serve until Start. A bad address in cfg is a BadRequest error
// that names it.
func New(backend Backend, cfg Config) (*Resolver, error) {
	if backend == nil {
		return nil, types.BadRequestErrorf("DNS resolver needs a backend")
	}
	cfg, la, ups, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	r := &Resolver{
		backend: backend,
		cfg:     cfg,
		listen:  la,
		slots:   make(chan struct{}, cfg.MaxConcurrentForwards),
		log:     logrus.WithFields(logrus.Fields{"dns": la.String(), "mode": cfg.Mode.String()}),
		nsh:     netns.None(),
		conns:   map[net.Conn]struct{}{},
		stopped: make(chan struct{}),
	}
	r.ups.Store(&ups)
	return r, nil
}

// Addr returns the address clients query, "ip:53".
func (r *Resolver) Addr() string {
	return netip.AddrPortFrom(r.listen, 53).String()
}

// SetUpstreams replaces the servers non-local queries are forwarded to.
// On a bad address it returns a BadRequest error naming it and keeps the
// current list.
func (r *Resolver) SetUpstreams(upstreams []string) error {
	ups, err := parseUpstreams(upstreams, r.listen)
	if err != nil {
		return err
	}
	r.ups.Store(&ups)
	return nil
}

func (r *Resolver) upstreamList() []netip.AddrPort { return *r.ups.Load() }

func (r *Resolver) hasUpstreams() bool { return len(*r.ups.Load()) > 0 }

// Start binds the resolver's UDP and TCP sockets inside the namespace nsh,
// installs the DNAT rules in ModeDNAT, and serves until Stop. The resolver
// keeps its own handle of the namespace; the caller may close nsh. A
// resolver starts once; on error nothing is left behind and Start may be
// called again.
func (r *Resolver) Start(nsh netns.NsHandle) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != stateNew {
		return types.ForbiddenErrorf("DNS resolver %s already started", r.Addr())
	}
	fd, err := unix.FcntlInt(uintptr(nsh), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return types.BadRequestErrorf("DNS resolver: invalid namespace handle %d: %w", int(nsh), err)
	}
	h := netns.NsHandle(fd)
	port := 0
	if r.cfg.Mode == ModeDirect {
		port = 53
	}
	var udp *net.UDPConn
	var tcp *net.TCPListener
	err = ns.WithNetNS(h, func() error {
		var err error
		ip := net.IP(r.listen.AsSlice())
		if udp, err = net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: port}); err != nil {
			return listenErr("udp", r.listen, port, err)
		}
		if tcp, err = net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: port}); err != nil {
			udp.Close()
			return listenErr("tcp", r.listen, port, err)
		}
		return nil
	})
	if err != nil {
		h.Close()
		return err
	}
	if r.cfg.Mode == ModeDNAT {
		uport := udp.LocalAddr().(*net.UDPAddr).Port
		tport := tcp.Addr().(*net.TCPAddr).Port
		rules, err := installDNAT(h, r.listen, uport, tport)
		if err != nil {
			udp.Close()
			tcp.Close()
			h.Close()
			return err
		}
		r.rules = rules
	}
	r.nsh, r.udp, r.tcp = h, udp, tcp
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.state = stateRunning
	r.wg.Add(2)
	go r.serveUDP(udp)
	go r.serveTCP(tcp)
	r.log.WithFields(logrus.Fields{"udp": udp.LocalAddr().String(), "tcp": tcp.Addr().String()}).Debug("dns: resolver started")
	return nil
}

func listenErr(network string, ip netip.Addr, port int, err error) error {
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))
	if errors.Is(err, syscall.EADDRINUSE) {
		return types.ConflictErrorf("DNS resolver: %s address %s in use: %w", network, addr, err)
	}
	return types.InternalErrorf("DNS resolver: listen on %s %s: %w", network, addr, err)
}

// Stop closes the resolver's sockets, waits for its goroutines, including
// forwarded queries in flight, and removes its DNAT rules. It may be
// called more than once and before Start.
func (r *Resolver) Stop() { r.stop(true) }

// StopKeepRules is Stop for a namespace about to be deleted: it leaves the
// DNAT rules, which go with the namespace. A resolver started later in the
// same namespace replaces them.
func (r *Resolver) StopKeepRules() { r.stop(false) }

func (r *Resolver) stop(removeRules bool) {
	r.mu.Lock()
	switch r.state {
	case stateNew:
		r.state = stateStopped
		close(r.stopped)
		r.mu.Unlock()
		return
	case stateStopped:
		r.mu.Unlock()
		<-r.stopped
		return
	}
	r.state = stateStopped
	r.cancel()
	r.udp.Close()
	r.tcp.Close()
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
	if r.rules != nil {
		if !removeRules {
			r.rules.close()
		} else if err := r.rules.remove(); err != nil {
			r.log.WithError(err).Warn("dns: remove DNAT rules")
		}
	}
	r.nsh.Close()
	r.log.Debug("dns: resolver stopped")
	close(r.stopped)
}

// acquire takes a forwarding slot without waiting.
func (r *Resolver) acquire() bool {
	select {
	case r.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (r *Resolver) release() { <-r.slots }

// recoverPanic keeps a bug in answering one query from killing the
// embedding process.
func (r *Resolver) recoverPanic(where string) {
	if p := recover(); p != nil {
		r.log.WithFields(logrus.Fields{"where": where, "panic": p}).Error("dns: panic while answering a query")
	}
}
