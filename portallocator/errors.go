package portallocator

import (
	"fmt"
	"net"
	"strconv"

	"github.com/cnmkit/libnetwork/types"
)

// ErrPortAlreadyAllocated is the error of a request for a host port already
// held for that IP and protocol. It is a types.ConflictError, matches
// ErrAlreadyAllocated with errors.Is, and is returned as a value (test with
// a type assertion or errors.As).
type ErrPortAlreadyAllocated struct {
	ip    string
	port  int
	proto string
}

func newErrPortAlreadyAllocated(ip net.IP, port int, proto string) ErrPortAlreadyAllocated {
	return ErrPortAlreadyAllocated{ip: ip.String(), port: port, proto: proto}
}

// IP returns the host IP the port is held for.
func (e ErrPortAlreadyAllocated) IP() string { return e.ip }

// Port returns the host port.
func (e ErrPortAlreadyAllocated) Port() int { return e.port }

// Proto returns the protocol ("tcp", "udp" or "sctp").
func (e ErrPortAlreadyAllocated) Proto() string { return e.proto }

// IPPort returns "ip:port" ("[ip]:port" for IPv6).
func (e ErrPortAlreadyAllocated) IPPort() string {
	return net.JoinHostPort(e.ip, strconv.Itoa(e.port))
}

// Error names the address, port and protocol.
func (e ErrPortAlreadyAllocated) Error() string {
	return fmt.Sprintf("Bind for %s/%s failed: port is already allocated", e.IPPort(), e.proto)
}

// Conflict marks the error as a types.ConflictError.
func (e ErrPortAlreadyAllocated) Conflict() {}

// Is makes errors.Is(err, ErrAlreadyAllocated) true.
func (e ErrPortAlreadyAllocated) Is(target error) bool { return target == ErrAlreadyAllocated }

// As fills an *AlreadyAllocatedError target, the project's earlier form.
func (e ErrPortAlreadyAllocated) As(target any) bool {
	t, ok := target.(**AlreadyAllocatedError)
	if !ok {
		return false
	}
	*t = &AlreadyAllocatedError{IP: net.ParseIP(e.ip), Port: e.port, Proto: e.proto}
	return true
}

var _ types.ConflictError = ErrPortAlreadyAllocated{}

// AlreadyAllocatedError is the project's earlier form of
// ErrPortAlreadyAllocated, with exported fields; errors.As fills it from an
// ErrPortAlreadyAllocated.
type AlreadyAllocatedError struct {
	IP    net.IP
	Port  int
	Proto string
}

// Error names the address, port and protocol.
func (e *AlreadyAllocatedError) Error() string {
	return newErrPortAlreadyAllocated(e.IP, e.Port, e.Proto).Error()
}

// Conflict marks the error as a types.ConflictError.
func (e *AlreadyAllocatedError) Conflict() {}

// Is makes errors.Is(err, ErrAlreadyAllocated) true.
func (e *AlreadyAllocatedError) Is(target error) bool { return target == ErrAlreadyAllocated }
