package osl

import (
	"net"
	"testing"

	"github.com/cnmkit/libnetwork/types"
	"golang.org/x/sys/unix"
)

func TestSysctlPath(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"},
		{"net/ipv4/conf/eth0.100/forwarding", "/proc/sys/net/ipv4/conf/eth0.100/forwarding"},
		{"net.ipv6.conf.all.disable_ipv6", "/proc/sys/net/ipv6/conf/all/disable_ipv6"},
		{"", ""}, {"net", ""}, {"kernel.hostname", ""}, {"net..x", ""}, {"net/../kernel", ""},
		{"/net/ipv4/ip_forward", ""}, {"net.ipv4.", ""}, {"net/ipv4//x", ""},
	} {
		got, err := sysctlPath(tc.name)
		if tc.want == "" {
			if !types.IsBadRequest(err) {
				t.Errorf("sysctlPath(%q) = %q, %v; want a bad request", tc.name, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("sysctlPath(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestKernelErrClasses(t *testing.T) {
	for _, tc := range []struct {
		errno unix.Errno
		check func(error) bool
	}{
		{unix.EEXIST, types.IsConflict}, {unix.ENODEV, types.IsNotFound}, {unix.EINVAL, types.IsBadRequest},
		{unix.ENETUNREACH, types.IsBadRequest}, {unix.EPERM, types.IsForbidden}, {unix.ENOMEM, types.IsInternal},
	} {
		if err := kernelErr(tc.errno, "op on %q", "x"); !tc.check(err) {
			t.Errorf("%v classed as %T", tc.errno, err)
		}
	}
}

func TestValidateIfaceNormalises(t *testing.T) {
	a := &net.IPNet{IP: net.ParseIP("10.0.0.1"), Mask: net.CIDRMask(120, 128)}
	c := &nwIface{addr: a}
	if err := validateIface("veth0", "eth", c); err != nil {
		t.Fatal(err)
	}
	if n := normV4(a); n.String() != "10.0.0.1/24" {
		t.Fatalf("normV4 = %s", n)
	}
}
