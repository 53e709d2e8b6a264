package libnetwork

import (
	"encoding/json"
	"net"
	"reflect"
	"testing"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/types"
)

func TestIpamConfCopyTo(t *testing.T) {
	src := &IpamConf{PreferredPool: "10.1.0.0/16", SubPool: "10.1.1.0/24", Gateway: "10.1.1.1", AuxAddresses: map[string]string{"a": "10.1.1.2"}}
	var dst IpamConf
	check(t, src.CopyTo(&dst))
	if !reflect.DeepEqual(*src, dst) {
		t.Fatalf("copy %+v of %+v", dst, *src)
	}
	dst.AuxAddresses["a"] = "changed"
	if src.AuxAddresses["a"] != "10.1.1.2" {
		t.Fatal("the copy shares its aux addresses with the source")
	}
	if err := src.CopyTo(nil); !types.IsBadRequest(err) {
		t.Fatalf("nil destination: %v", err)
	}
}

func TestIpamInfoCopyAndJSON(t *testing.T) {
	pool, _ := types.ParseCIDR("10.10.10.0/24")
	gw, _ := types.ParseCIDR("10.10.10.8/24")
	aux, _ := types.ParseCIDR("10.10.10.9/24")
	src := &IpamInfo{PoolID: "LocalDefault/10.10.10.0/24", Meta: map[string]string{"k": "v"},
		IPAMData: driverapi.IPAMData{AddressSpace: "LocalDefault", Pool: pool, Gateway: gw, AuxAddresses: map[string]*net.IPNet{"x": aux}}}
	var dst IpamInfo
	check(t, src.CopyTo(&dst))
	if !reflect.DeepEqual(*src, dst) {
		t.Fatalf("copy %+v of %+v", dst, *src)
	}
	dst.Gateway.IP[len(dst.Gateway.IP)-1] = 99
	if src.Gateway.String() != "10.10.10.8/24" {
		t.Fatal("the copy shares its gateway with the source")
	}
	b, err := json.Marshal(src)
	check(t, err)
	var back IpamInfo
	check(t, json.Unmarshal(b, &back))
	if back.PoolID != src.PoolID || back.Meta["k"] != "v" || back.Gateway.String() != "10.10.10.8/24" ||
		back.Pool.String() != "10.10.10.0/24" || back.AuxAddresses["x"].String() != "10.10.10.9/24" {
		t.Fatalf("JSON round trip: %s gave %+v", b, back)
	}
	if err := json.Unmarshal([]byte(`{"PoolID":1}`), &back); err == nil {
		t.Fatal("bad JSON accepted")
	}
}
