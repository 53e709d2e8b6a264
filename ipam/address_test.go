package ipam

import (
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/netlabel"
)

func TestFillSlash16(t *testing.T) {
	a := newAlloc(t)
	id := mustPool(t, a, "LocalDefault", "10.20.0.0/16", "", false)
	got := make([]net.IP, 0, 65534)
	for i := 1; i <= 65534; i++ {
		n := mustAddr(t, a, id, nil, nil)
		want := net.IPv4(10, 20, byte(i>>8), byte(i)).To4()
		if !n.IP.Equal(want) || n.Mask.String() != "ffff0000" {
			t.Fatalf("address %d = %v, want %v/16", i, n, want)
		}
		got = append(got, n.IP)
	}
	_, _, err := a.RequestAddress(id, nil, nil)
	expectErr(t, "full pool", err, ipamapi.ErrNoAvailableIPs, id)
	for _, ip := range got {
		if err := a.ReleaseAddress(id, ip); err != nil {
			t.Fatalf("ReleaseAddress(%v): %v", ip, err)
		}
	}
	if d := a.DumpDatabase(); !contains(d, "Unselected: 65534,") {
		t.Fatalf("pool not empty after releasing all:\n%s", d)
	}
	if n := mustAddr(t, a, id, nil, nil); n.IP.String() != "10.20.0.1" {
		t.Fatalf("first address after release = %v", n)
	}
}

func TestConcurrentRequests(t *testing.T) {
	a := newAlloc(t)
	id := mustPool(t, a, "LocalDefault", "10.30.0.0/16", "", false)
	const workers = 64
	results := make([][]net.IP, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			opts := map[string]string(nil)
			if w%2 == 1 {
				opts = serialOpt
			}
			for {
				n, _, err := a.RequestAddress(id, nil, opts)
				if err != nil {
					if !errors.Is(err, ipamapi.ErrNoAvailableIPs) {
						t.Errorf("RequestAddress: %v", err)
					}
					return
				}
				results[w] = append(results[w], n.IP)
			}
		})
	}
	wg.Wait()
	seen := make(map[string]bool, 65534)
	for _, r := range results {
		for _, ip := range r {
			if seen[ip.String()] {
				t.Fatalf("%v handed out twice", ip)
			}
			seen[ip.String()] = true
		}
	}
	if len(seen) != 65534 || seen["10.30.0.0"] || seen["10.30.255.255"] {
		t.Fatalf("handed out %d addresses (network %v, broadcast %v)", len(seen), seen["10.30.0.0"], seen["10.30.255.255"])
	}
}

func TestSerialAndGateway(t *testing.T) {
	a := newAlloc(t)
	id := mustPool(t, a, "LocalDefault", "10.9.0.0/24", "", false)
	gw := mustAddr(t, a, id, nil, map[string]string{ipamapi.RequestAddressType: netlabel.Gateway})
	if gw.String() != "10.9.0.1/24" {
		t.Fatalf("gateway = %v", gw)
	}
	for _, want := range []string{"10.9.0.2", "10.9.0.3", "10.9.0.4"} {
		if n := mustAddr(t, a, id, nil, serialOpt); n.IP.String() != want {
			t.Fatalf("serial = %v, want %s", n.IP, want)
		}
	}
	if err := a.ReleaseAddress(id, net.ParseIP("10.9.0.3")); err != nil {
		t.Fatal(err)
	}
	if n := mustAddr(t, a, id, nil, serialOpt); n.IP.String() != "10.9.0.5" {
		t.Fatalf("serial after release = %v, want 10.9.0.5", n.IP)
	}
	// Gateway requests take the lowest free address even with serial.
	gwSerial := map[string]string{ipamapi.RequestAddressType: netlabel.Gateway, ipamapi.AllocSerialPrefix: "true"}
	if n := mustAddr(t, a, id, nil, gwSerial); n.IP.String() != "10.9.0.3" {
		t.Fatalf("gateway with serial = %v, want 10.9.0.3", n.IP)
	}
	// A specific gateway address.
	if n := mustAddr(t, a, id, net.ParseIP("10.9.0.254"), map[string]string{ipamapi.RequestAddressType: netlabel.Gateway}); n.String() != "10.9.0.254/24" {
		t.Fatalf("specific gateway = %v", n)
	}
	// Serial wraps around after the last address.
	for range 248 {
		mustAddr(t, a, id, nil, serialOpt)
	}
	if err := a.ReleaseAddress(id, net.ParseIP("10.9.0.2")); err != nil {
		t.Fatal(err)
	}
	if n := mustAddr(t, a, id, nil, serialOpt); n.IP.String() != "10.9.0.2" {
		t.Fatalf("serial wrap = %v, want 10.9.0.2", n.IP)
	}
	if _, _, err := a.RequestAddress(id, nil, serialOpt); !errors.Is(err, ipamapi.ErrNoAvailableIPs) {
		t.Fatalf("full pool: %v", err)
	}
}

func TestSubPoolAddresses(t *testing.T) {
	a := newAlloc(t)
	id := mustPool(t, a, "LocalDefault", "10.1.0.0/16", "10.1.2.0/30", false)
	for _, want := range []string{"10.1.2.0", "10.1.2.1", "10.1.2.2", "10.1.2.3"} {
		if n := mustAddr(t, a, id, nil, nil); n.IP.String() != want || n.Mask.String() != "ffff0000" {
			t.Fatalf("sub-pool address = %v, want %s/16", n, want)
		}
	}
	_, _, err := a.RequestAddress(id, nil, nil)
	expectErr(t, "sub-pool full", err, ipamapi.ErrNoAvailableIPs)
	// A specific address may be anywhere in the pool.
	mustAddr(t, a, id, net.ParseIP("10.1.200.1"), nil)
}

func TestSmallPools(t *testing.T) {
	a := newAlloc(t)
	for _, c := range []struct {
		pool string
		want []string
	}{
		{"192.0.2.8/30", []string{"192.0.2.9", "192.0.2.10"}},
		{"192.0.2.16/31", []string{"192.0.2.16", "192.0.2.17"}},
		{"192.0.2.32/32", []string{"192.0.2.32"}},
		{"fd00::/126", []string{"fd00::1", "fd00::2", "fd00::3"}},
		{"fd00::10/127", []string{"fd00::10", "fd00::11"}},
		{"fd00::20/128", []string{"fd00::20"}},
	} {
		id := mustPool(t, a, "LocalDefault", c.pool, "", c.pool[0] == 'f')
		for _, w := range c.want {
			if n := mustAddr(t, a, id, nil, nil); n.IP.String() != w {
				t.Fatalf("%s: address %v, want %s", c.pool, n.IP, w)
			}
		}
		_, _, err := a.RequestAddress(id, nil, nil)
		expectErr(t, c.pool+" exhausted", err, ipamapi.ErrNoAvailableIPs, c.pool)
	}
}

func TestIPv6(t *testing.T) {
	a := newAlloc(t)
	id := mustPool(t, a, "LocalDefault", "fd00:1::/64", "", true)
	if n := mustAddr(t, a, id, nil, nil); n.String() != "fd00:1::1/64" {
		t.Fatalf("first IPv6 address = %v", n)
	}
	// Addresses past the first 2^32 live in other windows.
	far := net.ParseIP("fd00:1::ab:0:0:5")
	mustAddr(t, a, id, far, nil)
	_, _, err := a.RequestAddress(id, far, nil)
	expectErr(t, "far address twice", err, ipamapi.ErrIPAlreadyAllocated, "fd00:1::ab:0:0:5")
	if err := a.ReleaseAddress(id, far); err != nil {
		t.Fatal(err)
	}
	err = a.ReleaseAddress(id, far)
	expectErr(t, "far address double release", err, ipamapi.ErrIPNotAllocated, "fd00:1::ab:0:0:5")
	// A sub-pool far inside the pool.
	sid := mustPool(t, a, "LocalDefault", "fd00:1::/64", "fd00:1::7:0:0/96", true)
	for _, want := range []string{"fd00:1::7:0:0", "fd00:1::7:0:1"} {
		if n := mustAddr(t, a, sid, nil, serialOpt); n.IP.String() != want {
			t.Fatalf("sub-pool address = %v, want %s", n.IP, want)
		}
	}
	// An IPv4 address is never in an IPv6 pool, whatever its length.
	for _, ip := range []net.IP{net.ParseIP("10.0.0.1"), net.ParseIP("10.0.0.1").To4()} {
		_, _, err = a.RequestAddress(id, ip, nil)
		expectErr(t, "IPv4 in IPv6 pool", err, ipamapi.ErrIPOutOfRange, "10.0.0.1")
	}
	// A whole /0 works too.
	all := mustPool(t, a, "GlobalDefault", "::/0", "", true)
	if n := mustAddr(t, a, all, net.ParseIP("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), nil); n.String() != "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/0" {
		t.Fatalf("last address of ::/0 = %v", n)
	}
	if n := mustAddr(t, a, all, nil, nil); n.IP.String() != "::1" {
		t.Fatalf("first address of ::/0 = %v", n)
	}
}

func TestIPv4SixteenByteAddresses(t *testing.T) {
	a := newAlloc(t)
	id := mustPool(t, a, "LocalDefault", "10.5.0.0/24", "", false)
	ip := net.ParseIP("10.5.0.7") // 16-byte form
	if n := mustAddr(t, a, id, ip, nil); n.String() != "10.5.0.7/24" {
		t.Fatalf("got %v", n)
	}
	if err := a.ReleaseAddress(id, ip.To4()); err != nil {
		t.Fatal(err)
	}
}

func TestWholeIPv4Space(t *testing.T) {
	a := newAlloc(t)
	id := mustPool(t, a, "GlobalDefault", "0.0.0.0/0", "", false)
	if n := mustAddr(t, a, id, nil, nil); n.String() != "0.0.0.1/0" {
		t.Fatalf("first address = %v", n)
	}
	mustAddr(t, a, id, net.ParseIP("255.255.255.254"), nil)
	_, _, err := a.RequestAddress(id, net.ParseIP("255.255.255.255"), nil)
	expectErr(t, "broadcast of 0.0.0.0/0", err, ipamapi.ErrIPAlreadyAllocated, "255.255.255.255")
	_, _, _, err = a.RequestPool("GlobalDefault", "", "", nil, false)
	expectErr(t, "automatic pool beside 0.0.0.0/0", err, ipamapi.ErrNoAvailablePool)
}
