package libnetwork

import (
	"errors"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ns"
)

// crash ends the controller as a kill would: nothing is cleaned up, only
// the store is released for the next one.
func (e *testEnv) crash() {
	e.c.closeStores()
	e.c = nil
}

// leaveIntent writes in's record as an operation in flight would.
func (e *testEnv) leaveIntent(t *testing.T, in intent) {
	t.Helper()
	if _, err := e.c.journal.Begin(in.key(), in); err != nil {
		t.Fatal(err)
	}
}

func (e *testEnv) intentsLeft(t *testing.T) {
	t.Helper()
	if l, err := e.c.journal.List(""); err != nil || len(l) != 0 {
		t.Fatalf("intents left after the restart: %v %v", l, err)
	}
}

func hasCall(d *fakeDriver, call string) bool {
	for _, c := range d.Calls() {
		if c == call {
			return true
		}
	}
	return false
}

// TestReconcileJoin: a join killed after the driver made its interface in
// the sandbox, before the endpoint was stored as joined, is undone at the
// next start (driver leave, interface removed), and can be done again.
func TestReconcileJoin(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	ep := must(n.CreateEndpoint("ep"))(t)
	sb := must(e.c.NewSandbox("alive"))(t)
	nw, epi := n.(*network), ep.(*endpoint)
	e.leaveIntent(t, intent{Op: opJoin, Network: nw.id, Driver: fakeType, Endpoint: epi.id, Sandbox: sb.ID()})
	check(t, e.fake().Join(nw.id, epi.id, sb.Key(), &joinCtx{ep: epi}, nil))
	if len(sbLinks(t, sb.Key())) != 2 {
		t.Fatalf("the driver's join made no interface: %v", sbLinks(t, sb.Key()))
	}
	e.crash()
	e.start(configActive("alive"))
	if !hasCall(e.fake(), "Leave "+epi.id) || !hasCall(e.fake(), "Revoke "+epi.id) {
		t.Errorf("driver calls at restart: %v", e.fake().Calls())
	}
	if l := sbLinks(t, sb.Key()); len(l) != 1 || l["lo"] == nil {
		t.Fatalf("sandbox links after the restart: %v", l)
	}
	for _, l := range e.hostLinks() {
		if strings.HasPrefix(l, "fvh") {
			t.Fatalf("host end %s left", l)
		}
	}
	e.intentsLeft(t)
	sb2 := must(e.c.SandboxByID(sb.ID()))(t)
	ep2 := must(must(e.c.NetworkByName("net1"))(t).EndpointByName("ep"))(t)
	check(t, ep2.Join(sb2))
	if sbLinks(t, sb.Key())["eth0"] == nil {
		t.Fatal("no eth0 after the join done again")
	}
}

// TestReconcileDeletes: a leave and a sandbox delete killed after their
// first step are finished at the next start; a network creation killed
// after the driver's is undone.
func TestReconcileDeletes(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	nw := n.(*network)
	epA := must(n.CreateEndpoint("a"))(t)
	epB := must(n.CreateEndpoint("b"))(t)
	sbA := must(e.c.NewSandbox("sa"))(t)
	sbB := must(e.c.NewSandbox("sb"))(t)
	check(t, epA.Join(sbA))
	check(t, epB.Join(sbB))
	e.leaveIntent(t, intent{Op: opLeave, Network: nw.id, Driver: fakeType, Endpoint: epA.ID(), Sandbox: sbA.ID()})
	e.leaveIntent(t, intent{Op: opSandboxDelete, Sandbox: sbB.ID()})
	e.leaveIntent(t, intent{Op: opNetworkCreate, Network: "n-unfinished", Driver: fakeType})
	keyB := sbB.Key()
	e.crash()
	e.start(configActive("sa", "sb"))
	e.intentsLeft(t)
	if !hasCall(e.fake(), "DeleteNetwork n-unfinished") {
		t.Errorf("the unfinished network was not deleted in the driver: %v", e.fake().Calls())
	}
	n2 := must(e.c.NetworkByName("net1"))(t)
	a := must(n2.EndpointByName("a"))(t).(*endpoint)
	if a.getSandboxID() != "" {
		t.Fatal("endpoint a still joined after its leave was finished")
	}
	if _, err := n2.EndpointByName("b"); err == nil {
		t.Fatal("endpoint b survived the delete of its sandbox")
	}
	if _, err := e.c.SandboxByID(sbB.ID()); err == nil || ns.IsNetNS(keyB) {
		t.Fatal("sandbox sb survived its delete")
	}
	testutils.Eventually(t, "a's interface removed", removalDelay*5, func() error {
		if sbLinks(t, sbA.Key())["eth0"] != nil {
			return errors.New("eth0 still there")
		}
		return nil
	})
	check(t, a.Join(must(e.c.SandboxByID(sbA.ID()))(t)))
}
