package remote

import (
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/plugins"
	"github.com/cnmkit/libnetwork/types"
)

type reg struct {
	name string
	d    ipamapi.Ipam
	caps *ipamapi.Capability
}

func (r *reg) RegisterIpamDriver(name string, d ipamapi.Ipam) error {
	return r.RegisterIpamDriverWithCapabilities(name, d, nil)
}
func (r *reg) RegisterIpamDriverWithCapabilities(name string, d ipamapi.Ipam, c *ipamapi.Capability) error {
	r.name, r.d, r.caps = name, d, c
	return nil
}

func start(t *testing.T, answers map[string]string) (*testutils.FakePlugin, *reg, error) {
	dir := t.TempDir()
	f := testutils.NewFakePlugin("IpamDriver", "", answers)
	f.Serve(t, dir, "fipam")
	pr := plugins.NewRegistry(plugins.Config{SocketDirs: []string{dir}, SpecDirs: []string{}})
	r := &reg{}
	if err := InitWith(r, pr); err != nil {
		t.Fatal(err)
	}
	_, err := pr.Get("fipam", ipamapi.PluginEndpointType)
	return f, r, err
}

func TestIPAMCalls(t *testing.T) {
	f, r, err := start(t, map[string]string{
		"GetCapabilities":         `{"RequiresMACAddress":true}`,
		"GetDefaultAddressSpaces": `{"LocalDefaultAddressSpace":"L","GlobalDefaultAddressSpace":"G"}`,
		"RequestPool":             `{"PoolID":"p1","Pool":"10.20.0.0/16","Data":{"com.docker.network.gateway":"10.20.0.1/16"}}`,
		"RequestAddress":          `{"Address":"10.20.0.7/16"}`,
		"ReleaseAddress":          `{}`,
		"ReleasePool":             `{}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.name != "fipam" || !r.caps.RequiresMACAddress {
		t.Fatalf("registered %+v", r)
	}
	a := r.d
	l, g, err := a.GetDefaultAddressSpaces()
	if err != nil || l != "L" || g != "G" {
		t.Fatalf("spaces %s %s %v", l, g, err)
	}
	id, pool, data, err := a.RequestPool("L", "10.20.0.0/16", "10.20.1.0/24", map[string]string{"o": "v"}, false)
	if err != nil || id != "p1" || pool.String() != "10.20.0.0/16" || data["com.docker.network.gateway"] != "10.20.0.1/16" {
		t.Fatalf("pool %s %v %v %v", id, pool, data, err)
	}
	if got := f.Req("RequestPool"); got["AddressSpace"] != "L" || got["SubPool"] != "10.20.1.0/24" || got["V6"] != false || got["Options"].(map[string]interface{})["o"] != "v" {
		t.Fatalf("RequestPool request %v", got)
	}
	addr, _, err := a.RequestAddress("p1", net.ParseIP("10.20.0.7"), map[string]string{"com.docker.network.endpoint.macaddress": "x"})
	if err != nil || addr.String() != "10.20.0.7/16" {
		t.Fatalf("address %v %v", addr, err)
	}
	if got := f.Req("RequestAddress"); got["PoolID"] != "p1" || got["Address"] != "10.20.0.7" {
		t.Fatalf("RequestAddress request %v", got)
	}
	if err := a.ReleaseAddress("p1", addr.IP); err != nil || f.Req("ReleaseAddress")["Address"] != "10.20.0.7" {
		t.Fatalf("release address %v %v", err, f.Req("ReleaseAddress"))
	}
	if err := a.ReleasePool("p1"); err != nil || f.Req("ReleasePool")["PoolID"] != "p1" {
		t.Fatalf("release pool %v", err)
	}
	// Errors: the Error field, an error status with Err, bad answers.
	f.Set("ReleasePool", `{"Error":"pool in use"}`)
	if err := a.ReleasePool("p1"); !types.IsInternal(err) || !strings.Contains(err.Error(), `plugin "fipam": IpamDriver.ReleasePool: pool in use`) {
		t.Fatalf("Error field: %v", err)
	}
	f.Set("RequestAddress", `500 {"Err":"exhausted"}`)
	if _, _, err := a.RequestAddress("p1", nil, nil); !types.IsInternal(err) || !strings.Contains(err.Error(), "exhausted") {
		t.Fatalf("Err status: %v", err)
	}
	f.Set("RequestAddress", `{"Address":""}`)
	if _, _, err := a.RequestAddress("p1", nil, nil); !types.IsNoService(err) {
		t.Fatalf("no address: %v", err)
	}
	f.Set("ReleaseAddress", `{}`)
	f.Set("RequestAddress", `{"Address":"10.20.0.8"}`)
	if _, _, err := a.RequestAddress("p1", nil, nil); !types.IsBadRequest(err) || !strings.Contains(err.Error(), `"10.20.0.8"`) {
		t.Fatalf("bare address: %v", err)
	}
	if f.Req("ReleaseAddress")["Address"] != "10.20.0.8" {
		t.Fatal("unusable address not given back")
	}
	f.Set("RequestPool", `{"PoolID":"p2","Pool":"fd00::/64"}`)
	if _, _, _, err := a.RequestPool("L", "", "", nil, false); !types.IsBadRequest(err) || f.Req("ReleasePool")["PoolID"] != "p2" {
		t.Fatalf("wrong family pool: %v", err)
	}
}

func TestIPAMWithoutCapabilities(t *testing.T) {
	_, r, err := start(t, map[string]string{"GetDefaultAddressSpaces": `{}`})
	if err != nil {
		t.Fatal(err)
	}
	if r.caps == nil || r.caps.RequiresMACAddress {
		t.Fatalf("default capabilities expected: %+v", r.caps)
	}
	_, _, err = start(t, map[string]string{"GetCapabilities": `{"RequiresMACAddress":`})
	if !types.IsInternal(err) {
		t.Fatalf("malformed capabilities: %v", err)
	}
}
