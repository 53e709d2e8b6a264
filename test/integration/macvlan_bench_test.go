package integration

import (
	"fmt"
	"testing"
)

// BenchmarkMacvlanAttachDetach measures attach (NewSandbox + CreateEndpoint
// + Join) and detach (Leave + endpoint Delete + sandbox Delete) on a
// bridge-mode macvlan network whose parent is a veth to an external
// router, with n containers already attached, as BenchmarkBridgeAttachDetach
// does for the bridge driver. It reports p50 and p99 per container.
func BenchmarkMacvlanAttachDetach(b *testing.B) {
	for _, n := range []int{100} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { benchMacvlanAttachDetach(b, n) })
	}
}

func benchMacvlanAttachDetach(b *testing.B, n int) {
	e := newMacvlanEnv(b)
	net, err := e.macvlan("macvlan", "bench", map[string]string{"parent": "par0"}, "10.200.0.0/16", "10.200.0.1", "", "")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		e.run(net, fmt.Sprintf("bg%d", i))
	}
	benchLifecycles(b, e.bridgeEnv, net)
}
