package portmapper

import (
	"bytes"
	"errors"
	"net"
	"syscall"

	"github.com/cnmkit/libnetwork/iptables"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// A mapping without proxy keeps a socket on its host address and port, as
// Docker's daemon does without the userland proxy: TCP and SCTP bound and
// listening, UDP bound. Taking the port fails when a host process has it,
// and no host process can bind it while the mapping lasts. The socket sets
// neither SO_REUSEADDR nor SO_REUSEPORT, so even a process setting them
// cannot share the port (for UDP the kernel lets sockets share a port only
// when all of them set the option). An IPv6 socket is IPV6_V6ONLY and
// leaves the IPv4 port alone. Nobody accepts on the listening socket, but
// nothing reaches it either: the DNAT of prerouting and output sends the
// traffic of the mapping to the container before local delivery.

// heldSocket is the socket a mapping holds its host port with.
type heldSocket struct{ fd int }

// close lets go of the port; nil does nothing.
func (h *heldSocket) close() {
	if h != nil && h.fd >= 0 {
		_ = unix.Close(h.fd)
		h.fd = -1
	}
}

// holdPort binds (and for TCP and SCTP listens on) m's host address and
// port with a socket of the portmapper's namespace: NetNSPath's, made on a
// thread that enters it whatever namespace the caller is in; without
// NetNSPath, the caller's, where such a portmapper programs its rules and
// route_localnet as well (the process's, unless the caller locked its
// thread in another namespace, as the seed's users do). A port in use is a
// Conflict error wrapping EADDRINUSE, a host IP that is not local a
// BadRequest error. Without SCTP in the kernel an SCTP mapping holds
// nothing: it returns nil, nil.
func (pm *PortMapper) holdPort(m *mapping) (*heldSocket, error) {
	domain, sa := unix.AF_INET, unix.Sockaddr(nil)
	if ip4 := m.hostIP.To4(); ip4 != nil {
		a := &unix.SockaddrInet4{Port: m.hostPort}
		copy(a.Addr[:], ip4)
		sa = a
	} else {
		domain = unix.AF_INET6
		a := &unix.SockaddrInet6{Port: m.hostPort}
		copy(a.Addr[:], m.hostIP.To16())
		sa = a
	}
	typ, proto := unix.SOCK_STREAM, 0
	switch m.proto {
	case "udp":
		typ = unix.SOCK_DGRAM
	case "sctp":
		proto = unix.IPPROTO_SCTP
	}
	var fd int
	err := pm.inNamespace(func() error {
		var err error
		fd, err = unix.Socket(domain, typ|unix.SOCK_CLOEXEC, proto)
		return err
	})
	if err != nil {
		if m.proto == "sctp" && (errors.Is(err, unix.EPROTONOSUPPORT) || errors.Is(err, unix.ESOCKTNOSUPPORT)) {
			logrus.WithField("host", m.key()).Debug("portmapper: no SCTP in the kernel, host port not held")
			return nil, nil
		}
		return nil, types.InternalErrorf("portmapper: socket to hold %s: %w", m.key(), err)
	}
	h := &heldSocket{fd: fd}
	if domain == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			h.close()
			return nil, types.InternalErrorf("portmapper: IPV6_V6ONLY on the socket of %s: %w", m.key(), err)
		}
	}
	if err := unix.Bind(fd, sa); err != nil {
		h.close()
		return nil, holdError(m, "bind", err)
	}
	if typ == unix.SOCK_STREAM {
		if err := unix.Listen(fd, 1); err != nil {
			h.close()
			return nil, holdError(m, "listen on", err)
		}
	}
	return h, nil
}

func holdError(m *mapping, op string, err error) error {
	err = &net.OpError{Op: op, Net: m.proto, Addr: m.host, Err: err}
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return types.ConflictErrorf("portmapper: host port %s is in use by another process: %w", m.key(), err)
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return types.BadRequestErrorf("portmapper: host IP %v is not an address of this host: %w", m.hostIP, err)
	}
	return types.InternalErrorf("portmapper: hold host port %s: %w", m.key(), err)
}

// holdFor holds m's host port for MapRange (f: m's family, nil for the
// seed's chain; fixed: one port asked for). A port that m's key already
// holds, a mapping of this portmapper whose allocator port was released
// behind its back, is not an error here: MapRange refuses the key itself.
// A fixed port taken by a host process while m's rules stayed from an
// earlier run (the adoption of Release's mappings) keeps m without a
// socket: the mapping still forwards, and the portmapper logs a warning,
// as it does for the other troubles of restoring an earlier run.
func (pm *PortMapper) holdFor(f *family, m *mapping, fixed bool) (*heldSocket, error) {
	h, err := pm.holdPort(m)
	switch {
	case err == nil || !types.IsConflict(err):
		return h, err
	case pm.mapped(m.key()):
		return nil, nil
	case fixed && pm.adopted(f, m):
		logrus.WithError(err).WithField("host", m.key()).Warn("portmapper: restored mapping kept without holding its host port")
		return nil, nil
	}
	return nil, err
}

// adopted reports whether m's DNAT is in the firewall already: m restores
// a mapping of an earlier run (see Release), whose rules stayed.
func (pm *PortMapper) adopted(f *family, m *mapping) bool {
	if f == nil {
		return false
	}
	dnat := f.rules(m)[0]
	if dnat.set == "" {
		ok, err := f.ipt.Exists(iptables.Nat, dnat.chain, dnat.args...)
		return err == nil && ok
	}
	elems, err := f.nftElems(dnat.set)
	if err != nil {
		return false
	}
	for _, e := range elems {
		if bytes.Equal(e.Key, dnat.elem.Key) && bytes.Equal(e.Val, dnat.elem.Val) {
			return true
		}
	}
	return false
}
