package nftables

import (
	"net"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/firewall"
	"github.com/cnmkit/libnetwork/internal/nftdump"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	gnft "github.com/google/nftables"
	"github.com/google/nftables/expr"
)

func TestMain(m *testing.M) { testutils.IsolatedMain(m) }

func pool(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}

func newTestBridge(t *testing.T) (*Bridge, func() string) {
	testutils.RequireRoot(t)
	h := testutils.SetupTestOSContext(t)
	b, err := NewBridge(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b, func() string { return nftdump.State(t, h) }
}

func TestBridgeTableLifecycle(t *testing.T) {
	b, state := newTestBridge(t)
	empty := state()
	nets := []firewall.Network{
		{Bridge: "br-a", ICC: true, Masquerade: true, PoolIPv4: pool("10.1.0.0/16")},
		// Adjacent pool: the interval map holds both ranges.
		{Bridge: "br-b", ICC: false, Masquerade: true, PoolIPv4: pool("10.2.0.0/16")},
		{Bridge: "br-c", Internal: true, ICC: true, PoolIPv4: pool("10.3.0.0/16")},
	}
	for _, n := range nets {
		if err := b.AddNetwork(n); err != nil {
			t.Fatalf("add %s: %v", n.Bridge, err)
		}
	}
	s := state()
	for _, want := range []string{
		"table inet cnmkit", "chain inet cnmkit masq-br-a", "chain inet cnmkit masq-br-b",
		"elem inet cnmkit internal " + hexName("br-c"), "elem inet cnmkit nets " + hexName("br-a"),
		"elem inet cnmkit icc_off " + hexName("br-b") + hexName("br-b"),
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	if e := nftdump.Empty(s); len(e) > 0 {
		t.Errorf("empty tables or chains: %v", e)
	}
	if err := b.AddNetwork(nets[0]); !types.IsConflict(err) {
		t.Errorf("second add of br-a: %v, want a conflict", err)
	}
	for _, n := range nets {
		if err := b.DelNetwork(n); err != nil {
			t.Fatalf("delete %s: %v", n.Bridge, err)
		}
	}
	if got := state(); got != empty {
		t.Fatalf("left after the last network:\n%s", got)
	}
}

func hexName(s string) string {
	const digits = "0123456789abcdef"
	var out []byte
	for _, c := range IfName(s) {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestBridgeRebuild: Rebuild replaces whatever an earlier run left (a
// stale network, a stray rule someone added to our table) by exactly the
// networks given, and with none leaves nothing.
func TestBridgeRebuild(t *testing.T) {
	b, state := newTestBridge(t)
	empty := state()
	a := firewall.Network{Bridge: "br-a", ICC: true, Masquerade: true, PoolIPv4: pool("10.1.0.0/16")}
	stale := firewall.Network{Bridge: "br-old", ICC: true, Masquerade: true, PoolIPv4: pool("10.9.0.0/16")}
	if err := b.AddNetwork(stale); err != nil {
		t.Fatal(err)
	}
	// A new process: it knows only br-a.
	b2, err := NewBridge(b.c.ns)
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if err := b2.Rebuild([]firewall.Network{a}); err != nil {
		t.Fatal(err)
	}
	s := state()
	if strings.Contains(s, "br-old") || strings.Contains(s, hexName("br-old")) {
		t.Errorf("stale network kept:\n%s", s)
	}
	if !strings.Contains(s, "masq-br-a") {
		t.Errorf("br-a missing:\n%s", s)
	}
	if err := b2.Rebuild(nil); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != empty {
		t.Fatalf("left after Rebuild(nil):\n%s", got)
	}
}

// TestBridgeRepair: our table deleted or a set of it removed by someone
// else while we run: the next change rebuilds it.
func TestBridgeRepair(t *testing.T) {
	b, state := newTestBridge(t)
	a := firewall.Network{Bridge: "br-a", ICC: true, Masquerade: true, PoolIPv4: pool("10.1.0.0/16")}
	c := firewall.Network{Bridge: "br-c", ICC: true, Masquerade: true, PoolIPv4: pool("10.3.0.0/16")}
	if err := b.AddNetwork(a); err != nil {
		t.Fatal(err)
	}
	// Someone deletes our table.
	if err := b.c.Do("test: delete table", func(nc *gnft.Conn) error { nc.DelTable(b.tbl()); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := b.AddNetwork(c); err != nil {
		t.Fatalf("add after the table was deleted: %v", err)
	}
	s := state()
	for _, want := range []string{"masq-br-a", "masq-br-c"} {
		if !strings.Contains(s, want) {
			t.Errorf("repair lost %s:\n%s", want, s)
		}
	}
	// Someone removes br-c's element: deleting br-c still works.
	if err := b.c.Do("test: delete element", func(nc *gnft.Conn) error {
		return nc.SetDeleteElements(setRef(b.tbl(), setNets), []gnft.SetElement{{Key: IfName("br-c")}})
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.DelNetwork(c); err != nil {
		t.Fatalf("delete after its element went: %v", err)
	}
	if s := state(); strings.Contains(s, "masq-br-c") || !strings.Contains(s, "masq-br-a") {
		t.Errorf("after delete of br-c:\n%s", s)
	}
	if err := b.DelNetwork(a); err != nil {
		t.Fatal(err)
	}
}

// TestBridgeForeignTables: tables of others in the same hooks (an
// iptables-nft filter table with a FORWARD chain and rules, a firewalld-like
// inet table) are neither read for changes nor altered.
func TestBridgeForeignTables(t *testing.T) {
	b, state := newTestBridge(t)
	foreign := &gnft.Table{Family: gnft.TableFamilyIPv4, Name: "filter"}
	fwd := &gnft.Chain{Table: foreign, Name: "FORWARD", Type: gnft.ChainTypeFilter, Hooknum: gnft.ChainHookForward, Priority: gnft.ChainPriorityFilter}
	fwld := &gnft.Table{Family: gnft.TableFamilyINet, Name: "firewalld"}
	if err := b.c.Do("test: foreign tables", func(nc *gnft.Conn) error {
		nc.AddTable(foreign)
		nc.AddChain(fwd)
		nc.AddRule(&gnft.Rule{Table: foreign, Chain: fwd, Exprs: []expr.Any{&expr.Counter{}, &expr.Verdict{Kind: expr.VerdictAccept}}})
		nc.AddTable(fwld)
		nc.AddChain(&gnft.Chain{Table: fwld, Name: "filter_FORWARD", Type: gnft.ChainTypeFilter, Hooknum: gnft.ChainHookForward, Priority: gnft.ChainPriorityFilter})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	before := state()
	a := firewall.Network{Bridge: "br-a", ICC: true, Masquerade: true, PoolIPv4: pool("10.1.0.0/16")}
	if err := b.Rebuild([]firewall.Network{a}); err != nil {
		t.Fatal(err)
	}
	if err := b.DelNetwork(a); err != nil {
		t.Fatal(err)
	}
	if err := b.Rebuild(nil); err != nil {
		t.Fatal(err)
	}
	if got := state(); got != before {
		t.Fatalf("foreign tables changed:\n%s\nwere:\n%s", got, before)
	}
}

func TestBridgeBadInput(t *testing.T) {
	b, _ := newTestBridge(t)
	for _, n := range []string{"", "a-name-too-long-for-linux"} {
		if err := b.AddNetwork(firewall.Network{Bridge: n}); !types.IsBadRequest(err) {
			t.Errorf("bridge %q: %v, want a bad request", n, err)
		}
	}
}
