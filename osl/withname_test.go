package osl

import (
	"testing"

	"github.com/cnmkit/libnetwork/types"
)

// TestWithName: WithName gives the exact name, whatever the prefix rule
// would; a taken or invalid name is refused and the link left as found.
func TestWithName(t *testing.T) {
	root := setup(t)
	sb := newSandbox(t, root, "exact")
	h := nlIn(t, sb.Key())
	bornInside(t, sb, "ex-h0", "ex-c0")
	if err := sb.AddInterface("ex-c0", "eth", WithName("net1"), WithAddress(cidr(t, "10.9.0.2/24"))); err != nil {
		t.Fatal(err)
	}
	if _, err := h.LinkByName("net1"); err != nil {
		t.Fatalf("net1: %v", err)
	}
	if got := sb.NextName("eth"); got != "eth0" {
		t.Errorf("NextName after an exact name: %q", got)
	}
	// Born inside with its final name already: kept.
	bornInside(t, sb, "ex-h1", "blue")
	if err := sb.AddInterface("blue", "eth", WithName("blue")); err != nil {
		t.Fatal(err)
	}
	bornInside(t, sb, "ex-h2", "ex-c2")
	err := sb.AddInterface("ex-c2", "eth", WithName("net1"))
	if !types.IsConflict(err) {
		t.Fatalf("a taken name: %v", err)
	}
	if _, err := h.LinkByName("ex-c2"); err != nil {
		t.Errorf("the refused link was not left as found: %v", err)
	}
	if err := sb.AddInterface("ex-c2", "eth", WithName("a-name-too-long-for-linux")); !types.IsBadRequest(err) {
		t.Fatalf("a name over 15 bytes: %v", err)
	}
	if n := len(sb.Interfaces()); n != 2 {
		t.Errorf("%d interfaces, want 2", n)
	}
}
