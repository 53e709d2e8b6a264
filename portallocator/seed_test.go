package portallocator

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func TestErrPortAlreadyAllocatedSeedForm(t *testing.T) {
	tests := []struct {
		name       string
		ip         net.IP
		proto      string
		port       int
		wantIP     string
		wantIPPort string
	}{
		{"v4 wildcard", nil, "tcp", 8080, "0.0.0.0", "0.0.0.0:8080"},
		{"v4 address", net.ParseIP("192.168.1.10"), "udp", 53, "192.168.1.10", "192.168.1.10:53"},
		{"v6 address", net.ParseIP("fd00::1"), "sctp", 9000, "fd00::1", "[fd00::1]:9000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pa := newPA(t, 40000, 40010)
			if _, err := pa.RequestPort(tc.ip, tc.proto, tc.port); err != nil {
				t.Fatal(err)
			}
			_, err := pa.RequestPort(tc.ip, tc.proto, tc.port)
			e, ok := err.(ErrPortAlreadyAllocated)
			if !ok {
				t.Fatalf("got %T %v, want ErrPortAlreadyAllocated", err, err)
			}
			if e.IP() != tc.wantIP || e.Port() != tc.port || e.IPPort() != tc.wantIPPort || e.Proto() != tc.proto {
				t.Fatalf("IP %q Port %d IPPort %q Proto %q", e.IP(), e.Port(), e.IPPort(), e.Proto())
			}
			if !strings.Contains(e.Error(), tc.wantIPPort) || !strings.Contains(e.Error(), "already allocated") {
				t.Fatalf("message %q", e.Error())
			}
			if !types.IsConflict(err) || !errors.Is(err, ErrAlreadyAllocated) {
				t.Fatalf("%v: not a conflict matching ErrAlreadyAllocated", err)
			}
			var as ErrPortAlreadyAllocated
			if !errors.As(err, &as) || as != e {
				t.Fatal("errors.As to the seed type failed")
			}
			var old *AlreadyAllocatedError
			if !errors.As(err, &old) || old.Port != tc.port || old.Proto != tc.proto || old.IP.String() != tc.wantIP {
				t.Fatalf("errors.As to AlreadyAllocatedError: %+v", old)
			}
		})
	}
}

func TestBeginEndBoundDynamicPorts(t *testing.T) {
	pa := newPA(t, 40000, 40010)
	if pa.Begin != 40000 || pa.End != 40010 {
		t.Fatalf("Begin/End %d-%d", pa.Begin, pa.End)
	}
	pa.Begin, pa.End = 41000, 41001
	for _, want := range []int{41000, 41001} {
		if got, err := pa.RequestPort(nil, "tcp", 0); err != nil || got != want {
			t.Fatalf("got %d, %v; want %d", got, err, want)
		}
	}
	if _, err := pa.RequestPort(nil, "tcp", 0); !errors.Is(err, ErrAllPortsAllocated) || !types.IsForbidden(err) {
		t.Fatalf("range exhausted: %v", err)
	}
	pa.Begin, pa.End = 500, 100
	if _, err := pa.RequestPort(nil, "udp", 0); !types.IsBadRequest(err) {
		t.Fatalf("inverted range: %v", err)
	}
	if b, e := pa.DynamicRange(); b != 500 || e != 100 {
		t.Fatalf("DynamicRange %d-%d", b, e)
	}
}

func TestReleaseAllFreesEveryPort(t *testing.T) {
	pa := newPA(t, 40000, 40001)
	for _, r := range []struct {
		ip    net.IP
		proto string
	}{{nil, "tcp"}, {net.ParseIP("fd00::1"), "udp"}} {
		for i := 0; i < 2; i++ {
			if _, err := pa.RequestPort(r.ip, r.proto, 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := pa.ReleaseAll(); err != nil {
		t.Fatal(err)
	}
	for _, port := range []int{40000, 40001} {
		if _, err := pa.RequestPort(nil, "tcp", port); err != nil {
			t.Fatalf("port %d after ReleaseAll: %v", port, err)
		}
		if _, err := pa.RequestPort(net.ParseIP("fd00::1"), "udp", port); err != nil {
			t.Fatalf("v6 port %d after ReleaseAll: %v", port, err)
		}
	}
}
