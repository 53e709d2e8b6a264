package portmapper

import (
	"cmp"
	"errors"
	"net"
	"os/exec"
	"slices"
	"strconv"

	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/portallocator"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// DefaultProxyName is the userland proxy binary (cmd/proxy) that a
// PortMapper made by New or NewWithPortAllocator looks up in $PATH.
const DefaultProxyName = "cnmkit-proxy"

// Errors of the seed's API, to test with errors.Is; the errors returned
// carry a types class as well.
var (
	// ErrUnknownBackendAddressType: an address that is not a *net.TCPAddr,
	// *net.UDPAddr or *SCTPAddr (BadRequest).
	ErrUnknownBackendAddressType = errors.New("unknown container address type not supported")
	// ErrPortMappedForIP: a mapping holds the host address already, its
	// port having been released in the allocator behind its back (Conflict).
	ErrPortMappedForIP = errors.New("port is already mapped to ip")
	// ErrPortNotMapped: Unmap of an address with no mapping (NotFound).
	ErrPortNotMapped = errors.New("port is not mapped")
)

// New returns a PortMapper with the process-wide port allocator
// (portallocator.Get()), as NewWithPortAllocator.
func New() *PortMapper {
	return NewWithPortAllocator(portallocator.Get())
}

// NewWithPortAllocator returns a PortMapper, working in the process's
// network namespace, that takes host ports from allocator (the process-wide
// one when nil). It programs no firewall until SetIptablesChain gives it a
// chain; Map with useProxy runs the userland proxy DefaultProxyName, looked
// up in $PATH at the first such Map.
func NewWithPortAllocator(allocator *portallocator.PortAllocator) *PortMapper {
	if allocator == nil {
		allocator = portallocator.Get()
	}
	pm, err := NewWithOptions(Options{Allocator: allocator})
	if err != nil {
		// Options without firewall, namespace or run dir cannot fail.
		panic("portmapper: default options rejected: " + err.Error())
	}
	pm.opts.UserlandProxy, pm.findProxy = true, true
	return pm
}

// resolveProxy looks the proxy up in $PATH for a PortMapper of the seed's
// constructors.
func (pm *PortMapper) resolveProxy() error {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	if pm.opts.ProxyPath != "" || !pm.findProxy {
		return nil
	}
	path, err := exec.LookPath(DefaultProxyName)
	if err != nil {
		return types.NoServiceErrorf("portmapper: userland proxy %q: %w", DefaultProxyName, err)
	}
	pm.opts.ProxyPath = path
	return nil
}

// Map publishes container on hostIP at hostPort (0: a dynamic port), as
// MapRange with a range of one port.
func (pm *PortMapper) Map(container net.Addr, hostIP net.IP, hostPort int, useProxy bool) (host net.Addr, err error) {
	return pm.MapRange(container, hostIP, hostPort, hostPort, useProxy)
}

// SetIptablesChain makes the IPv4 mappings made from now on program their
// rules through c (a nat chain, with the filter chain of the same name) as
// iptables.ChainInfo.Forward does, for containers behind bridgeName,
// instead of through the portmapper's own backend. Each mapping keeps the
// chain it was made with until it is unmapped. A nil c goes back to the
// portmapper's own backend.
func (pm *PortMapper) SetIptablesChain(c *iptables.ChainInfo, bridgeName string) {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	pm.chain, pm.bridge = c, bridgeName
}

// forwardChain applies action to m's rules in its chain. A failed Append
// removes what it added.
func (pm *PortMapper) forwardChain(m *mapping, action iptables.Action) error {
	err := m.chain.Forward(action, m.hostIP, m.hostPort, m.proto, m.ctrIP.String(), m.ctrPort, m.bridge)
	if err != nil && action != iptables.Delete {
		_ = m.chain.Forward(iptables.Delete, m.hostIP, m.hostPort, m.proto, m.ctrIP.String(), m.ctrPort, m.bridge)
		return types.InternalErrorf("portmapper: forward %s to %s in chain %s: %w", m.host, net.JoinHostPort(m.ctrIP.String(), strconv.Itoa(m.ctrPort)), m.chain.Name, err)
	}
	if err != nil {
		return types.InternalErrorf("portmapper: remove the forward of %s from chain %s: %w", m.host, m.chain.Name, err)
	}
	return nil
}

// unforwardChains deletes the chain rules of ms (mappings made after
// SetIptablesChain) and returns those whose rules are gone and those kept.
// The accept and masquerade rules that ChainInfo.Forward keeps per
// container port are put back for the mappings of that port that stay.
func (pm *PortMapper) unforwardChains(ms []*mapping) (gone, kept []*mapping, err error) {
	unlock := pm.lockCtrs(ms)
	defer unlock()
	var errs []error
	for _, m := range ms {
		if e := pm.forwardChain(m, iptables.Delete); e != nil {
			errs = append(errs, e)
			kept = append(kept, m)
			continue
		}
		gone = append(gone, m)
	}
	pm.mu.Lock()
	var restore []*mapping
	seen := map[string]bool{}
	for _, m := range gone {
		if seen[m.ctrKey()] {
			continue
		}
		seen[m.ctrKey()] = true
		for _, o := range pm.mappings {
			if o.chain == m.chain && o.ctrKey() == m.ctrKey() {
				restore = append(restore, o)
				break
			}
		}
	}
	pm.mu.Unlock()
	for _, o := range restore {
		if e := pm.forwardChain(o, iptables.Append); e != nil {
			errs = append(errs, e)
		}
	}
	return gone, kept, errors.Join(errs...)
}

// ReMapAll programs the rules of every current mapping again, with the
// chains and jumps of the portmapper's own backend: what the firewall lost
// (a firewalld reload, a flush) comes back, what it kept stays once.
// Errors are logged. Map and Unmap wait while it runs.
func (pm *PortMapper) ReMapAll() {
	pm.life.Lock()
	defer pm.life.Unlock()
	if pm.closed {
		return
	}
	pm.mu.Lock()
	ms := make([]*mapping, 0, len(pm.mappings))
	for _, m := range pm.mappings {
		ms = append(ms, m)
	}
	pm.mu.Unlock()
	// In the order they were made: the rules come back as they were.
	slices.SortFunc(ms, func(a, b *mapping) int { return cmp.Compare(a.seq, b.seq) })
	for _, m := range ms {
		if m.chain == nil {
			continue
		}
		// No rollback here: a failure must not remove what survived.
		if err := m.chain.Forward(iptables.Append, m.hostIP, m.hostPort, m.proto, m.ctrIP.String(), m.ctrPort, m.bridge); err != nil {
			logrus.WithError(err).WithField("host", m.host).Error("portmapper: re-map")
		}
	}
	for _, f := range pm.fam {
		if f == nil {
			continue
		}
		if err := pm.remapFamily(f, ms); err != nil {
			logrus.WithError(err).WithField("family", map[bool]string{false: "ipv4", true: "ipv6"}[f.v6]).Error("portmapper: re-map")
		}
	}
}

// remapFamily sets f's chains and jumps up again and adds the rules of the
// mappings of f, each once, in one batch. The caller holds pm.life.
func (pm *PortMapper) remapFamily(f *family, ms []*mapping) error {
	f.ipt.Forget()
	if err := f.setup(pm.opts.UserlandProxy); err != nil {
		return err
	}
	b := f.newBatch()
	added := map[string]bool{}
	for _, m := range ms {
		if m.chain != nil || pm.familyOf(m.ctrIP) != f {
			continue
		}
		for _, r := range f.rules(m) {
			if id := r.id(); !added[id] {
				added[id] = true
				b.add(r)
			}
		}
	}
	return b.commit()
}
