package osl

import (
	"fmt"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/vishvananda/netns"
)

func BenchmarkNewSandboxDestroy(b *testing.B) {
	testutils.SetupTestOSContext(b)
	root := b.TempDir()
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		t0 := time.Now()
		sb, err := NewSandbox(GenerateKeyAt(root, fmt.Sprintf("b%d", k)), true)
		if err != nil {
			b.Fatal(err)
		}
		if err := sb.Destroy(); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t0))
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "", d)
}

// benchAdd times AddInterface of a veth end, born inside the sandbox or
// (slow) left in the caller's namespace to be moved in.
func benchAdd(b *testing.B, slow bool) {
	testutils.SetupTestOSContext(b)
	root := b.TempDir()
	d := make([]time.Duration, 0, b.N)
	opts := []IfaceOption{WithMacAddress(mac(b, "02:42:ac:11:00:02")), WithMTU(1450),
		WithAddress(cidr(b, "10.1.0.2/24")), WithIPv6Address(cidr(b, "fd00:1::2/64"))}
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		b.StopTimer()
		sb, err := NewSandbox(GenerateKeyAt(root, fmt.Sprintf("a%d", k)), true)
		if err != nil {
			b.Fatal(err)
		}
		host, in := fmt.Sprintf("bh%d", k), fmt.Sprintf("bc%d", k)
		if slow {
			veth(b, host, netns.None(), in, netns.None())
		} else {
			h, err := netns.GetFromPath(sb.Key())
			if err != nil {
				b.Fatal(err)
			}
			veth(b, host, netns.None(), in, h)
			h.Close()
		}
		b.StartTimer()
		t0 := time.Now()
		if err := sb.AddInterface(in, "eth", opts...); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(t0))
		b.StopTimer()
		if err := sb.Destroy(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	testutils.ReportPercentiles(b, "", d)
}

func BenchmarkAddInterface(b *testing.B)         { benchAdd(b, false) }
func BenchmarkAddInterfaceSlowPath(b *testing.B) { benchAdd(b, true) }
