package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/internal/testutils"
)

// BenchmarkGatewayJoin measures Join and Leave of one endpoint to a fresh
// sandbox: on an overlay network (the join also creates and joins the
// sandbox's gateway endpoint; the leave removes it), with the gateway
// network already there (another sandbox holds it) or made and removed
// each time; on an internal overlay network (the same overlay join, no
// gateway endpoint); and on a bridge network. Another sandbox stays on the
// overlay network, so that its namespace is not made per join. p50/p99 per
// join and leave.
func BenchmarkGatewayJoin(b *testing.B) {
	for _, c := range []string{"overlay+gateway", "overlay+gateway-network", "internal-overlay", "bridge"} {
		b.Run(c, func(b *testing.B) { benchGatewayJoin(b, c) })
	}
}

func benchGatewayJoin(b *testing.B, kind string) {
	testutils.RequireRoot(b)
	cl := newGwEnvB(b)
	var n libnetwork.Network
	switch kind {
	case "overlay+gateway", "overlay+gateway-network":
		n = cl.overlay("ov", "10.88.0.0/16", "4600")
	case "internal-overlay":
		n = cl.overlay("ov", "10.88.0.0/16", "4600", libnetwork.NetworkOptionInternalNetwork())
	case "bridge":
		n = cl.network("br", "10.89.0.0/16", nil)
	}
	if kind != "bridge" {
		// Keeps the overlay network's namespace on this host; on
		// overlay+gateway it holds the gateway network too, on
		// overlay+gateway-network it has a bridge network's gateway (no
		// gateway endpoint), so each join makes the gateway network.
		h := cl.sandbox("holder")
		if kind == "overlay+gateway-network" {
			br := cl.network("br", "10.89.0.0/16", nil)
			ep, err := br.CreateEndpoint("holder-br")
			must(b, err)
			must(b, ep.Join(h.sb))
		}
		ep, err := n.CreateEndpoint("holder")
		must(b, err)
		must(b, ep.Join(h.sb))
	}
	join := make([]time.Duration, 0, b.N)
	leave := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sb, err := cl.c.NewSandbox(fmt.Sprintf("c%d", i))
		must(b, err)
		ep, err := n.CreateEndpoint(fmt.Sprintf("ep%d", i), serial)
		must(b, err)
		b.StartTimer()
		t0 := time.Now()
		must(b, ep.Join(sb))
		t1 := time.Now()
		must(b, ep.Leave(sb))
		t2 := time.Now()
		b.StopTimer()
		join, leave = append(join, t1.Sub(t0)), append(leave, t2.Sub(t1))
		must(b, ep.Delete(false))
		must(b, sb.Delete())
		if kind == "overlay+gateway-network" {
			cl.gwNetGone() // removed in the background: not part of the next join
		}
		b.StartTimer()
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "join", join)
	testutils.ReportPercentiles(b, "leave", leave)
}
