package bridge

import (
	"fmt"
	"github.com/cnmkit/libnetwork/netlabel"
	"net"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/cnmkit/libnetwork/portallocator"
	"github.com/cnmkit/libnetwork/portmapper"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// DefaultProxyName is the userland proxy binary looked up in $PATH when
// EnableUserlandProxy is set without UserlandProxyPath.
const DefaultProxyName = portmapper.DefaultProxyName

// ExecRootKey is the key, in the driver's configuration map, of the
// controller's run-time directory (a string). The driver records its
// proxies under <exec root>/bridge, so that a restarted driver ends those
// a previous run left.
const ExecRootKey = netlabel.ExecRoot

// portMapper publishes the endpoints' ports through a portmapper.PortMapper.
// With iptables the PortMapper (its chains and nf_tables tables) lives while
// the driver has networks: it is made with the first and dropped with the
// last, so that nothing stays in the firewall. Each driver has its own port
// allocator.
type portMapper struct {
	d     *driver
	alloc *portallocator.PortAllocator
	opts  portmapper.Options

	mu sync.Mutex
	pm *portmapper.PortMapper
}

func newPortMapper(d *driver, config map[string]interface{}) (*portMapper, error) {
	p := &portMapper{d: d, alloc: portallocator.New()}
	p.opts = portmapper.Options{
		UserlandProxy: d.config.EnableUserlandProxy,
		NetNSPath:     fmt.Sprintf("/proc/self/fd/%d", int(d.hostNS)),
		Allocator:     p.alloc,
	}
	if d.config.EnableUserlandProxy {
		path := d.config.UserlandProxyPath
		if path == "" {
			var err error
			if path, err = exec.LookPath(DefaultProxyName); err != nil {
				return nil, types.BadRequestErrorf("bridge: userland proxy enabled but %q is not in $PATH: set %s", DefaultProxyName, optUserlandProxyPath)
			}
		}
		p.opts.ProxyPath = path
	}
	if v, ok := config[ExecRootKey]; ok && v != nil {
		root, ok := v.(string)
		if !ok {
			return nil, types.BadRequestErrorf("bridge driver option %s: want a string, got %T", ExecRootKey, v)
		}
		if root != "" {
			p.opts.RunDir = filepath.Join(root, networkType)
		}
	}
	if d.fw != nil {
		p.opts.IPTable4, p.opts.IPTable6 = d.fw.v4, d.fw.v6
		// With the iptables backend the port mapper's rules are iptables
		// rules too, in the filter chain the networks' rules jump to.
		p.opts.IPTablesRules = !d.fw.nft
		d.fw.onFirst, d.fw.onLast = p.start, p.stop
		return p, nil
	}
	// Without iptables only proxies forward: the PortMapper touches no
	// firewall and lives as long as the driver.
	return p, p.start()
}

// start creates the PortMapper (its chains, with iptables).
func (p *portMapper) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pm != nil {
		return nil
	}
	pm, err := portmapper.NewWithOptions(p.opts)
	if err != nil {
		return err
	}
	p.pm = pm
	return nil
}

// stop drops the PortMapper and its chains (with the last network).
func (p *portMapper) stop() error {
	p.mu.Lock()
	pm := p.pm
	p.pm = nil
	p.mu.Unlock()
	if pm == nil {
		return nil
	}
	err := pm.Close()
	if rerr := pm.RemoveChains(); err == nil {
		err = rerr
	}
	return err
}

func (p *portMapper) mapper() (*portmapper.PortMapper, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pm == nil {
		return nil, types.NoServiceErrorf("bridge: no port mapper (no network)")
	}
	return p.pm, nil
}

// close lets go of the port mapper: the mappings (their rules) stay for a
// restarted driver, which adopts them; their proxies end.
func (p *portMapper) close() {
	p.mu.Lock()
	pm := p.pm
	p.pm = nil
	p.mu.Unlock()
	if pm != nil {
		// Rules stay for the next run to adopt; proxies, ports and handles go.
		if err := pm.Release(); err != nil {
			logrus.WithError(err).Warn("bridge: release port mapper")
		}
	}
}

// mapPorts publishes bindings for ep and returns the bindings installed,
// with the host ports chosen. On error nothing is left published.
func (p *portMapper) mapPorts(n *bridgeNetwork, ep *bridgeEndpoint, bindings []types.PortBinding) ([]types.PortBinding, error) {
	pm, err := p.mapper()
	if err != nil {
		return nil, err
	}
	var done []types.PortBinding
	for _, b := range bindings {
		got, err := p.mapOne(pm, n, ep, b, int(b.HostPort), int(b.HostPortEnd))
		if err != nil {
			p.unmap(pm, done)
			return nil, err
		}
		done = append(done, got)
	}
	return done, nil
}

func (p *portMapper) mapOne(pm *portmapper.PortMapper, n *bridgeNetwork, ep *bridgeEndpoint, b types.PortBinding, start, end int) (types.PortBinding, error) {
	ctrIP := ep.addr.IP
	hostIP := b.HostIP
	if hostIP == nil {
		hostIP = n.config.DefaultBindingIP
	}
	if hostIP != nil && hostIP.To4() == nil {
		if ep.addrv6 == nil {
			return types.PortBinding{}, types.BadRequestErrorf("bridge: port binding %s: IPv6 host IP for endpoint %s without an IPv6 address", b, ep.id)
		}
		ctrIP = ep.addrv6.IP
	}
	ctr, err := (types.PortBinding{Proto: b.Proto, IP: ctrIP, Port: b.Port}).ContainerAddr()
	if err != nil {
		return types.PortBinding{}, err
	}
	if b.Proto == types.SCTP {
		ctr = &portmapper.SCTPAddr{IP: ctrIP, Port: int(b.Port)}
	}
	host, err := pm.MapRange(ctr, hostIP, start, end, p.d.config.EnableUserlandProxy)
	if err != nil {
		return types.PortBinding{}, fmt.Errorf("bridge: publish %s/%d of endpoint %s: %w", b.Proto, b.Port, shortID(ep.id), err)
	}
	got := types.PortBinding{Proto: b.Proto, IP: types.GetIPCopy(ctrIP), Port: b.Port}
	switch h := host.(type) {
	case *net.TCPAddr:
		got.HostIP, got.HostPort = h.IP, uint16(h.Port)
	case *net.UDPAddr:
		got.HostIP, got.HostPort = h.IP, uint16(h.Port)
	case *portmapper.SCTPAddr:
		got.HostIP, got.HostPort = h.IP, uint16(h.Port)
	}
	return got, nil
}

// unmap unpublishes bindings in one firewall transaction.
func (p *portMapper) unmap(pm *portmapper.PortMapper, bindings []types.PortBinding) {
	var hosts []net.Addr
	for _, b := range bindings {
		if h := hostAddr(b); h != nil {
			hosts = append(hosts, h)
		}
	}
	if err := pm.UnmapMany(hosts); err != nil {
		logrus.WithField("driver", networkType).WithError(err).Warn("unpublish ports")
	}
}

// revoke unpublishes ep's installed mappings. The caller holds ep.mu.
func (p *portMapper) revoke(ep *bridgeEndpoint) {
	if len(ep.portMapping) == 0 {
		return
	}
	if pm, err := p.mapper(); err == nil {
		p.unmap(pm, ep.portMapping)
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

// restore publishes again, on the same host ports, the mappings of an
// endpoint that stayed joined across a restart (its rules are adopted).
func (p *portMapper) restore(n *bridgeNetwork, ep *bridgeEndpoint) error {
	pm, err := p.mapper()
	if err != nil {
		return err
	}
	var done []types.PortBinding
	for _, b := range ep.portMapping {
		got, err := p.mapOne(pm, n, ep, b, int(b.HostPort), int(b.HostPort))
		if err != nil {
			p.unmap(pm, done)
			ep.portMapping = nil
			return err
		}
		done = append(done, got)
	}
	ep.portMapping = done
	return nil
}

// prune removes the adopted rules of mappings no endpoint restored.
func (p *portMapper) prune() error {
	pm, err := p.mapper()
	if err != nil {
		return nil
	}
	return pm.Prune()
}
