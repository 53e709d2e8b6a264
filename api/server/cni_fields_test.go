package server

import (
	"testing"

	"github.com/cnmkit/libnetwork/api"
)

// TestValidateRuntimeFields checks the fields a CNI runtime's requests
// use: a sandbox's external key and an endpoint's interface name.
func TestValidateRuntimeFields(t *testing.T) {
	if err := validateSandboxCreate(&api.SandboxCreate{Name: "c", Key: "/proc/1/ns/net"}); err != nil {
		t.Fatal(err)
	}
	err := validateSandboxCreate(&api.SandboxCreate{Name: "c", Key: "relative/ns"})
	if fe, ok := err.(*fieldError); !ok || fe.field != "key" {
		t.Errorf("relative key: %v", err)
	}
	if _, _, err := validateEndpointCreate(&api.EndpointCreate{Name: "e", InterfaceName: "net1"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"0123456789abcdef", "a/b", "a:b", "a b", ".."} {
		_, _, err := validateEndpointCreate(&api.EndpointCreate{Name: "e", InterfaceName: name})
		if fe, ok := err.(*fieldError); !ok || fe.field != "interface_name" {
			t.Errorf("interface name %q: %v", name, err)
		}
	}
}
