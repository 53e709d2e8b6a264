package portallocator

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func newPA(t *testing.T, begin, end int) *PortAllocator {
	t.Helper()
	pa, err := NewWithRange(begin, end)
	if err != nil {
		t.Fatal(err)
	}
	return pa
}

var (
	any4  = net.IPv4zero
	ipA   = net.ParseIP("192.168.1.10")
	ipB   = net.ParseIP("192.168.1.11")
	any6  = net.IPv6unspecified
	ip6A  = net.ParseIP("fd00::1")
	noIP  net.IP
	tcp   = "tcp"
	udp   = "udp"
	sctp  = "sctp"
	ports = []string{tcp, udp, sctp}
)

func TestWildcardAndSpecificIPs(t *testing.T) {
	type req struct {
		ip    net.IP
		proto string
		port  int
		ok    bool
	}
	tests := []struct {
		name string
		reqs []req
	}{
		{"wildcard blocks specific", []req{{any4, tcp, 80, true}, {ipA, tcp, 80, false}, {noIP, tcp, 80, false}}},
		{"specific blocks wildcard", []req{{ipA, tcp, 80, true}, {any4, tcp, 80, false}, {noIP, tcp, 80, false}, {ipB, tcp, 80, true}}},
		{"same ip twice", []req{{ipA, tcp, 80, true}, {ipA, tcp, 80, false}}},
		{"protocols independent", []req{{any4, tcp, 80, true}, {any4, udp, 80, true}, {any4, sctp, 80, true}}},
		{"families independent", []req{{any4, tcp, 80, true}, {any6, tcp, 80, true}, {ip6A, tcp, 80, false}, {ipA, tcp, 80, false}}},
		{"v4-mapped is v4", []req{{ipA.To16(), tcp, 80, true}, {ipA.To4(), tcp, 80, false}}},
		{"nil is wildcard", []req{{noIP, udp, 53, true}, {any4, udp, 53, false}, {ipB, udp, 53, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pa := newPA(t, 40000, 40010)
			for i, r := range tc.reqs {
				got, err := pa.RequestPort(r.ip, r.proto, r.port)
				if r.ok {
					if err != nil || got != r.port {
						t.Fatalf("req %d (%v %s %d): got %d, %v", i, r.ip, r.proto, r.port, got, err)
					}
					continue
				}
				if !errors.Is(err, ErrAlreadyAllocated) || !types.IsConflict(err) {
					t.Fatalf("req %d (%v %s %d): got %v, want a conflict", i, r.ip, r.proto, r.port, err)
				}
				var ae *AlreadyAllocatedError
				if !errors.As(err, &ae) || ae.Port != r.port || ae.Proto != r.proto {
					t.Fatalf("req %d: error %v does not name the port", i, err)
				}
				if !strings.Contains(err.Error(), ":80/") && !strings.Contains(err.Error(), ":53/") {
					t.Fatalf("req %d: message %q lacks ip:port/proto", i, err)
				}
			}
		})
	}
}

func TestReleaseFreesForOthers(t *testing.T) {
	pa := newPA(t, 40000, 40010)
	if _, err := pa.RequestPort(ipA, tcp, 8080); err != nil {
		t.Fatal(err)
	}
	if _, err := pa.RequestPort(ipB, tcp, 8080); err != nil {
		t.Fatal(err)
	}
	if err := pa.ReleasePort(ipA, tcp, 8080); err != nil {
		t.Fatal(err)
	}
	if _, err := pa.RequestPort(any4, tcp, 8080); err == nil {
		t.Fatal("wildcard allocated while ipB still holds the port")
	}
	if err := pa.ReleasePort(ipB, tcp, 8080); err != nil {
		t.Fatal(err)
	}
	if err := pa.ReleasePort(ipB, tcp, 8080); err != nil {
		t.Fatalf("second release: %v", err)
	}
	if _, err := pa.RequestPort(any4, tcp, 8080); err != nil {
		t.Fatalf("wildcard after release: %v", err)
	}
	if err := pa.ReleaseAll(); err != nil {
		t.Fatal(err)
	}
	if _, err := pa.RequestPort(ipA, tcp, 8080); err != nil {
		t.Fatalf("after ReleaseAll: %v", err)
	}
}

func TestDynamicAndRanges(t *testing.T) {
	pa := newPA(t, 40000, 40004)
	seen := map[int]bool{}
	for i := 0; i < 5; i++ {
		p, err := pa.RequestPort(noIP, tcp, 0)
		if err != nil {
			t.Fatal(err)
		}
		if p < 40000 || p > 40004 || seen[p] {
			t.Fatalf("dynamic port %d out of range or repeated", p)
		}
		seen[p] = true
	}
	_, err := pa.RequestPort(noIP, tcp, 0)
	if !errors.Is(err, ErrAllPortsAllocated) || !types.IsForbidden(err) {
		t.Fatalf("exhausted: got %v", err)
	}
	// A released port is found again, and another family is unaffected.
	if err := pa.ReleasePort(noIP, tcp, 40002); err != nil {
		t.Fatal(err)
	}
	if p, err := pa.RequestPort(ipA, tcp, 0); err != nil || p != 40002 {
		t.Fatalf("after release got %d, %v; want 40002", p, err)
	}
	if p, err := pa.RequestPort(any6, tcp, 0); err != nil || p < 40000 || p > 40004 {
		t.Fatalf("v6 dynamic: %d, %v", p, err)
	}

	// Explicit ranges pick the first free port and fail when all are held.
	pb := newPA(t, 40000, 40004)
	if _, err := pb.RequestPort(any4, udp, 9000); err != nil {
		t.Fatal(err)
	}
	if p, err := pb.RequestPortInRange(ipA, udp, 9000, 9002); err != nil || p != 9001 {
		t.Fatalf("range: %d, %v; want 9001", p, err)
	}
	if p, err := pb.RequestPortInRange(ipA, udp, 9000, 9002); err != nil || p != 9002 {
		t.Fatalf("range: %d, %v; want 9002", p, err)
	}
	if _, err := pb.RequestPortInRange(ipA, udp, 9000, 9002); !errors.Is(err, ErrAllPortsAllocated) {
		t.Fatalf("full range: %v", err)
	}
	if p, err := pb.RequestPortInRange(ipB, udp, 0, 0); err != nil || p < 40000 || p > 40004 {
		t.Fatalf("0-0 must use the dynamic range: %d, %v", p, err)
	}
}

func TestDynamicDoesNotReuseAtOnce(t *testing.T) {
	pa := newPA(t, 40000, 40100)
	p1, _ := pa.RequestPort(noIP, tcp, 0)
	if err := pa.ReleasePort(noIP, tcp, p1); err != nil {
		t.Fatal(err)
	}
	p2, _ := pa.RequestPort(noIP, tcp, 0)
	if p2 == p1 {
		t.Fatalf("released port %d handed out again at once", p1)
	}
}

func TestBadInput(t *testing.T) {
	pa := newPA(t, 40000, 40010)
	tests := []struct {
		name string
		err  error
		is   error
	}{
		{"unknown proto", func() error { _, err := pa.RequestPort(ipA, "icmp", 80); return err }(), ErrUnknownProtocol},
		{"port too big", func() error { _, err := pa.RequestPort(ipA, tcp, 65536); return err }(), ErrPortOutOfRange},
		{"negative", func() error { _, err := pa.RequestPort(ipA, tcp, -1); return err }(), ErrPortOutOfRange},
		{"reversed range", func() error { _, err := pa.RequestPortInRange(ipA, tcp, 90, 80); return err }(), ErrPortOutOfRange},
		{"half range", func() error { _, err := pa.RequestPortInRange(ipA, tcp, 0, 80); return err }(), ErrPortOutOfRange},
		{"release proto", pa.ReleasePort(ipA, "gre", 80), ErrUnknownProtocol},
		{"release port", pa.ReleasePort(ipA, tcp, 0), ErrPortOutOfRange},
		{"bad range", func() error { _, err := NewWithRange(100, 50); return err }(), ErrPortOutOfRange},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.is) || !types.IsBadRequest(tc.err) {
			t.Errorf("%s: got %v, want BadRequest %v", tc.name, tc.err, tc.is)
		}
	}
	if _, err := pa.RequestPort(ipA, "gre", 80); !strings.Contains(err.Error(), `"gre"`) {
		t.Errorf("error %q does not name the protocol", err)
	}
	// Nothing was held by the failed requests.
	if p, err := pa.RequestPortInRange(ipA, tcp, 80, 90); err != nil || p != 80 {
		t.Fatalf("state changed by bad input: %d, %v", p, err)
	}
}

func TestEphemeralRange(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "range")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if b, e, err := ReadEphemeralRange(write("32768\t60999\n")); err != nil || b != 32768 || e != 60999 {
		t.Fatalf("got %d-%d, %v", b, e, err)
	}
	for _, bad := range []string{"", "1", "a b", "70000 80000", "500 100"} {
		if _, _, err := ReadEphemeralRange(write(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, _, err := ReadEphemeralRange(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing file accepted")
	}
	b, e := New().DynamicRange()
	if wb, we, err := ReadEphemeralRange(EphemeralRangeFile); err == nil {
		if b != wb || e != we {
			t.Fatalf("New uses %d-%d, kernel says %d-%d", b, e, wb, we)
		}
	} else if b != DefaultPortRangeStart || e != DefaultPortRangeEnd {
		t.Fatalf("fallback range %d-%d", b, e)
	}
	if a, b := Get(), Get(); a != b || a == nil {
		t.Fatal("Get returns different allocators")
	}
}

func TestConcurrentRequests(t *testing.T) {
	pa := newPA(t, 30000, 30999)
	const workers, each = 8, 100
	var mu sync.Mutex
	got := map[string]map[int]bool{}
	var wg sync.WaitGroup
	errc := make(chan error, workers*len(ports))
	for w := 0; w < workers; w++ {
		for _, proto := range ports {
			wg.Add(1)
			go func(proto string, w int) {
				defer wg.Done()
				ip := any4
				if w%2 == 1 {
					ip = net.IPv4(10, 0, 0, byte(w))
				}
				var mine []int
				for i := 0; i < each; i++ {
					p, err := pa.RequestPort(ip, proto, 0)
					if err != nil {
						errc <- err
						return
					}
					mine = append(mine, p)
				}
				mu.Lock()
				defer mu.Unlock()
				if got[proto] == nil {
					got[proto] = map[int]bool{}
				}
				for _, p := range mine {
					if got[proto][p] {
						errc <- errors.New("port handed out twice")
						return
					}
					got[proto][p] = true
				}
			}(proto, w)
		}
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	for _, proto := range ports {
		if len(got[proto]) != workers*each {
			t.Fatalf("%s: %d distinct ports, want %d", proto, len(got[proto]), workers*each)
		}
	}
	// Concurrent releases free everything.
	for proto, m := range got {
		for p := range m {
			wg.Add(1)
			go func(proto string, p int) {
				defer wg.Done()
				_ = pa.ReleasePort(any4, proto, p)
				for w := 1; w < workers; w += 2 {
					_ = pa.ReleasePort(net.IPv4(10, 0, 0, byte(w)), proto, p)
				}
			}(proto, p)
		}
	}
	wg.Wait()
	if _, err := pa.RequestPortInRange(any4, tcp, 30000, 30000); err != nil {
		t.Fatalf("after releases: %v", err)
	}
}
