package types

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Protocol is an IP protocol number.
type Protocol uint8

// Well-known protocols.
const (
	ICMP Protocol = 1
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

// String returns the protocol's lower-case name.
func (p Protocol) String() string {
	switch p {
	case ICMP:
		return "icmp"
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case SCTP:
		return "sctp"
	}
	return strconv.Itoa(int(p))
}

// ParseProtocol returns the protocol named s ("tcp", "udp", "sctp", "icmp",
// any case), or 0 when s names none of them.
func ParseProtocol(s string) Protocol {
	p, err := ParseProtocolStrict(s)
	if err != nil {
		return 0
	}
	return p
}

// ParseProtocolStrict parses a protocol name ("tcp", "udp", "sctp", "icmp",
// any case); an unknown name is a BadRequestError naming it.
func ParseProtocolStrict(s string) (Protocol, error) {
	switch strings.ToLower(s) {
	case "icmp":
		return ICMP, nil
	case "tcp":
		return TCP, nil
	case "udp":
		return UDP, nil
	case "sctp":
		return SCTP, nil
	}
	return 0, BadRequestErrorf("unknown protocol %q", s)
}

// TransportPort is a protocol and a port number.
type TransportPort struct {
	Proto Protocol
	Port  uint16
}

// String returns "proto/port".
func (t TransportPort) String() string { return fmt.Sprintf("%s/%d", t.Proto, t.Port) }

// GetCopy returns a copy of t.
func (t *TransportPort) GetCopy() TransportPort { return *t }

// Equal reports whether t and o are the same.
func (t *TransportPort) Equal(o *TransportPort) bool { return *t == *o }

// ParseTransportPort parses "proto/port" (for example "tcp/80", the form
// TransportPort.String writes); Docker's "port/proto" ("80/tcp") is read too.
func ParseTransportPort(s string) (TransportPort, error) {
	proto, port, ok := strings.Cut(s, "/")
	if !ok {
		return TransportPort{}, BadRequestErrorf("invalid transport port %q: want proto/port", s)
	}
	if _, err := strconv.ParseUint(proto, 10, 16); err == nil {
		proto, port = port, proto
	}
	p, err := ParseProtocolStrict(proto)
	if err != nil {
		return TransportPort{}, BadRequestErrorf("invalid transport port %q: %w", s, err)
	}
	n, err := parsePort(port)
	if err != nil {
		return TransportPort{}, BadRequestErrorf("invalid transport port %q: %w", s, err)
	}
	return TransportPort{Proto: p, Port: n}, nil
}

// FromString sets t from s, in the form String writes ("tcp/8080"); a bad
// string is a BadRequestError naming it and leaves t unchanged.
func (t *TransportPort) FromString(s string) error {
	tp, err := ParseTransportPort(s)
	if err != nil {
		return err
	}
	*t = tp
	return nil
}

// ErrInvalidProtocolBinding is returned for a port binding whose protocol has
// no transport address (not TCP, UDP or SCTP); the value names the protocol.
type ErrInvalidProtocolBinding string

// Error returns the message naming the protocol.
func (ipb ErrInvalidProtocolBinding) Error() string {
	return fmt.Sprintf("invalid transport protocol: %s", string(ipb))
}

// BadRequest marks ErrInvalidProtocolBinding as a BadRequestError.
func (ipb ErrInvalidProtocolBinding) BadRequest() {}

// PortBinding maps a container port to a host address and port (or range).
type PortBinding struct {
	Proto       Protocol
	IP          net.IP
	Port        uint16
	HostIP      net.IP
	HostPort    uint16
	HostPortEnd uint16
}

// GetCopy returns a deep copy of p.
func (p PortBinding) GetCopy() PortBinding {
	p.IP = GetIPCopy(p.IP)
	p.HostIP = GetIPCopy(p.HostIP)
	return p
}

// Equal reports whether p and o bind the same ports and addresses.
func (p *PortBinding) Equal(o *PortBinding) bool {
	return p.Proto == o.Proto && p.Port == o.Port && p.HostPort == o.HostPort &&
		p.HostPortEnd == o.HostPortEnd && p.IP.Equal(o.IP) && p.HostIP.Equal(o.HostIP)
}

// ContainerAddr returns the container side as a net.Addr.
func (p PortBinding) ContainerAddr() (net.Addr, error) {
	return transportAddr(p.Proto, p.IP, p.Port)
}

// HostAddr returns the host side as a net.Addr.
func (p PortBinding) HostAddr() (net.Addr, error) {
	return transportAddr(p.Proto, p.HostIP, p.HostPort)
}

func transportAddr(proto Protocol, ip net.IP, port uint16) (net.Addr, error) {
	switch proto {
	case TCP:
		return &net.TCPAddr{IP: ip, Port: int(port)}, nil
	case UDP:
		return &net.UDPAddr{IP: ip, Port: int(port)}, nil
	case SCTP:
		return &net.IPAddr{IP: ip}, nil
	}
	return nil, ErrInvalidProtocolBinding(proto.String())
}

// String returns "proto/ip:port/hostip:hostport[-hostportend]", the form
// ParsePortBinding reads.
func (p PortBinding) String() string {
	s := fmt.Sprintf("%s/%s/%s", p.Proto, joinIPPort(p.IP, p.Port), joinIPPort(p.HostIP, p.HostPort))
	if p.HostPortEnd != 0 && p.HostPortEnd != p.HostPort {
		s += fmt.Sprintf("-%d", p.HostPortEnd)
	}
	return s
}

func joinIPPort(ip net.IP, port uint16) string {
	h := ""
	if ip != nil {
		h = ip.String()
	}
	return net.JoinHostPort(h, strconv.Itoa(int(port)))
}

// FromString sets p from s, in the form String writes; a bad string is a
// BadRequestError naming it and leaves p unchanged.
func (p *PortBinding) FromString(s string) error {
	pb, err := ParsePortBinding(s)
	if err != nil {
		return err
	}
	*p = pb
	return nil
}

// ParsePortBinding parses the form written by PortBinding.String.
// The IPs may be empty ("tcp/:80/:8080-8090").
func ParsePortBinding(s string) (PortBinding, error) {
	parts := strings.SplitN(s, "/", 3)
	if len(parts) != 3 {
		return PortBinding{}, BadRequestErrorf("invalid port binding %q: want proto/ip:port/hostip:hostport", s)
	}
	var pb PortBinding
	var err error
	if pb.Proto, err = ParseProtocolStrict(parts[0]); err != nil {
		return PortBinding{}, BadRequestErrorf("invalid port binding %q: %w", s, err)
	}
	if pb.IP, pb.Port, _, err = splitIPPort(parts[1], false); err != nil {
		return PortBinding{}, BadRequestErrorf("invalid port binding %q: %w", s, err)
	}
	if pb.HostIP, pb.HostPort, pb.HostPortEnd, err = splitIPPort(parts[2], true); err != nil {
		return PortBinding{}, BadRequestErrorf("invalid port binding %q: %w", s, err)
	}
	return pb, nil
}

func splitIPPort(s string, allowRange bool) (net.IP, uint16, uint16, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return nil, 0, 0, err
	}
	var ip net.IP
	if host != "" {
		if ip, err = ParseIP(host); err != nil {
			return nil, 0, 0, err
		}
	}
	lo, hi := port, ""
	if allowRange {
		lo, hi, _ = strings.Cut(port, "-")
	}
	start, err := parsePort(lo)
	if err != nil {
		return nil, 0, 0, err
	}
	end := uint16(0)
	if hi != "" {
		if end, err = parsePort(hi); err != nil {
			return nil, 0, 0, err
		}
		if end < start {
			return nil, 0, 0, fmt.Errorf("port range %q ends before it starts", port)
		}
	}
	return ip, start, end, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return uint16(n), nil
}
