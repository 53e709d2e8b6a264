package iptables

import (
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
)

func TestForgetReadsTheKernelAgain(t *testing.T) {
	testutils.SetupTestOSContext(t)
	ipt := newTable(t, IPv4)
	chain := ipt.ChainName("FGT")
	rule := []string{"-p", "tcp", "-m", "tcp", "--dport", "86", "-j", "ACCEPT"}
	build := func() {
		t.Helper()
		if err := ipt.NewBatch().NewChain(Filter, chain).EnsureJump(Filter, "FORWARD", chain).Append(Filter, chain, rule...).Commit(); err != nil {
			t.Fatal(err)
		}
	}
	build()
	want := saveOut(t, "iptables")
	// Wiped behind the IPTable's back: without Forget the record says all
	// is in place and nothing comes back.
	sh(t, "iptables", "-w", "-F")
	sh(t, "iptables", "-w", "-X")
	build()
	if got := saveOut(t, "iptables"); got == want {
		t.Fatal("the stale record re-created the rules: the test proves nothing")
	}
	ipt.Forget()
	if rs := ipt.Rules(Filter, chain); len(rs) != 0 {
		t.Fatalf("rules still recorded after Forget: %v", rs)
	}
	for i := 0; i < 2; i++ { // once back, a second build adds nothing
		build()
		if got := saveOut(t, "iptables"); got != want {
			t.Fatalf("round %d: after Forget:\n%s\nwant:\n%s", i, got, want)
		}
	}
	if err := ipt.RemoveChain(Filter, chain); err != nil {
		t.Fatal(err)
	}
}
