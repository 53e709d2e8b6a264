package integration

import (
	"testing"
	"time"
)

// TestBridgeChurnBounded runs sustained churn (container lifecycles with 8
// in flight) on a bridge network with published ports and checks that the
// deferred teardown keeps up: the host namespace never holds more than 2
// links per container in flight above its baseline, and it is back to its
// baseline within 100 ms of the last delete.
func TestBridgeChurnBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("churn")
	}
	const inflight, lifecycles = 8, 400
	fb := newFloorBench(t, 0)
	base := fb.w.count("")
	fb.w.resetPeak()
	inFlight(lifecycles, inflight, 0, func(i int) {
		ep, sb, err := fb.attach(i)
		if err == nil {
			err = fb.detach(ep, sb)
		}
		if err != nil {
			t.Error(err)
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	last := time.Now()
	err := fb.w.waitCount(hostPrefix, 0, 100*time.Millisecond)
	after := time.Since(last)
	if peak := fb.w.peakLinks(); peak-base > 2*inflight {
		t.Errorf("peak %d links in the host namespace, baseline %d: more than 2 × %d in flight", peak, base, inflight)
	}
	if err != nil {
		t.Fatalf("not back to baseline %v after the last delete: %v", after, err)
	}
	if n := fb.w.count(""); n != base {
		t.Errorf("%d links in the host namespace after the churn, baseline %d", n, base)
	}
}
