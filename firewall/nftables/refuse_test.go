package nftables

import (
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/firewall"
	"github.com/cnmkit/libnetwork/types"
	gnft "github.com/google/nftables"
	"github.com/google/nftables/expr"
)

// TestKernelRefusesRule gives the table one rule more, with a meta key no
// kernel knows: the first network's add fails with NotImplemented naming
// the table and the rule, and nothing of the table stays.
func TestKernelRefusesRule(t *testing.T) {
	b, state := newTestBridge(t)
	empty := state()
	saved := staticRules
	t.Cleanup(func() { staticRules = saved })
	const desc = "meta key 250 (unknown to the kernel)"
	staticRules = append(append([]ruleDef(nil), saved...), ruleDef{chain: chainForward, desc: desc,
		exprs: func(map[string]*gnft.Set) []expr.Any {
			return []expr.Any{&expr.Meta{Key: 250, Register: reg1}}
		}})
	err := b.AddNetwork(firewall.Network{Bridge: "br-a", ICC: true, Masquerade: true, PoolIPv4: pool("10.1.0.0/16")})
	if !types.IsNotImplemented(err) {
		t.Fatalf("add with a refused rule: %v, want NotImplemented", err)
	}
	for _, want := range []string{b.Table(), desc, chainForward} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if s := state(); s != empty {
		t.Errorf("left after the refusal:\n%s\nwas:\n%s", s, empty)
	}
	// The refusal left no state behind in the backend either.
	staticRules = saved
	if err := b.AddNetwork(firewall.Network{Bridge: "br-a", ICC: true, PoolIPv4: pool("10.1.0.0/16")}); err != nil {
		t.Fatalf("add once the kernel accepts the rules: %v", err)
	}
	if err := b.DelNetwork(firewall.Network{Bridge: "br-a"}); err != nil {
		t.Fatal(err)
	}
	if s := state(); s != empty {
		t.Errorf("left after delete:\n%s", s)
	}
}
