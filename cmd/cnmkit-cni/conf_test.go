package main

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/api"
	"github.com/containernetworking/cni/pkg/types"
)

func TestParseConfBad(t *testing.T) {
	for _, tc := range []struct {
		conf  string
		code  uint
		field string
	}{
		{`{"name":"n","driver":"bridge"`, types.ErrDecodingFailure, ""},
		{`{"driver":"bridge"}`, types.ErrInvalidNetworkConfig, "name"},
		{`{"name":"n"}`, types.ErrInvalidNetworkConfig, "driver"},
		{`{"name":"n","driver":"bridge","socket":"ftp://x"}`, types.ErrInvalidNetworkConfig, "socket"},
		{`{"name":"n","driver":"bridge","ipam":{"config":[{"subnet":"10.0.0.0/33"}]}}`, types.ErrInvalidNetworkConfig, "ipam.config[0].subnet"},
		{`{"name":"n","driver":"bridge","ipam":{"config":[{"subnet":"10.0.0.0/24"},{"subnet":"nope"}]}}`, types.ErrInvalidNetworkConfig, "ipam.config[1].subnet"},
		{`{"name":"n","driver":"bridge","ipam":{"config":[{"subnet":"10.0.0.0/24","gateway":"10.0.1.1"}]}}`, types.ErrInvalidNetworkConfig, "ipam.config[0].gateway"},
		{`{"name":"n","driver":"bridge","ipam":{"config":[{"subnet":"10.0.0.0/24","ipRange":"10.1.0.0/28"}]}}`, types.ErrInvalidNetworkConfig, "ipam.config[0].ipRange"},
		{`{"name":"n","driver":"bridge","runtimeConfig":{"portMappings":[{"containerPort":0}]}}`, types.ErrInvalidNetworkConfig, "runtimeConfig.portMappings[0].containerPort"},
		{`{"name":"n","driver":"bridge","runtimeConfig":{"portMappings":[{"containerPort":80,"hostPort":70000}]}}`, types.ErrInvalidNetworkConfig, "runtimeConfig.portMappings[0].hostPort"},
		{`{"name":"n","driver":"bridge","runtimeConfig":{"portMappings":[{"containerPort":80,"protocol":"icmp"}]}}`, types.ErrInvalidNetworkConfig, "runtimeConfig.portMappings[0].protocol"},
		{`{"name":"n","driver":"bridge","runtimeConfig":{"portMappings":[{"containerPort":80,"hostIP":"x"}]}}`, types.ErrInvalidNetworkConfig, "runtimeConfig.portMappings[0].hostIP"},
	} {
		_, err := parseConf([]byte(tc.conf))
		if err == nil {
			t.Errorf("%s: accepted", tc.conf)
			continue
		}
		if err.Code != tc.code || tc.field != "" && !strings.HasPrefix(err.Msg, tc.field+": ") {
			t.Errorf("%s: code %d %q, want code %d naming %s", tc.conf, err.Code, err.Msg, tc.code, tc.field)
		}
	}
}

func TestParseConfGood(t *testing.T) {
	c, err := parseConf([]byte(`{"cniVersion":"1.1.0","name":"n","type":"cnmkit-cni","driver":"macvlan","options":{"parent":"eth9"},
		"ipam":{"driver":"default","config":[{"subnet":"10.0.0.0/24","gateway":"10.0.0.1","ipRange":"10.0.0.128/25"}]},
		"runtimeConfig":{"portMappings":[{"containerPort":80,"hostPort":8080,"protocol":"UDP"}],"aliases":{"n":["web"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	req := c.networkCreate()
	if req.Driver != "macvlan" || req.Options["parent"] != "eth9" || req.IPAMDriver != "default" || len(req.IPAM) != 1 ||
		req.IPAM[0].IPRange != "10.0.0.128/25" || req.Labels[cniLabel] != "true" {
		t.Errorf("network request %+v", req)
	}
	if pb := c.portBindings(); len(pb) != 1 || pb[0] != (api.PortBinding{Proto: "udp", Port: 80, HostPort: 8080}) {
		t.Errorf("port bindings %+v", pb)
	}
	if c.socket() != defaultSocket {
		t.Errorf("socket %q", c.socket())
	}
}

func TestDaemonErr(t *testing.T) {
	for _, tc := range []struct {
		obj   string
		err   error
		code  uint
		field string
	}{
		{"network", errors.New("cannot reach the dnet daemon: connection refused"), types.ErrTryAgainLater, ""},
		{"network", &api.Error{Status: http.StatusServiceUnavailable, Message: "not ready"}, types.ErrTryAgainLater, ""},
		{"network", &api.Error{Status: http.StatusBadRequest, Field: "ipam[0].subnet", Message: "bad"}, types.ErrInvalidNetworkConfig, "ipam.config[0].subnet"},
		{"network", &api.Error{Status: http.StatusNotFound, Field: "driver", Message: "no driver"}, types.ErrInvalidNetworkConfig, "driver"},
		{"network", &api.Error{Status: http.StatusConflict, Field: "ipam[0].subnet", Message: "overlap"}, types.ErrInvalidNetworkConfig, "ipam.config[0].subnet"},
		{"sandbox", &api.Error{Status: http.StatusBadRequest, Field: "key", Message: "not a netns"}, types.ErrInvalidEnvironmentVariables, "CNI_NETNS"},
		{"sandbox", &api.Error{Status: http.StatusBadRequest, Field: "name", Message: "too long"}, types.ErrInvalidEnvironmentVariables, "CNI_CONTAINERID"},
		{"endpoint", &api.Error{Status: http.StatusBadRequest, Field: "interface_name", Message: "bad"}, types.ErrInvalidEnvironmentVariables, "CNI_IFNAME"},
		{"endpoint", &api.Error{Status: http.StatusBadRequest, Field: "port_bindings[0].host_ip", Message: "bad"}, types.ErrInvalidNetworkConfig, "runtimeConfig.portMappings[0].host_ip"},
		{"endpoint", &api.Error{Status: http.StatusInternalServerError, Message: "boom"}, types.ErrInternal, ""},
	} {
		e := daemonErr(tc.obj, "do", tc.err)
		if e.Code != tc.code || tc.field != "" && !strings.HasPrefix(e.Msg, tc.field+": ") {
			t.Errorf("%s %v: code %d %q, want code %d naming %s", tc.obj, tc.err, e.Code, e.Msg, tc.code, tc.field)
		}
	}
}

func TestNameField(t *testing.T) {
	e := nameField(types.NewError(types.ErrIncompatibleCNIVersion, `incompatible CNI versions; config is "0.4.0"`, ""))
	if !strings.HasPrefix(e.Msg, "cniVersion: ") {
		t.Errorf("%q", e.Msg)
	}
	e = nameField(types.NewError(types.ErrInvalidEnvironmentVariables, "interface name is too long", ""))
	if !strings.HasPrefix(e.Msg, "CNI_IFNAME: ") {
		t.Errorf("%q", e.Msg)
	}
}

func TestEndpointName(t *testing.T) {
	a, b := endpointName("c1", "eth0"), endpointName("c1", "eth1")
	if a == b || a != endpointName("c1", "eth0") || len(a) != 28 || !strings.HasPrefix(a, "cni-") {
		t.Errorf("names %q %q", a, b)
	}
	if !ours(api.Endpoint{Name: a, Sandbox: "c1", InterfaceName: "eth0"}) || ours(api.Endpoint{Name: a, Sandbox: "c2", InterfaceName: "eth0"}) {
		t.Error("ours")
	}
}
