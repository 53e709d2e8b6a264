package types

import (
	"errors"
	"net"
	"strings"
	"testing"
)

func TestParseProtocol(t *testing.T) {
	for in, want := range map[string]Protocol{
		"tcp": TCP, "TCP": TCP, "udp": UDP, "Udp": UDP, "icmp": ICMP, "sctp": SCTP,
		"": 0, "gre": 0, "6": 0,
	} {
		if got := ParseProtocol(in); got != want {
			t.Errorf("ParseProtocol(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestTransportPortFromString(t *testing.T) {
	for _, want := range []TransportPort{{TCP, 8080}, {UDP, 53}, {SCTP, 0}, {TCP, 65535}} {
		var got TransportPort
		if err := got.FromString(want.String()); err != nil || !got.Equal(&want) {
			t.Errorf("FromString(%q) = %v, %v", want.String(), got, err)
		}
	}
	var docker TransportPort
	if err := docker.FromString("8080/tcp"); err != nil || docker != (TransportPort{TCP, 8080}) {
		t.Errorf(`FromString("8080/tcp") = %v, %v`, docker, err)
	}
	for _, bad := range []string{"", "tcp", "tcp/", "tcp/x", "gre/80", "tcp/65536", "tcp/80/1"} {
		tp := TransportPort{UDP, 7}
		err := tp.FromString(bad)
		if !IsBadRequest(err) || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("FromString(%q) = %v", bad, err)
		}
		if tp != (TransportPort{UDP, 7}) {
			t.Errorf("FromString(%q) changed the port to %v", bad, tp)
		}
	}
}

func TestPortBindingFromString(t *testing.T) {
	for _, want := range []PortBinding{
		{Proto: TCP, IP: net.ParseIP("172.17.0.2").To4(), Port: 80, HostIP: net.IPv4zero.To4(), HostPort: 8080},
		{Proto: UDP, Port: 53, HostPort: 5300, HostPortEnd: 5310},
		{Proto: TCP, IP: net.ParseIP("fd00::2"), Port: 443, HostIP: net.ParseIP("::1"), HostPort: 8443},
	} {
		var got PortBinding
		if err := got.FromString(want.String()); err != nil || !got.Equal(&want) {
			t.Errorf("FromString(%q) = %+v, %v", want.String(), got, err)
		}
	}
	for _, bad := range []string{"", "tcp/:80", "gre/:80/:80", "tcp/:80/:x"} {
		pb := PortBinding{Proto: UDP, Port: 1}
		err := pb.FromString(bad)
		if !IsBadRequest(err) || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("FromString(%q) = %v", bad, err)
		}
		if pb.Proto != UDP || pb.Port != 1 {
			t.Errorf("FromString(%q) changed the binding to %+v", bad, pb)
		}
	}
}

func TestInvalidProtocolBinding(t *testing.T) {
	pb := PortBinding{Proto: ICMP, Port: 1, HostPort: 1}
	for name, f := range map[string]func() (net.Addr, error){"container": pb.ContainerAddr, "host": pb.HostAddr} {
		_, err := f()
		var ipb ErrInvalidProtocolBinding
		if !errors.As(err, &ipb) || string(ipb) != "icmp" || !IsBadRequest(err) || !strings.Contains(err.Error(), "icmp") {
			t.Errorf("%s address of an ICMP binding: %v", name, err)
		}
	}
	a, err := (PortBinding{Proto: UDP, HostIP: net.IPv4(1, 2, 3, 4), HostPort: 53}).HostAddr()
	if err != nil || a.String() != "1.2.3.4:53" || a.Network() != "udp" {
		t.Errorf("UDP host address = %v, %v", a, err)
	}
}

func TestInternalMaskableError(t *testing.T) {
	cause := errors.New("netlink: EPERM")
	err := InternalMaskableErrorf("setting up %s: %w", "br0", cause)
	if !IsMaskable(err) || !IsInternal(err) || !errors.Is(err, cause) || err.Error() != "setting up br0: netlink: EPERM" {
		t.Fatalf("maskable error: %v (maskable %v, internal %v)", err, IsMaskable(err), IsInternal(err))
	}
	if IsBadRequest(err) || IsMaskable(InternalErrorf("plain")) {
		t.Fatal("maskable class leaks to other errors")
	}
}

func TestIsIPNetValid(t *testing.T) {
	cidr := func(s string) *net.IPNet { _, n, _ := net.ParseCIDR(s); return n }
	cases := []struct {
		nw   *net.IPNet
		want bool
	}{
		{cidr("10.0.0.0/8"), true},
		{cidr("192.168.1.0/32"), true},
		{cidr("fd00::/64"), true},
		{cidr("::/0"), true},
		{cidr("0.0.0.0/0"), false},
		{&net.IPNet{IP: net.IPv4zero, Mask: net.CIDRMask(96, 128)}, false},
		{&net.IPNet{IP: net.IPv4(10, 0, 0, 0), Mask: net.CIDRMask(104, 128)}, true},
		{&net.IPNet{IP: net.ParseIP("10.0.0.0"), Mask: net.IPMask{255, 0, 255, 0}}, false},
		{&net.IPNet{IP: net.ParseIP("fd00::"), Mask: net.CIDRMask(8, 32)}, false},
		{&net.IPNet{Mask: net.CIDRMask(8, 32)}, false},
		{nil, false},
	}
	for _, c := range cases {
		if got := IsIPNetValid(c.nw); got != c.want {
			t.Errorf("IsIPNetValid(%v) = %v, want %v", c.nw, got, c.want)
		}
	}
}

func TestAddressFamilies(t *testing.T) {
	// Callers written for libnetwork pass the numbers 0, 1, 2.
	if IP != 0 || IPv4 != 1 || IPv6 != 2 {
		t.Fatalf("families are %d %d %d, want 0 1 2", IP, IPv4, IPv6)
	}
}
