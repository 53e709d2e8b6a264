package ipam

import (
	"encoding/json"
	"net"
	"reflect"
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

func TestSubnetKeyString(t *testing.T) {
	tests := []struct {
		in   string
		want SubnetKey
		bad  bool
	}{
		{in: "LocalDefault/172.17.0.0/16", want: SubnetKey{AddressSpace: "LocalDefault", Subnet: "172.17.0.0/16"}},
		{in: "GlobalDefault/10.0.0.0/8/10.1.0.0/16", want: SubnetKey{AddressSpace: "GlobalDefault", Subnet: "10.0.0.0/8", ChildSubnet: "10.1.0.0/16"}},
		{in: "LocalDefault/fd00::/64", want: SubnetKey{AddressSpace: "LocalDefault", Subnet: "fd00::/64"}},
		{in: "", bad: true},
		{in: "LocalDefault", bad: true},
		{in: "LocalDefault/172.17.0.0", bad: true},
		{in: "/172.17.0.0/16", bad: true},
		{in: "LocalDefault/172.17.0.0/16/10.0.0.0", bad: true},
		{in: "LocalDefault/notanip/16", bad: true},
		{in: "A/1.2.3.0/24/1.2.3.0/25/x", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			k := SubnetKey{AddressSpace: "keep"}
			err := k.FromString(tc.in)
			if tc.bad {
				if !types.IsBadRequest(err) {
					t.Fatalf("FromString(%q) = %v, want a BadRequestError", tc.in, err)
				}
				expectErr(t, "FromString", err, err, tc.in)
				if k != (SubnetKey{AddressSpace: "keep"}) {
					t.Fatalf("failed FromString changed the key to %+v", k)
				}
				return
			}
			if err != nil || k != tc.want {
				t.Fatalf("FromString(%q) = %+v, %v; want %+v", tc.in, k, err, tc.want)
			}
			if got := k.String(); got != tc.in {
				t.Fatalf("String() = %q, want %q", got, tc.in)
			}
		})
	}
}

func TestPoolDataJSON(t *testing.T) {
	_, pool, _ := net.ParseCIDR("10.0.0.0/8")
	_, sub, _ := net.ParseCIDR("10.1.0.0/16")
	_, pool6, _ := net.ParseCIDR("fd00::/64")
	tests := []struct {
		name string
		in   PoolData
	}{
		{"master", PoolData{Pool: pool, RefCount: 2}},
		{"child", PoolData{ParentKey: SubnetKey{AddressSpace: "LocalDefault", Subnet: "10.0.0.0/8"}, Pool: pool, RefCount: 1,
			Range: &AddressRange{Sub: sub, Start: 1 << 16, End: 1<<17 - 1}}},
		{"ipv6", PoolData{Pool: pool6, RefCount: 1}},
		{"empty", PoolData{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(&tc.in)
			if err != nil {
				t.Fatal(err)
			}
			var out PoolData
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("unmarshal %s: %v", b, err)
			}
			if !reflect.DeepEqual(out, tc.in) {
				t.Fatalf("round trip of %s: %s, want %s", b, &out, &tc.in)
			}
			var cp PoolData
			if err := tc.in.CopyTo(&cp); err != nil || !reflect.DeepEqual(cp, tc.in) {
				t.Fatalf("CopyTo = %s, %v", &cp, err)
			}
			if cp.Pool != nil {
				cp.Pool.IP[0] ^= 0xff
				if reflect.DeepEqual(cp, tc.in) {
					t.Fatal("CopyTo shares the pool with its source")
				}
			}
			if cp.Range != nil {
				cp.Range.Sub.IP[1] ^= 0xff
				if tc.in.Range.Sub.IP[1] != sub.IP[1] {
					t.Fatal("CopyTo shares the range with its source")
				}
			}
		})
	}
	if err := (&PoolData{}).CopyTo(nil); !types.IsBadRequest(err) {
		t.Fatalf("CopyTo(nil) = %v, want a BadRequestError", err)
	}
}

func TestPoolDataString(t *testing.T) {
	_, pool, _ := net.ParseCIDR("10.0.0.0/8")
	_, sub, _ := net.ParseCIDR("10.1.0.0/16")
	p := &PoolData{ParentKey: SubnetKey{AddressSpace: "A", Subnet: "10.0.0.0/8"}, Pool: pool, RefCount: 1, Range: &AddressRange{Sub: sub, Start: 65536, End: 131071}}
	want := "ParentKey: A/10.0.0.0/8, Pool: 10.0.0.0/8, Range: Sub: 10.1.0.0/16, range [65536, 131071], RefCount: 1"
	if got := p.String(); got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}

func TestBadJSONLeavesValue(t *testing.T) {
	_, pool, _ := net.ParseCIDR("10.0.0.0/8")
	tests := []struct {
		name string
		data string
	}{
		{"not json", `{`},
		{"bad pool", `{"Pool":"10.0.0.0/33","RefCount":1}`},
		{"bad range", `{"Pool":"10.0.0.0/8","Range":{"Sub":"x"},"RefCount":1}`},
		{"wrong type", `{"Pool":7}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := PoolData{Pool: pool, RefCount: 3}
			if err := p.UnmarshalJSON([]byte(tc.data)); !types.IsBadRequest(err) {
				t.Fatalf("Unmarshal(%s) = %v, want a BadRequestError", tc.data, err)
			}
			if p.RefCount != 3 || p.Pool.String() != "10.0.0.0/8" {
				t.Fatalf("failed Unmarshal changed the value to %s", &p)
			}
		})
	}
	r := AddressRange{Start: 4, End: 5}
	if err := r.UnmarshalJSON([]byte(`{"Sub":"1.2.3.4/99"}`)); !types.IsBadRequest(err) || r.Start != 4 {
		t.Fatalf("AddressRange.UnmarshalJSON = %v, range %s", err, &r)
	}
}
