package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/vishvananda/netlink"
)

// BenchmarkBridgeNetworkCreateDelete measures NewNetwork and Delete of a
// bridge network (bridge link, gateway address, firewall rules) with each
// firewall backend, with 0 and 100 other networks present. It reports p50
// and p99 of create and of delete. The kernel case is the floor: a bridge
// link made up with its gateway address, then deleted, with raw netlink.
func BenchmarkBridgeNetworkCreateDelete(b *testing.B) {
	b.Run("kernel", benchKernelBridge)
	for _, be := range firewallBackends {
		for _, others := range []int{0, 100} {
			b.Run(fmt.Sprintf("%s/others=%d", be, others), func(b *testing.B) {
				drv := fullBridge()
				drv["FirewallBackend"] = be
				e := newBridgeEnv(b, drv)
				for i := 0; i < others; i++ {
					e.network(fmt.Sprintf("other%d", i), fmt.Sprintf("10.201.%d.0/24", i), nil)
				}
				create := make([]time.Duration, 0, b.N)
				del := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0 := time.Now()
					n, err := e.c.NewNetwork("bridge", fmt.Sprintf("bench%d", i), "",
						libnetwork.NetworkOptionIpam("default", "", []*libnetwork.IpamConf{{PreferredPool: fmt.Sprintf("10.202.%d.0/24", i%256)}}, nil, nil))
					if err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if err := n.Delete(); err != nil {
						b.Fatal(err)
					}
					t2 := time.Now()
					create, del = append(create, t1.Sub(t0)), append(del, t2.Sub(t1))
				}
				b.StopTimer()
				testutils.ReportPercentiles(b, "create", create)
				testutils.ReportPercentiles(b, "delete", del)
			})
		}
	}
}

func benchKernelBridge(b *testing.B) {
	h := testutils.SetupTestOSContext(b)
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		b.Fatal(err)
	}
	defer nl.Close()
	create := make([]time.Duration, 0, b.N)
	del := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "cnmbench"}}
		if err := nl.LinkAdd(br); err != nil {
			b.Fatal(err)
		}
		addr, _ := netlink.ParseAddr(fmt.Sprintf("10.202.%d.1/24", i%256))
		if err := nl.AddrAdd(br, addr); err != nil {
			b.Fatal(err)
		}
		if err := nl.LinkSetUp(br); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := nl.LinkDel(br); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		create, del = append(create, t1.Sub(t0)), append(del, t2.Sub(t1))
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "create", create)
	testutils.ReportPercentiles(b, "delete", del)
}
