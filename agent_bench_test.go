package libnetwork

import (
	"fmt"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"testing"
	"time"
)

// BenchmarkAgentJoinToEvent measures the time from a Join on one host
// until the driver on another host is told of the entry the Join
// published (gossip and dispatch; no kernel work), and the time from a
// Leave until it is told of the Delete. It reports p50 and p99 in ms.
func BenchmarkAgentJoinToEvent(b *testing.B) {
	tc := newTestCluster(b)
	tc.add("a")
	tc.add("b", "a")
	a, bn := tc.start("a"), tc.start("b")
	tc.waitPeers(2)
	na := tc.gossipNetwork(a, "gnet", gnetID)
	tc.gossipNetwork(bn, "gnet", gnetID)
	sb := must(a.c.NewSandbox("bench"))(b)
	d := bn.driver()
	join := make([]time.Duration, 0, b.N)
	leave := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ep := must(na.CreateEndpoint(fmt.Sprintf("ep%d", i)))(b)
		w := d.waiter(ep.ID())
		t0 := time.Now()
		check(b, ep.Join(sb))
		waitClosed(b, w)
		join = append(join, time.Since(t0))
		w = d.waiter(ep.ID())
		t0 = time.Now()
		check(b, ep.Leave(sb))
		waitClosed(b, w)
		leave = append(leave, time.Since(t0))
		check(b, ep.Delete(false))
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "join-to-event", join)
	testutils.ReportPercentiles(b, "leave-to-event", leave)
}

func waitClosed(b *testing.B, w <-chan struct{}) {
	select {
	case <-w:
	case <-time.After(15 * time.Second):
		b.Fatal("timed out waiting for the remote event")
	}
}
