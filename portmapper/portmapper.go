// Package portmapper publishes container ports on host ports: DNAT for
// traffic from outside and from the host itself (elements of nf_tables
// maps, or iptables rules where the kernel has no nf_tables; see
// nftrules.go), and, for the host's loopback, either a userland proxy
// process per mapping (cmd/proxy) or route_localnet with a loopback DNAT.
// The host port of a mapping is held by a socket on the host address in
// the portmapper's namespace, the proxy's or, without proxy, one the
// portmapper keeps open (see hold.go): a port a host process uses cannot
// be mapped, and a mapped port cannot be bound by a host process.
package portmapper

import (
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	nftfw "github.com/cnmkit/libnetwork/firewall/nftables"
	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/portallocator"
	"github.com/cnmkit/libnetwork/types"
	gnft "github.com/google/nftables"
	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// DefaultChainSuffix names the portmapper's chains ("<prefix>-PORTMAP").
const DefaultChainSuffix = "PORTMAP"

// DefaultProxyReadyTimeout bounds the wait for a proxy to bind its port.
const DefaultProxyReadyTimeout = 10 * time.Second

// Options configures a PortMapper.
type Options struct {
	// IPTable4 and IPTable6 program the rules of IPv4 and IPv6 mappings;
	// they must work in the namespace NetNSPath names. A nil table means
	// no rules for that family (only the proxy forwards).
	IPTable4, IPTable6 *iptables.IPTable
	// ChainName is the base name of the portmapper's chains; it must carry
	// the tables' prefix. Default: "<prefix>-PORTMAP".
	ChainName string
	// DefaultHostIP is used when Map gets no host IP. Default: 0.0.0.0
	// (:: for IPv6 containers).
	DefaultHostIP net.IP
	// UserlandProxy enables the proxy (for Map calls that ask for it);
	// ProxyPath is its binary. Without it, the host's loopback reaches
	// IPv4 mappings through route_localnet and a DNAT in OUTPUT.
	UserlandProxy bool
	ProxyPath     string
	// NetNSPath is the namespace the portmapper works in: proxies run and
	// route_localnet is set there. Empty means the process's namespace.
	NetNSPath string
	// RunDir holds the record of running proxies, used to end leftovers
	// after a restart. Empty means no record.
	RunDir string
	// Allocator hands out host ports. Default: portallocator.Get().
	Allocator *portallocator.PortAllocator
	// ProxyReadyTimeout bounds the wait for a proxy. Default: 10s.
	ProxyReadyTimeout time.Duration
	// IPTablesRules programs the NAT of mappings as iptables rules, one
	// iptables-restore run per change, instead of elements of nf_tables
	// maps (the default, used when the kernel has nf_tables). With
	// nf_tables no iptables binary is used: the forward accept of
	// published ports is the bridge firewall's (ct status dnat); with
	// iptables rules a filter chain accepts them.
	IPTablesRules bool
}

// SCTPAddr is the address of an SCTP endpoint (the standard library has none).
type SCTPAddr struct {
	IP   net.IP
	Port int
}

// Network returns "sctp".
func (a *SCTPAddr) Network() string { return "sctp" }

// String returns "ip:port".
func (a *SCTPAddr) String() string { return net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port)) }

// PortMapper publishes container ports. It is safe for concurrent use.
type PortMapper struct {
	// Allocator hands out the host ports. Set it before the first Map; a
	// mapping gives its port back to the allocator it came from.
	Allocator *portallocator.PortAllocator

	opts  Options
	nsh   netns.NsHandle
	inNS  bool
	state string // state file path, "" = none
	fam   [2]*family

	// life is held shared by Map and the unmaps for their whole run, and
	// exclusively by Close, Release and Prune.
	life   sync.RWMutex
	closed bool // by Close or Release; guarded by life

	mu        sync.Mutex // mappings, shared rule counts, localnet refs, chain; never held across a command
	mappings  map[string]*mapping
	seq       uint64          // of the last mapping made
	pending   map[string]bool // keys of mappings being made
	chain     *iptables.ChainInfo
	bridge    string
	findProxy bool // look the proxy up in $PATH at the first Map that needs it
	shared    map[string]int
	ctrLocks  map[string]*ctrLock
	localnet  map[string]*localnetRef
	nl        *netlink.Handle
	nft       *nftfw.Conn // nil: iptables rules

	stateMu sync.Mutex
}

// family is the firewall side of one IP family.
type family struct {
	ipt                  *iptables.IPTable
	nft                  *nftfw.Conn // nil: iptables rules
	nfam                 gnft.TableFamily
	v6                   bool
	natChain, postChain  string
	filterChain          string
	loopback             string // 127.0.0.0/8 or ::1/128
	outputJump, prerJump []string
}

// NewWithOptions returns a PortMapper configured by opts: it ends the
// proxies a previous run with the same RunDir and ChainName left behind,
// and creates its chains and jumps.
func NewWithOptions(opts Options) (*PortMapper, error) {
	if opts.UserlandProxy && opts.ProxyPath == "" {
		return nil, types.BadRequestErrorf("portmapper: userland proxy enabled without a proxy path")
	}
	if opts.DefaultHostIP != nil && opts.DefaultHostIP.To16() == nil {
		return nil, types.BadRequestErrorf("portmapper: invalid default host IP %v", opts.DefaultHostIP)
	}
	if opts.ProxyReadyTimeout <= 0 {
		opts.ProxyReadyTimeout = DefaultProxyReadyTimeout
	}
	if opts.ChainName == "" {
		for _, ipt := range []*iptables.IPTable{opts.IPTable4, opts.IPTable6} {
			if ipt != nil {
				opts.ChainName = ipt.ChainName(DefaultChainSuffix)
				break
			}
		}
	}
	if opts.ChainName == "" {
		opts.ChainName = iptables.DefaultChainPrefix + "-" + DefaultChainSuffix
	}
	for _, ipt := range []*iptables.IPTable{opts.IPTable4, opts.IPTable6} {
		if ipt != nil && !ipt.Owns(opts.ChainName) {
			return nil, types.BadRequestErrorf("portmapper: chain %q does not carry the prefix %q", opts.ChainName, ipt.Prefix())
		}
	}
	if len(opts.ChainName)+len("-POST") > 28 {
		return nil, types.BadRequestErrorf("portmapper: chain name %q is too long", opts.ChainName)
	}
	pm := &PortMapper{
		opts:      opts,
		Allocator: opts.Allocator,
		nsh:       netns.None(),
		mappings:  map[string]*mapping{},
		pending:   map[string]bool{},
		shared:    map[string]int{},
		ctrLocks:  map[string]*ctrLock{},
		localnet:  map[string]*localnetRef{},
	}
	if pm.Allocator == nil {
		pm.Allocator = portallocator.Get()
	}
	if opts.NetNSPath != "" {
		h, err := netns.GetFromPath(opts.NetNSPath)
		if err != nil {
			return nil, types.BadRequestErrorf("portmapper: open netns %q: %w", opts.NetNSPath, err)
		}
		pm.nsh, pm.inNS = h, true
	}
	if opts.RunDir != "" {
		pm.state = filepath.Join(opts.RunDir, stateFilePrefix+opts.ChainName+".json")
		if err := cleanupStateFile(pm.state); err != nil {
			pm.closeHandles()
			return nil, err
		}
	}
	if err := pm.setupFamilies(); err != nil {
		pm.closeHandles()
		return nil, err
	}
	return pm, nil
}

// setupFamilies sets up the families' rules: with nf_tables unless the
// options or the kernel say otherwise.
func (pm *PortMapper) setupFamilies() error {
	if pm.opts.IPTable4 == nil && pm.opts.IPTable6 == nil {
		return nil
	}
	if !pm.opts.IPTablesRules {
		c, err := nftfw.Open(pm.namespace())
		if err != nil {
			return err
		}
		if !c.Available() {
			c.Close()
			logrus.Info("portmapper: no nf_tables, iptables rules instead")
			pm.opts.IPTablesRules = true
		} else {
			pm.nft = c
		}
	}
	for {
		pm.fam = [2]*family{}
		if pm.opts.IPTable4 != nil {
			pm.fam[0] = pm.newFamily(pm.opts.IPTable4, false)
		}
		if pm.opts.IPTable6 != nil {
			pm.fam[1] = pm.newFamily(pm.opts.IPTable6, true)
		}
		var err error
		for _, f := range pm.fam {
			if f != nil && err == nil {
				err = f.setup(pm.opts.UserlandProxy)
			}
		}
		if err == nil || pm.nft == nil || !types.IsNotImplemented(err) {
			return err
		}
		logrus.WithError(err).Info("portmapper: no nf_tables, iptables rules instead")
		pm.nft.Close()
		pm.nft = nil
	}
}

// NFTables reports whether mappings are nf_tables map elements (cheap to
// add and remove one by one) rather than iptables rules.
func (pm *PortMapper) NFTables() bool { return pm.nft != nil }

// namespace returns the handle of the portmapper's namespace.
func (pm *PortMapper) namespace() netns.NsHandle {
	if pm.inNS {
		return pm.nsh
	}
	return netns.None()
}

// familyOf returns the iptables side for ip, or nil.
func (pm *PortMapper) familyOf(ip net.IP) *family {
	if ip.To4() != nil {
		return pm.fam[0]
	}
	return pm.fam[1]
}

// Close removes every mapping (as UnmapAll) and lets go of the portmapper's
// resources (as Release); the chains stay (see RemoveChains). If some
// rules cannot be removed, they stay in the firewall, the error says which,
// and everything else is still let go. Map fails after Close; further
// Close or Release calls do nothing.
func (pm *PortMapper) Close() error {
	pm.life.Lock()
	defer pm.life.Unlock()
	if pm.closed {
		return nil
	}
	err := pm.unmapAll()
	return errors.Join(err, pm.releaseAll())
}

// Release lets go of the portmapper's resources and leaves the firewall as
// it is, for a later PortMapper (typically of the next run) to adopt with
// Map and clean with Prune. What survives: the chains, the jumps to them
// and every mapping's rules. What goes: the proxies (ended and reaped, their
// record in RunDir removed; they would die with the process anyway), the
// sockets holding the host ports and their reservations in the allocator
// (free for the adopting Map, which holds them again), the
// route_localnet settings (restored; the adopting Map sets them again) and
// the namespace and netlink handles. Until a new PortMapper maps them again,
// the mappings forward traffic from other hosts and namespaces but not from
// the host's loopback. Map fails after Release; further Close or Release
// calls do nothing.
func (pm *PortMapper) Release() error {
	pm.life.Lock()
	defer pm.life.Unlock()
	if pm.closed {
		return nil
	}
	return pm.releaseAll()
}

// releaseAll forgets every mapping, lets go of what they hold besides their
// rules, and closes the handles. The caller holds pm.life exclusively.
func (pm *PortMapper) releaseAll() error {
	pm.closed = true
	pm.mu.Lock()
	ms := make([]*mapping, 0, len(pm.mappings))
	for _, m := range pm.mappings {
		ms = append(ms, m)
	}
	pm.mappings = map[string]*mapping{}
	pm.shared = map[string]int{}
	pm.mu.Unlock()
	err := pm.release(ms)
	pm.closeHandles()
	return err
}

func (pm *PortMapper) closeHandles() {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	if pm.nl != nil {
		pm.nl.Close()
		pm.nl = nil
	}
	if pm.nft != nil {
		pm.nft.Close()
	}
	if pm.inNS {
		pm.nsh.Close()
		pm.inNS = false
	}
}
