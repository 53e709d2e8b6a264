package integration

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
)

// TestGatewayBridgeParallel: sandboxes joining and leaving overlay networks
// at once share one gateway network, made once; it goes after the last.
func TestGatewayBridgeParallel(t *testing.T) {
	testutils.RequireRoot(t)
	e := newGwEnv(t)
	out := e.outside("")
	serveTCP(t, out, "10.99.0.2:9000", "outside")
	ov := e.overlay("ov", "10.88.0.0/24", "4405")
	const n = 8
	ctrs := make([]*ctr, n)
	eps := make([]libnetwork.Endpoint, n)
	for i := range ctrs {
		ctrs[i] = e.sandbox(fmt.Sprintf("p%d", i))
		eps[i] = must2(ov.CreateEndpoint(fmt.Sprintf("p%d", i)))(t)
	}
	parallel := func(f func(i int) error) {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) { defer wg.Done(); errs[i] = f(i) }(i)
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("sandbox p%d: %v", i, err)
			}
		}
	}
	parallel(func(i int) error { return eps[i].Join(ctrs[i].sb) })
	gn := e.gwNet()
	if gn == nil || len(gn.Endpoints()) != n {
		t.Fatalf("gateway network %v: want one with %d endpoints", gn, n)
	}
	for _, c := range ctrs {
		if gwEp(c) == nil || gwEp(c).Network() != gn.Name() {
			t.Fatalf("sandbox %s has no endpoint on the gateway network", c.sb.ContainerID())
		}
		eventually(t, "outside from "+c.sb.ContainerID(), func() error { _, _, err := ask(c.h, "tcp", "10.99.0.2:9000", time.Second); return err })
	}
	parallel(func(i int) error { return eps[i].Leave(ctrs[i].sb) })
	e.gwNetGone()
}

// TestGatewayBridgeRefresh: Refresh makes the gateway endpoint again, with
// the sandbox's new published ports.
func TestGatewayBridgeRefresh(t *testing.T) {
	testutils.RequireRoot(t)
	e := newGwEnv(t)
	out := e.outside("")
	ov := e.overlay("ov", "10.88.0.0/24", "4406")
	a := e.sandbox("a", portMap(types.PortBinding{Proto: types.TCP, Port: 80, HostPort: 8090}))
	aEp := must2(ov.CreateEndpoint("a"))(t)
	must(t, aEp.Join(a.sb))
	old := gwEp(a).ID()
	must(t, a.sb.Refresh(portMap(types.PortBinding{Proto: types.TCP, Port: 80, HostPort: 8091})))
	gw := gwEp(a)
	if gw == nil || gw.ID() == old || len(a.sb.Endpoints()) != 1 {
		t.Fatalf("after Refresh: gateway endpoint %v (was %s), endpoints %v", gw, old, a.sb.Endpoints())
	}
	if p := hostPorts(t, gw); len(p) != 1 || p[0] != 8091 {
		t.Fatalf("gateway endpoint publishes %v, want 8091", p)
	}
	serveTCP(t, a.h, gwAddr(t, a).String()+":80", "a")
	eventually(t, "the new published port", func() error { _, _, err := ask(out, "tcp", "10.99.0.1:8091", time.Second); return err })
	if _, _, err := ask(out, "tcp", "10.99.0.1:8090", blockedWait); err == nil {
		t.Error("the old published port still answers")
	}
	must(t, aEp.Leave(a.sb))
	e.gwNetGone()
}
