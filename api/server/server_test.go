package server

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/types"
)

func TestStatusOf(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{types.BadRequestErrorf("x"), 400},
		{types.ForbiddenErrorf("x"), 403},
		{types.NotFoundErrorf("x"), 404},
		{types.ConflictErrorf("x"), 409},
		{types.NotImplementedErrorf("x"), 501},
		{types.NoServiceErrorf("x"), 503},
		{types.InternalErrorf("x"), 500},
		{types.TimeoutErrorf("x"), 500},
		{fmt.Errorf("plain"), 500},
		// The outermost class decides; unclassed wrappers are looked through.
		{fmt.Errorf("ctx: %w", types.NotFoundErrorf("x")), 404},
		{types.InternalErrorf("outer: %w", types.NotFoundErrorf("inner")), 500},
		// Two classes: the more specific wins.
		{libnetwork.NetworkNameError("n"), 409},
		{libnetwork.ErrNoSuchNetwork("n"), 404},
		{badField("f", "bad"), 400},
		{&conflictField{badField("name", "taken")}, 409},
	} {
		if got := StatusOf(c.err); got != c.want {
			t.Errorf("StatusOf(%T %v) = %d, want %d", c.err, c.err, got, c.want)
		}
	}
}

func TestValidateNetworkCreate(t *testing.T) {
	req := api.NetworkCreate{Name: "n", Driver: "bridge", IPv6: true, IPAM: []api.IPAMConfig{
		{Subnet: "10.1.0.0/16", Gateway: "10.1.255.254", IPRange: "10.1.128.0/17"},
		{Subnet: "fd00:1::/64", Gateway: "fd00:1::1"},
	}}
	v4, v6, err := validateNetworkCreate(&req)
	if err != nil || len(v4) != 1 || len(v6) != 1 || v4[0].PreferredPool != "10.1.0.0/16" || v4[0].SubPool != "10.1.128.0/17" ||
		v4[0].Gateway != "10.1.255.254" || v6[0].Gateway != "fd00:1::1" {
		t.Fatalf("valid request: %+v %+v %v", v4, v6, err)
	}
	// Auxiliary addresses go to the pool whose subnet contains them.
	req.AuxAddresses = map[string]string{"r4": "10.1.0.9", "r6": "fd00:1::9"}
	v4, v6, err = validateNetworkCreate(&req)
	if err != nil || v4[0].AuxAddresses["r4"] != "10.1.0.9" || len(v4[0].AuxAddresses) != 1 || v6[0].AuxAddresses["r6"] != "fd00:1::9" {
		t.Fatalf("aux addresses: %+v %+v %v", v4, v6, err)
	}
	for _, c := range []struct {
		req   api.NetworkCreate
		field string
	}{
		{api.NetworkCreate{Driver: "bridge"}, "name"},
		{api.NetworkCreate{Name: strings.Repeat("a", 129), Driver: "bridge"}, "name"},
		{api.NetworkCreate{Name: ".n", Driver: "bridge"}, "name"},
		{api.NetworkCreate{Name: "n"}, "driver"},
		{api.NetworkCreate{Name: "n", Driver: "b", IPAMDriver: "a b"}, "ipam_driver"},
		{api.NetworkCreate{Name: "n", Driver: "b", Labels: map[string]string{"a=b": "c"}}, "labels"},
		{api.NetworkCreate{Name: "n", Driver: "b", IPAM: []api.IPAMConfig{{Subnet: "10.0.0.0/8"}, {Subnet: "10.1.0.0/16"}}}, "ipam[1].subnet"},
		{api.NetworkCreate{Name: "n", Driver: "b", IPAM: []api.IPAMConfig{{Subnet: "10.0.0.0/24", Gateway: "10.0.0.0"}}}, "ipam[0].gateway"},
		{api.NetworkCreate{Name: "n", Driver: "b", IPAM: []api.IPAMConfig{{Subnet: "10.0.0.0/24", Gateway: "fd00::1"}}}, "ipam[0].gateway"},
		{api.NetworkCreate{Name: "n", Driver: "b", IPAM: []api.IPAMConfig{{Subnet: "10.0.0.0/24", IPRange: "10.0.0.0/23"}}}, "ipam[0].ip_range"},
		{api.NetworkCreate{Name: "n", Driver: "b", IPAM: []api.IPAMConfig{{Subnet: "10.0.0.0/24", IPRange: "10.0.0.1/25"}}}, "ipam[0].ip_range"},
		{api.NetworkCreate{Name: "n", Driver: "b", IPAMOptions: map[string]string{"": "x"}}, "ipam_options"},
		{api.NetworkCreate{Name: "n", Driver: "b", AuxAddresses: map[string]string{"r": "10.0.0.1"}}, "aux_addresses.r"},
		{api.NetworkCreate{Name: "n", Driver: "b", IPAM: []api.IPAMConfig{{Subnet: "10.0.0.0/24"}}, AuxAddresses: map[string]string{"r": "x"}}, "aux_addresses.r"},
		{api.NetworkCreate{Name: "n", Driver: "b", IPAM: []api.IPAMConfig{{Subnet: "10.0.0.0/24"}}, AuxAddresses: map[string]string{"r": "10.0.1.1"}}, "aux_addresses.r"},
		{api.NetworkCreate{Name: "n", Driver: "b", IPAM: []api.IPAMConfig{{Subnet: "10.0.0.0/24"}}, AuxAddresses: map[string]string{"r": "10.0.0.0"}}, "aux_addresses.r"},
		{api.NetworkCreate{Name: "n", Driver: "b", IPAM: []api.IPAMConfig{{Subnet: "10.0.0.0/24"}}, AuxAddresses: map[string]string{"a b": "10.0.0.1"}}, "aux_addresses"},
	} {
		_, _, err := validateNetworkCreate(&c.req)
		fe, ok := err.(*fieldError)
		if !ok || fe.field != c.field || !types.IsBadRequest(err) {
			t.Errorf("%+v: error %v, want a bad request naming %s", c.req, err, c.field)
		}
	}
}

func TestEndpointPorts(t *testing.T) {
	req := api.EndpointCreate{Name: "e",
		ExposedPorts: []api.Port{{Port: 443}, {Proto: "UDP", Port: 53}},
		PortBindings: []api.PortBinding{{Port: 80, HostIP: "127.0.0.1", HostPort: 8080}, {Proto: "udp", Port: 53, HostPort: 5300, HostPortEnd: 5310}}}
	exp, pbs, err := endpointPorts(&req)
	if err != nil || len(exp) != 3 || len(pbs) != 2 || exp[2] != (types.TransportPort{Proto: types.TCP, Port: 80}) ||
		pbs[1].HostPortEnd != 5310 || !pbs[0].HostIP.Equal([]byte{127, 0, 0, 1}) {
		t.Fatalf("endpointPorts: %v %v %v", exp, pbs, err)
	}
	for _, c := range []struct {
		req   api.EndpointCreate
		field string
	}{
		{api.EndpointCreate{ExposedPorts: []api.Port{{Port: 65536}}}, "exposed_ports[0].port"},
		{api.EndpointCreate{ExposedPorts: []api.Port{{Proto: "gre", Port: 1}}}, "exposed_ports[0].proto"},
		{api.EndpointCreate{PortBindings: []api.PortBinding{{Port: 0}}}, "port_bindings[0].port"},
		{api.EndpointCreate{PortBindings: []api.PortBinding{{Port: 1, HostPort: 70000}}}, "port_bindings[0].host_port"},
		{api.EndpointCreate{PortBindings: []api.PortBinding{{Port: 1, HostPortEnd: 5}}}, "port_bindings[0].host_port_end"},
		{api.EndpointCreate{PortBindings: []api.PortBinding{{Port: 1, HostIP: "x"}}}, "port_bindings[0].host_ip"},
	} {
		_, _, err := endpointPorts(&c.req)
		if fe, ok := err.(*fieldError); !ok || fe.field != c.field {
			t.Errorf("%+v: %v, want a bad request naming %s", c.req, err, c.field)
		}
	}
}

func TestValidateSandboxCreate(t *testing.T) {
	ok := api.SandboxCreate{Name: "s", Hostname: "web-1", Domainname: "example.test.", DNS: []string{"10.0.0.53", "fd00::53"},
		DNSSearch: []string{"a.b"}, DNSOptions: []string{"ndots:2"}, ExtraHosts: []string{"db:10.0.0.9", "v6:fd00::9"}}
	if err := validateSandboxCreate(&ok); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		req   api.SandboxCreate
		field string
	}{
		{api.SandboxCreate{}, "name"},
		{api.SandboxCreate{Name: "s", Hostname: "-x"}, "hostname"},
		{api.SandboxCreate{Name: "s", Hostname: strings.Repeat("h", 64)}, "hostname"},
		{api.SandboxCreate{Name: "s", Domainname: "a..b"}, "domainname"},
		{api.SandboxCreate{Name: "s", DNS: []string{"x"}}, "dns[0]"},
		{api.SandboxCreate{Name: "s", DNSSearch: []string{"ok", "no_"}}, "dns_search[1]"},
		{api.SandboxCreate{Name: "s", DNSOptions: []string{""}}, "dns_options[0]"},
		{api.SandboxCreate{Name: "s", ExtraHosts: []string{"db:nope"}}, "extra_hosts[0]"},
	} {
		err := validateSandboxCreate(&c.req)
		if fe, ok := err.(*fieldError); !ok || fe.field != c.field {
			t.Errorf("%+v: %v, want a bad request naming %s", c.req, err, c.field)
		}
	}
}

// TestDecodeErrors sends bad bodies through the router: they are refused
// before the controller is consulted (the server has none here).
func TestDecodeErrors(t *testing.T) {
	s := New(nil, nil)
	for _, c := range []struct {
		method, path, body string
		status             int
		field, msg         string
	}{
		{"POST", "/v1/networks", "{", 400, "", "malformed JSON"},
		{"POST", "/v1/networks", "", 400, "", "empty"},
		{"POST", "/v1/networks", `{"name":"a","driver":"b","x":1}`, 400, "x", "unknown field"},
		{"POST", "/v1/networks", `{"name":"a","driver":"b"}{"name":"c"}`, 400, "", "after the object"},
		{"POST", "/v1/networks", `{"name":["a"],"driver":"b"}`, 400, "name", "string"},
		{"POST", "/v1/networks", `{"name":"a","driver":"b","ipam":{}}`, 400, "ipam", "array"},
		{"POST", "/v1/networks", `{"name":"a","driver":"b","ipam":[{"subnet":"x"}]}`, 400, "ipam[0].subnet", "invalid CIDR"},
		{"POST", "/v1/networks", "{" + strings.Repeat(" ", maxBody) + "}", 413, "", "larger than"},
		{"PUT", "/v1/networks", "", 405, "", "use GET, HEAD, POST"},
		{"POST", "/v1/networks/n1", "", 405, "", "use GET, HEAD, DELETE"},
		{"POST", "/v1/sandboxes", `{"name":"s","hostname":"a_b"}`, 400, "hostname", "a_b"},
		{"GET", "/v1/nothing", "", 404, "", "no route"},
		{"GET", "/", "", 404, "", "no route"},
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, strings.NewReader(c.body)))
		var er api.ErrorResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &er); err != nil {
			t.Errorf("%s %s: answer %q is not JSON", c.method, c.path, rec.Body.String())
			continue
		}
		if rec.Code != c.status || er.Field != c.field || !strings.Contains(er.Message, c.msg) ||
			rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s %s %.40q: %d %+v, want %d field %q message with %q", c.method, c.path, c.body, rec.Code, er, c.status, c.field, c.msg)
		}
		if allow := rec.Header().Get("Allow"); c.status == 405 && !strings.Contains(er.Message, "use "+allow) {
			t.Errorf("%s %s: Allow %q, message %q", c.method, c.path, allow, er.Message)
		}
	}
}
