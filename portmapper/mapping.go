package portmapper

import (
	"net"
	"strconv"

	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/portallocator"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// maxBindAttempts bounds the host ports a range tries when the proxy finds
// a port the allocator thought free taken by another process.
const maxBindAttempts = 10

// mapping is one published port.
type mapping struct {
	proto    string
	hostIP   net.IP
	hostPort int
	ctrIP    net.IP
	ctrPort  int
	host     net.Addr
	proxy    *proxyProc
	hold     *heldSocket // the socket holding the host port without proxy, or nil
	localnet string      // interface whose route_localnet this mapping holds
	alloc    *portallocator.PortAllocator
	chain    *iptables.ChainInfo // the seed's chain holding the rules (SetIptablesChain), or nil
	bridge   string
	seq      uint64 // order of creation, kept by ReMapAll
}

func (m *mapping) key() string { return mappingKey(m.proto, m.hostIP, m.hostPort) }

func mappingKey(proto string, ip net.IP, port int) string {
	return proto + "/" + net.JoinHostPort(ip.String(), strconv.Itoa(port))
}

// splitAddr returns the protocol, IP and port of a *net.TCPAddr,
// *net.UDPAddr or *SCTPAddr.
func splitAddr(a net.Addr) (string, net.IP, int, error) {
	switch a := a.(type) {
	case *net.TCPAddr:
		return "tcp", a.IP, a.Port, nil
	case *net.UDPAddr:
		return "udp", a.IP, a.Port, nil
	case *SCTPAddr:
		return "sctp", a.IP, a.Port, nil
	case nil:
		return "", nil, 0, types.BadRequestErrorf("portmapper: %w: no address", ErrUnknownBackendAddressType)
	}
	return "", nil, 0, types.BadRequestErrorf("portmapper: %w: protocol %q of address %v", ErrUnknownBackendAddressType, a.Network(), a)
}

func makeAddr(proto string, ip net.IP, port int) net.Addr {
	switch proto {
	case "tcp":
		return &net.TCPAddr{IP: ip, Port: port}
	case "udp":
		return &net.UDPAddr{IP: ip, Port: port}
	}
	return &SCTPAddr{IP: ip, Port: port}
}

// hostIPFor returns the host IP to use for a container of ctrIP's family.
func (pm *PortMapper) hostIPFor(hostIP, ctrIP net.IP) (net.IP, error) {
	v4 := ctrIP.To4() != nil
	if len(hostIP) == 0 {
		d := pm.opts.DefaultHostIP
		if d != nil && (d.To4() != nil) == v4 {
			hostIP = d
		} else if v4 {
			hostIP = net.IPv4zero
		} else {
			hostIP = net.IPv6unspecified
		}
	}
	if (hostIP.To4() != nil) != v4 {
		return nil, types.BadRequestErrorf("portmapper: host IP %v and container IP %v are of different families", hostIP, ctrIP)
	}
	if v4 {
		return hostIP.To4(), nil
	}
	return hostIP, nil
}

// MapRange publishes container on hostIP at the first free port of
// hostPortStart-hostPortEnd (hostPortEnd 0: at hostPortStart), or at a
// dynamic port when both are 0. A nil hostIP means the default host IP.
// With useProxy (and the portmapper's UserlandProxy) a proxy serves the
// host's loopback; it is bound when MapRange returns. Without the proxy,
// the portmapper holds the host port with a socket of its namespace (TCP
// and SCTP listening, UDP bound; none for SCTP when the kernel has none),
// closed when the mapping goes: a port in use on the host is a Conflict
// error wrapping EADDRINUSE, and a range or a dynamic port moves on to the
// next port. Re-mapping a mapping of an earlier run whose rules stayed
// (after Release) keeps it even if a host process took its port
// meanwhile; the portmapper then holds nothing and logs a warning. The
// rules go through the chain SetIptablesChain set (IPv4), else through the
// portmapper's own firewall backend. It returns the host address. A failed
// MapRange leaves nothing behind. After Close or Release, it is a
// NoService error.
func (pm *PortMapper) MapRange(container net.Addr, hostIP net.IP, hostPortStart, hostPortEnd int, useProxy bool) (net.Addr, error) {
	hostPort := hostPortStart
	proto, ctrIP, ctrPort, err := splitAddr(container)
	if err != nil {
		return nil, err
	}
	if ctrIP == nil || ctrIP.To16() == nil || ctrIP.IsUnspecified() {
		return nil, types.BadRequestErrorf("portmapper: invalid container IP %v", ctrIP)
	}
	if ctrPort < 1 || ctrPort > 65535 {
		return nil, types.BadRequestErrorf("portmapper: container port %d out of range", ctrPort)
	}
	if v4 := ctrIP.To4(); v4 != nil {
		ctrIP = v4
	}
	if hostPortEnd == 0 {
		hostPortEnd = hostPort
	}
	if hostPort < 0 || hostPort > 65535 || hostPortEnd > 65535 || hostPortEnd < hostPort || (hostPort == 0) != (hostPortEnd == 0) {
		return nil, types.BadRequestErrorf("portmapper: host port range %d-%d out of range", hostPort, hostPortEnd)
	}
	if hostIP, err = pm.hostIPFor(hostIP, ctrIP); err != nil {
		return nil, err
	}
	pm.life.RLock()
	defer pm.life.RUnlock()
	if pm.closed {
		return nil, types.NoServiceErrorf("portmapper: closed")
	}
	f := pm.familyOf(ctrIP)
	withProxy := useProxy && pm.opts.UserlandProxy && proto != "sctp"
	if withProxy {
		if err := pm.resolveProxy(); err != nil {
			return nil, err
		}
	}
	m := &mapping{proto: proto, hostIP: hostIP, ctrIP: ctrIP, ctrPort: ctrPort, alloc: pm.Allocator}
	if m.alloc == nil {
		return nil, types.BadRequestErrorf("portmapper: no port allocator")
	}
	pm.mu.Lock()
	if ctrIP.To4() != nil && pm.chain != nil {
		m.chain, m.bridge, f = pm.chain, pm.bridge, nil
	}
	pm.mu.Unlock()

	// Reserve the port and bind it, with the proxy or a held socket (see
	// hold.go); retry within a range or among the dynamic ports when
	// another process holds a port the allocator had free.
	var held []int
	defer func() {
		for _, p := range held {
			_ = m.alloc.ReleasePort(hostIP, proto, p)
		}
	}()
	var bindErr error // why the last port tried was refused
	for attempt := 0; ; attempt++ {
		port, err := m.alloc.RequestPortInRange(hostIP, proto, hostPort, hostPortEnd)
		if err != nil {
			if bindErr != nil {
				// Every free port of the range was taken by others.
				return nil, bindErr
			}
			return nil, err
		}
		m.hostPort = port
		m.host = makeAddr(proto, hostIP, port)
		if withProxy {
			m.proxy, err = pm.startProxy(m)
		} else {
			m.hold, err = pm.holdFor(f, m, hostPort == hostPortEnd && hostPort != 0)
		}
		if err == nil {
			break
		}
		held, bindErr = append(held, port), err
		if (hostPort == hostPortEnd && hostPort != 0) || !types.IsConflict(err) || attempt+1 >= maxBindAttempts {
			return nil, err
		}
	}
	fail := func(err error) (net.Addr, error) {
		if m.proxy != nil {
			m.proxy.stop()
		}
		m.hold.close()
		_ = m.alloc.ReleasePort(hostIP, proto, m.hostPort)
		return nil, err
	}
	// The allocator guards the key unless someone released the port in it
	// behind our back: then the mapping that holds the key stays.
	pm.mu.Lock()
	if pm.mappedLocked(m.key()) {
		pm.mu.Unlock()
		// The port is the existing mapping's: do not give it back.
		if m.proxy != nil {
			m.proxy.stop()
		}
		m.hold.close()
		return nil, types.ConflictErrorf("portmapper: %w: %s", ErrPortMappedForIP, m.key())
	}
	pm.pending[m.key()] = true
	pm.mu.Unlock()
	defer func() {
		pm.mu.Lock()
		delete(pm.pending, m.key())
		pm.mu.Unlock()
	}()
	if m.chain != nil {
		unlock := pm.lockCtr(m.ctrKey())
		err := pm.forwardChain(m, iptables.Append)
		unlock()
		if err != nil {
			return fail(err)
		}
	}

	if f != nil {
		unlock := pm.lockCtr(m.ctrKey())
		if !withProxy && !f.v6 && !pm.opts.UserlandProxy {
			pm.mu.Lock()
			iface, err := pm.holdLocalnet(ctrIP)
			pm.mu.Unlock()
			if err != nil {
				unlock()
				return fail(err)
			}
			m.localnet = iface
		}
		if err := pm.addRules(f, m); err != nil {
			pm.mu.Lock()
			pm.releaseLocalnet(m.localnet)
			pm.mu.Unlock()
			unlock()
			return fail(err)
		}
		unlock()
	}
	pm.mu.Lock()
	pm.seq++
	m.seq = pm.seq
	pm.mappings[m.key()] = m
	pm.mu.Unlock()
	if m.proxy != nil {
		pm.saveState()
	}
	logrus.WithFields(logrus.Fields{"host": m.host, "container": container, "proxy": m.proxy != nil}).Debug("portmapper: mapped")
	return m.host, nil
}

// mapped reports whether a mapping holds or is being made on key.
func (pm *PortMapper) mapped(key string) bool {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	return pm.mappedLocked(key)
}

// mappedLocked is mapped for a caller holding pm.mu.
func (pm *PortMapper) mappedLocked(key string) bool {
	return pm.mappings[key] != nil || pm.pending[key]
}

// Mappings returns the host addresses of the current mappings.
func (pm *PortMapper) Mappings() []net.Addr {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	out := make([]net.Addr, 0, len(pm.mappings))
	for _, m := range pm.mappings {
		out = append(out, m.host)
	}
	return out
}
