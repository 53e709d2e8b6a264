package singleton

import (
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
)

func TestDriver(t *testing.T) {
	for _, typ := range []string{"null", "host"} {
		t.Run(typ, func(t *testing.T) { testDriver(t, typ) })
	}
}

func testDriver(t *testing.T, typ string) {
	cb := &testutils.Registered{}
	if err := Register(cb, typ); err != nil {
		t.Fatal(err)
	}
	if cb.Name != typ || cb.Driver.Type() != typ || cb.Cap.DataScope != "local" {
		t.Fatalf("registered %q %q %+v", cb.Name, cb.Driver.Type(), cb.Cap)
	}
	d := cb.Driver
	if err := d.CreateNetwork("n1", nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateNetwork("n1", nil, nil, nil, nil); err != nil {
		t.Fatalf("the same network again (restore): %v", err)
	}
	if err := d.CreateNetwork("n2", nil, nil, nil, nil); !types.IsForbidden(err) {
		t.Fatalf("second network: %v", err)
	}
	if err := d.DeleteNetwork("n1"); !types.IsForbidden(err) {
		t.Fatalf("delete: %v", err)
	}
	if err := d.CreateEndpoint("n1", "e1", nil, nil); err != nil {
		t.Fatal(err)
	}
	// Join gets no JoinInfo calls at all: a nil one proves it.
	if err := d.Join("n1", "e1", "/nonexistent", nil, nil); err != nil {
		t.Fatal(err)
	}
	if info, err := d.EndpointOperInfo("n1", "e1"); err != nil || len(info) != 0 {
		t.Fatalf("oper info: %v %v", info, err)
	}
	for _, err := range []error{d.ProgramExternalConnectivity("n1", "e1", nil), d.RevokeExternalConnectivity("n1", "e1"),
		d.Leave("n1", "e1"), d.DeleteEndpoint("n1", "e1"), d.DiscoverNew(0, nil), d.DiscoverDelete(0, nil)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.NetworkAllocate("n1", nil, nil, nil); !types.IsNotImplemented(err) {
		t.Fatalf("allocate: %v", err)
	}
	if err := d.NetworkFree("n1"); !types.IsNotImplemented(err) {
		t.Fatalf("free: %v", err)
	}
}
