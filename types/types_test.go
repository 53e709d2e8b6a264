package types

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestErrorClasses(t *testing.T) {
	cause := errors.New("root cause")
	cases := []struct {
		name string
		err  error
		is   func(error) bool
	}{
		{"bad request", BadRequestErrorf("bad %q: %w", "x", cause), IsBadRequest},
		{"not found", NotFoundErrorf("gone: %w", cause), IsNotFound},
		{"forbidden", ForbiddenErrorf("no: %w", cause), IsForbidden},
		{"conflict", ConflictErrorf("taken: %w", cause), IsConflict},
		{"no service", NoServiceErrorf("down: %w", cause), IsNoService},
		{"not implemented", NotImplementedErrorf("later: %w", cause), IsNotImplemented},
		{"timeout", TimeoutErrorf("slow: %w", cause), IsTimeout},
		{"internal", InternalErrorf("oops: %w", cause), IsInternal},
		{"retry", RetryErrorf("again: %w", cause), IsRetry},
	}
	all := []func(error) bool{IsBadRequest, IsNotFound, IsForbidden, IsConflict, IsNoService, IsNotImplemented, IsTimeout, IsInternal, IsRetry}
	for i, c := range cases {
		if !errors.Is(c.err, cause) {
			t.Errorf("%s: cause lost", c.name)
		}
		wrapped := fmt.Errorf("outer: %w", c.err)
		if !c.is(wrapped) {
			t.Errorf("%s: class not found through a wrapper", c.name)
		}
		for j, other := range all {
			if j != i && other(c.err) {
				t.Errorf("%s: also matches class %d", c.name, j)
			}
		}
	}
	var br BadRequestError
	if !errors.As(cases[0].err, &br) || !strings.Contains(br.Error(), `"x"`) {
		t.Fatalf("errors.As BadRequestError: %v", br)
	}
	if IsNotFound(nil) || IsNotFound(cause) {
		t.Fatal("plain errors must not match a class")
	}
}

func TestParseCIDRAndIP(t *testing.T) {
	n, err := ParseCIDR("10.1.2.3/16")
	if err != nil || n.String() != "10.1.2.3/16" || len(n.IP) != 4 {
		t.Fatalf("ParseCIDR = %v, %v", n, err)
	}
	if GetIPNetCanonical(n).String() != "10.1.0.0/16" {
		t.Fatalf("canonical = %s", GetIPNetCanonical(n))
	}
	for _, bad := range []string{"", "10.0.0.0", "10.0.0.0/33", "fd00::/129", "x/8"} {
		if _, err := ParseCIDR(bad); !IsBadRequest(err) || !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("ParseCIDR(%q) = %v", bad, err)
		}
	}
	if _, err := ParseIP("1.2.3"); !IsBadRequest(err) {
		t.Fatal("ParseIP accepted 1.2.3")
	}
	a, _ := ParseCIDR("10.0.0.1/24")
	b := GetIPNetCopy(a)
	if !CompareIPNet(a, b) {
		t.Fatal("copy differs")
	}
	b.IP[3] = 9
	if CompareIPNet(a, b) || a.IP[3] != 1 {
		t.Fatal("copy shares memory")
	}
	h, _ := GetHostPartIP(net.ParseIP("10.0.3.4"), net.CIDRMask(16, 32))
	bc, _ := GetBroadcastIP(net.ParseIP("10.0.3.4"), net.CIDRMask(16, 32))
	if h.String() != "0.0.3.4" || bc.String() != "10.0.255.255" {
		t.Fatalf("host %s broadcast %s", h, bc)
	}
	if _, err := GetHostPartIP(net.ParseIP("fd00::1"), net.CIDRMask(8, 32)); !IsBadRequest(err) {
		t.Fatal("v6 ip with v4 mask accepted")
	}
	if _, err := GetBroadcastIP(net.ParseIP("fd00::1"), net.CIDRMask(8, 32)); !IsBadRequest(err) {
		t.Fatal("broadcast: v6 ip with v4 mask accepted")
	}
}

func TestPortBindingRoundTrip(t *testing.T) {
	cases := []struct {
		pb   PortBinding
		want string
	}{
		{PortBinding{Proto: TCP, IP: net.ParseIP("172.17.0.2").To4(), Port: 80, HostIP: net.IPv4zero.To4(), HostPort: 8080}, "tcp/172.17.0.2:80/0.0.0.0:8080"},
		{PortBinding{Proto: UDP, Port: 53, HostPort: 5300, HostPortEnd: 5310}, "udp/:53/:5300-5310"},
		{PortBinding{Proto: TCP, IP: net.ParseIP("fd00::2"), Port: 443, HostIP: net.ParseIP("::1"), HostPort: 8443}, "tcp/[fd00::2]:443/[::1]:8443"},
	}
	for _, c := range cases {
		if got := c.pb.String(); got != c.want {
			t.Errorf("String = %q, want %q", got, c.want)
		}
		back, err := ParsePortBinding(c.want)
		if err != nil {
			t.Fatalf("ParsePortBinding(%q): %v", c.want, err)
		}
		if !back.Equal(&c.pb) {
			t.Errorf("round trip of %q gave %+v", c.want, back)
		}
	}
	for _, bad := range []string{"tcp/1.2.3.4:80", "foo/:80/:80", "tcp/:70000/:80", "tcp/:80/:90-80", "tcp/x:80/:80"} {
		if _, err := ParsePortBinding(bad); !IsBadRequest(err) || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParsePortBinding(%q) = %v", bad, err)
		}
	}
	tp, err := ParseTransportPort("udp/53")
	if err != nil || tp.String() != "udp/53" {
		t.Fatalf("ParseTransportPort = %v, %v", tp, err)
	}
	if _, err := ParseProtocolStrict("gre"); !IsBadRequest(err) || !strings.Contains(err.Error(), "gre") {
		t.Fatalf("unknown protocol: %v", err)
	}
}
