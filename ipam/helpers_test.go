package ipam

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/ipamapi"
)

func newAlloc(t testing.TB) *Allocator {
	t.Helper()
	a, err := NewAllocator(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustPool(t testing.TB, a *Allocator, space, pool, sub string, v6 bool) string {
	t.Helper()
	id, _, _, err := a.RequestPool(space, pool, sub, nil, v6)
	if err != nil {
		t.Fatalf("RequestPool(%s, %q, %q): %v", space, pool, sub, err)
	}
	return id
}

func mustAddr(t testing.TB, a *Allocator, id string, ip net.IP, opts map[string]string) *net.IPNet {
	t.Helper()
	n, _, err := a.RequestAddress(id, ip, opts)
	if err != nil {
		t.Fatalf("RequestAddress(%s, %v, %v): %v", id, ip, opts, err)
	}
	return n
}

// expectErr fails t unless err wraps want and its message holds every
// string of names.
func expectErr(t testing.TB, what string, err, want error, names ...string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
	for _, n := range names {
		if !strings.Contains(err.Error(), n) {
			t.Fatalf("%s: error %q does not name %q", what, err, n)
		}
	}
}

var serialOpt = map[string]string{ipamapi.AllocSerialPrefix: "true"}

// fakeCallback records registrations.
type fakeCallback struct {
	name string
	drv  ipamapi.Ipam
	cap  *ipamapi.Capability
}

func (f *fakeCallback) RegisterIpamDriver(name string, d ipamapi.Ipam) error {
	return f.RegisterIpamDriverWithCapabilities(name, d, &ipamapi.Capability{})
}

func (f *fakeCallback) RegisterIpamDriverWithCapabilities(name string, d ipamapi.Ipam, c *ipamapi.Capability) error {
	f.name, f.drv, f.cap = name, d, c
	return nil
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
