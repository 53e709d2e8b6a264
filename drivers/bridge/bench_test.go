package bridge

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
)

// BenchmarkDriverJoinLeave measures the driver's part of attach
// (CreateEndpoint + Join, optionally ProgramExternalConnectivity with one
// TCP port) and detach (Revoke + Leave + DeleteEndpoint) with n endpoints
// already joined. Sandbox namespaces are made outside the timed sections.
func BenchmarkDriverJoinLeave(b *testing.B) {
	for _, n := range []int{100, 1000} {
		for _, port := range []bool{false, true} {
			b.Run(fmt.Sprintf("N=%d/port=%t", n, port), func(b *testing.B) { benchJoinLeave(b, n, port) })
		}
	}
}

func benchJoinLeave(b *testing.B, n int, port bool) {
	testutils.RequireRoot(b)
	_, h := testutils.NewNS(b, "host")
	d, err := newDriver(map[string]interface{}{netlabel.GenericData: fullConfig, HostNetNSKey: h})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := d.CreateNetwork("n1", nil, nil, pool(b, "10.0.0.0/16", "10.0.0.1/16"), nil); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	var pinned []string
	defer func() {
		for _, p := range pinned {
			_ = ns.RemovePinned(p)
		}
	}()
	mkSandbox := func(i int) string {
		p := filepath.Join(dir, fmt.Sprintf("sb%d", i))
		if err := ns.NewPinned(p, true); err != nil {
			b.Fatal(err)
		}
		pinned = append(pinned, p)
		return p
	}
	addr := func(i int) *fakeIf {
		return &fakeIf{addr: cidr(b, fmt.Sprintf("10.0.%d.%d/16", (i+2)/250, (i+2)%250+2))}
	}
	// n joined endpoints in the background.
	for i := 0; i < n; i++ {
		eid := fmt.Sprintf("bg%d", i)
		if err := d.CreateEndpoint("n1", eid, addr(i), nil); err != nil {
			b.Fatal(err)
		}
		if err := d.Join("n1", eid, mkSandbox(i), &fakeJoin{}, nil); err != nil {
			b.Fatal(err)
		}
	}
	portOpts := map[string]interface{}{netlabel.PortMap: []types.PortBinding{{Proto: types.TCP, Port: 80}}}
	var attach, detach []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sb := mkSandbox(n + i)
		eid := fmt.Sprintf("ep%d", i)
		b.StartTimer()
		t0 := time.Now()
		if err := d.CreateEndpoint("n1", eid, addr(n+i%1000), nil); err != nil {
			b.Fatal(err)
		}
		if err := d.Join("n1", eid, sb, &fakeJoin{}, nil); err != nil {
			b.Fatal(err)
		}
		if port {
			if err := d.ProgramExternalConnectivity("n1", eid, portOpts); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		if port {
			if err := d.RevokeExternalConnectivity("n1", eid); err != nil {
				b.Fatal(err)
			}
		}
		if err := d.Leave("n1", eid); err != nil {
			b.Fatal(err)
		}
		if err := d.DeleteEndpoint("n1", eid); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		attach, detach = append(attach, t1.Sub(t0)), append(detach, t2.Sub(t1))
		b.StopTimer()
		_ = ns.RemovePinned(sb)
		b.StartTimer()
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "attach", attach)
	testutils.ReportPercentiles(b, "detach", detach)
}
