package driverapi

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func cidr(t *testing.T, s string) *net.IPNet {
	t.Helper()
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	n.IP = ip
	return n
}

func sameNet(a, b *net.IPNet) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.IP.Equal(b.IP) && a.String() == b.String()
}

func TestIPAMDataJSONRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   IPAMData
	}{
		{name: "empty", in: IPAMData{}},
		{name: "v4 pool only", in: IPAMData{AddressSpace: "local", Pool: cidr(t, "10.10.10.0/24")}},
		{name: "v4 gateway with host bits", in: IPAMData{AddressSpace: "local",
			Pool: cidr(t, "10.10.10.0/24"), Gateway: cidr(t, "10.10.10.8/24")}},
		{name: "v4 pool with host bits", in: IPAMData{Pool: cidr(t, "10.10.10.5/24")}},
		{name: "v4 aux addresses", in: IPAMData{AddressSpace: "global",
			Pool: cidr(t, "172.20.0.0/16"), Gateway: cidr(t, "172.20.0.1/16"),
			AuxAddresses: map[string]*net.IPNet{"h1": cidr(t, "172.20.3.4/16"), "h2": cidr(t, "172.20.255.254/16")}}},
		{name: "v6 gateway with host bits", in: IPAMData{AddressSpace: "local",
			Pool: cidr(t, "fd00:1::/64"), Gateway: cidr(t, "fd00:1::8/64")}},
		{name: "v6 aux addresses", in: IPAMData{Pool: cidr(t, "2001:db8::/48"),
			AuxAddresses: map[string]*net.IPNet{"r": cidr(t, "2001:db8::abcd/48")}}},
		{name: "v4 from 16-byte IP", in: IPAMData{Pool: &net.IPNet{IP: net.ParseIP("10.0.0.0"), Mask: net.CIDRMask(8, 32)},
			Gateway: &net.IPNet{IP: net.ParseIP("10.0.0.9"), Mask: net.CIDRMask(8, 32)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(&tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var out IPAMData
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("unmarshal %s: %v", b, err)
			}
			if out.AddressSpace != tc.in.AddressSpace {
				t.Errorf("AddressSpace = %q, want %q", out.AddressSpace, tc.in.AddressSpace)
			}
			if !sameNet(out.Pool, tc.in.Pool) {
				t.Errorf("Pool = %v, want %v", out.Pool, tc.in.Pool)
			}
			if !sameNet(out.Gateway, tc.in.Gateway) {
				t.Errorf("Gateway = %v, want %v", out.Gateway, tc.in.Gateway)
			}
			if len(out.AuxAddresses) != len(tc.in.AuxAddresses) {
				t.Fatalf("AuxAddresses = %v, want %v", out.AuxAddresses, tc.in.AuxAddresses)
			}
			if tc.in.AuxAddresses == nil && out.AuxAddresses != nil {
				t.Errorf("AuxAddresses = %v, want nil", out.AuxAddresses)
			}
			for k, v := range tc.in.AuxAddresses {
				if !sameNet(out.AuxAddresses[k], v) {
					t.Errorf("AuxAddresses[%s] = %v, want %v", k, out.AuxAddresses[k], v)
				}
			}
			if out.IsV6() != tc.in.IsV6() {
				t.Errorf("IsV6 = %v, want %v", out.IsV6(), tc.in.IsV6())
			}
			// A second trip gives the same bytes.
			b2, err := json.Marshal(&out)
			if err != nil || string(b2) != string(b) {
				t.Errorf("second trip = %s, %v; want %s", b2, err, b)
			}
		})
	}
}

func TestIPAMDataUnmarshalBadInput(t *testing.T) {
	for _, in := range []string{
		`{"Pool":"10.0.0.0/33"}`,
		`{"Pool":"10.0.0.0/8","Gateway":"nope"}`,
		`{"Pool":"10.0.0.0/8","AuxAddresses":{"a":"10.1/8"}}`,
		`{"Pool":5}`,
	} {
		var d IPAMData
		err := json.Unmarshal([]byte(in), &d)
		if !types.IsBadRequest(err) {
			t.Errorf("Unmarshal(%s) = %v, want a BadRequest", in, err)
		}
		if d.Pool != nil || d.Gateway != nil {
			t.Errorf("Unmarshal(%s) left a half-decoded value %+v", in, d)
		}
	}
}

func TestIPAMDataString(t *testing.T) {
	d := IPAMData{AddressSpace: "local", Pool: cidr(t, "10.10.10.0/24"), Gateway: cidr(t, "10.10.10.8/24"),
		AuxAddresses: map[string]*net.IPNet{"x": cidr(t, "10.10.10.9/24")}}
	s := d.String()
	for _, want := range []string{"local", "10.10.10.0/24", "10.10.10.8/24", "x:10.10.10.9/24"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() = %q, missing %q", s, want)
		}
	}
}
