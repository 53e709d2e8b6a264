package libnetwork

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/ipamapi"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
)

// TestConcurrentAttachDetach: 64 goroutines create, join, leave and delete
// on sandboxes of their own, all on one network.
func TestConcurrentAttachDetach(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/16")
	null := must(e.c.NewNetwork("null", "none", ""))(t)
	const workers, rounds = 64, 3
	for _, err := range cycleConcurrently(e.c, n, null, workers, rounds) {
		t.Error(err)
	}
	if len(n.Endpoints()) != 0 || len(e.c.Sandboxes()) != 0 || len(e.nsFiles()) != 0 {
		t.Fatalf("left: %d endpoints, %d sandboxes, namespaces %v", len(n.Endpoints()), len(e.c.Sandboxes()), e.nsFiles())
	}
}

// cycleConcurrently runs rounds attach/detach cycles (attachDetach) in
// each of workers goroutines and returns the errors that stopped any.
func cycleConcurrently(c NetworkController, n, null Network, workers, rounds int) []error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				if err := attachDetach(c, n, null, fmt.Sprintf("c%d-%d", w, r)); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

func attachDetach(c NetworkController, n, null Network, id string) error {
	sb, err := c.NewSandbox(id)
	if err != nil {
		return err
	}
	ep, err := n.CreateEndpoint(id)
	if err != nil {
		return err
	}
	nep, err := null.CreateEndpoint(id)
	if err != nil {
		return err
	}
	if err := ep.Join(sb); err != nil {
		return err
	}
	if err := nep.Join(sb); err != nil {
		return err
	}
	if ep.Info().Iface().Address() == nil || !strings.HasPrefix(ep.Info().Iface().Address().String(), "10.10.") {
		return fmt.Errorf("%s: address %v", id, ep.Info().Iface().Address())
	}
	if err := ep.Leave(sb); err != nil {
		return err
	}
	if err := ep.Delete(false); err != nil {
		return err
	}
	return sb.Delete() // leaves and deletes nep
}

// TestRestart: a new controller on the same data dir restores networks,
// endpoints and live sandboxes; stale sandboxes go with their namespaces,
// endpoints and addresses.
func TestRestart(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24", NetworkOptionLabels(map[string]string{"k": "v"}),
		NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.10.0.0/24", AuxAddresses: map[string]string{"r": "10.10.0.200"}}}, nil, nil))
	null := must(e.c.NewNetwork("null", "none", ""))(t)
	live := must(n.CreateEndpoint("live"))(t)
	stale := must(n.CreateEndpoint("stale"))(t)
	idle := must(n.CreateEndpoint("idle"))(t)
	staleNull := must(null.CreateEndpoint("stale-null"))(t)
	sbLive := must(e.c.NewSandbox("alive", OptionHostname("h1")))(t)
	sbStale := must(e.c.NewSandbox("dead"))(t)
	sbByID := must(e.c.NewSandbox("alive-by-id"))(t)
	check(t, live.Join(sbLive, JoinOptionPriority(live, 3)))
	check(t, stale.Join(sbStale))
	check(t, staleNull.Join(sbStale))
	staleAddr := stale.Info().Iface().Address().IP
	liveAddr := live.Info().Iface().Address().IP
	liveKey, staleKey := sbLive.Key(), sbStale.Key()
	// A namespace nobody owns, left by a crash.
	orphanKey := e.execRoot + "/netns/orphan"
	check(t, ns.NewPinned(orphanKey, true))

	e.restart(configActive("alive"), configActiveByID(sbByID.ID()))

	n2 := must(e.c.NetworkByName("net1"))(t)
	if n2.ID() != n.ID() || n2.Info().Labels()["k"] != "v" {
		t.Fatalf("restored network: %s %v", n2.ID(), n2.Info().Labels())
	}
	i4, _ := n2.Info().IpamInfo()
	if len(i4) != 1 || i4[0].Pool.String() != "10.10.0.0/24" || i4[0].Gateway.IP.String() != "10.10.0.1" {
		t.Fatalf("restored IPAM info: %+v", i4)
	}
	sb2 := must(e.c.SandboxByID(sbLive.ID()))(t)
	if sb2.Key() != liveKey || !ns.IsNetNS(liveKey) || sb2.(*sandbox).config.hostName != "h1" {
		t.Fatalf("live sandbox: key %s", sb2.Key())
	}
	must(e.c.SandboxByID(sbByID.ID()))(t)
	live2 := must(n2.EndpointByID(live.ID()))(t)
	if s := live2.Info().Sandbox(); s == nil || s.ID() != sbLive.ID() {
		t.Fatal("live endpoint lost its sandbox")
	}
	if live2.(*endpoint).priority() != 3 || live2.Info().Gateway().String() != "10.10.0.1" {
		t.Fatal("live endpoint lost its join info")
	}
	if sbLinks(t, liveKey)["eth0"] == nil {
		t.Fatal("live sandbox lost eth0")
	}
	idle2 := must(n2.EndpointByID(idle.ID()))(t)
	if idle2.Info().Sandbox() != nil || !idle2.Info().Iface().Address().IP.Equal(idle.Info().Iface().Address().IP) {
		t.Fatal("idle endpoint not restored as it was")
	}
	// Stale sandbox, its endpoints and namespaces are gone.
	if _, err := e.c.SandboxByID(sbStale.ID()); !types.IsNotFound(err) {
		t.Fatalf("stale sandbox restored: %v", err)
	}
	if ns.IsNetNS(staleKey) || ns.IsNetNS(orphanKey) {
		t.Fatal("stale namespaces left")
	}
	if _, err := n2.EndpointByID(stale.ID()); !types.IsNotFound(err) {
		t.Fatal("stale endpoint restored")
	}
	null2 := must(e.c.NetworkByName("none"))(t)
	if _, err := null2.EndpointByID(staleNull.ID()); !types.IsNotFound(err) {
		t.Fatal("stale null endpoint restored")
	}
	if len(e.nsFiles()) != 2 {
		t.Fatalf("namespaces under the exec root: %v", e.nsFiles())
	}
	// Addresses: the stale one is free, the live, idle, gateway and aux ones are not.
	x := must(n2.CreateEndpoint("x", CreateOptionIpam(staleAddr, nil, nil)))(t)
	for _, ip := range []net.IP{liveAddr, idle.Info().Iface().Address().IP, net.ParseIP("10.10.0.1"), net.ParseIP("10.10.0.200")} {
		if _, err := n2.CreateEndpoint("y", CreateOptionIpam(ip, nil, nil)); !types.IsForbidden(err) {
			t.Fatalf("address %s allocatable after restart: %v", ip, err)
		}
	}
	// A network with endpoints is still not deletable; the null network is single.
	if err := n2.Delete(); !types.IsForbidden(err) {
		t.Fatalf("delete network with endpoints after restart: %v", err)
	}
	if _, err := e.c.NewNetwork("null", "none2", ""); !types.IsForbidden(err) {
		t.Fatalf("second null network after restart: %v", err)
	}
	if _, err := e.c.NewNetwork(fakeType, "net1", ""); !types.IsForbidden(err) {
		t.Fatalf("duplicate network name after restart: %v", err)
	}
	if _, err := e.c.NewSandbox("alive"); !types.IsForbidden(err) {
		t.Fatalf("second sandbox for a live container: %v", err)
	}
	// The restored objects work.
	check(t, live2.Leave(sb2))
	eventually(t, "eth0 removed", func() bool { return sbLinks(t, liveKey)["eth0"] == nil })
	check(t, live2.Join(sb2))
	check(t, sb2.Delete())
	check(t, x.Delete(false))
	check(t, idle2.Delete(false))
	check(t, must(e.c.SandboxByID(sbByID.ID()))(t).Delete())
	check(t, n2.Delete())
	if len(e.nsFiles()) != 0 {
		t.Fatalf("namespaces left: %v", e.nsFiles())
	}
	// Restart with nothing: the store is empty but for the null network.
	e.restart()
	if len(e.c.Networks()) != 1 || len(e.c.Sandboxes()) != 0 {
		t.Fatalf("after second restart: %d networks, %d sandboxes", len(e.c.Networks()), len(e.c.Sandboxes()))
	}
	must(e.c.NewNetwork(fakeType, "net1", "", NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: "10.10.0.0/24"}}, nil, nil)))(t)
}

// TestLeaks runs 200 create/join/leave/delete cycles and checks that no
// namespace, link or address is left.
func TestLeaks(t *testing.T) {
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	linksBefore := e.hostLinks()
	const cycles = 200
	used := map[string]bool{}
	for i := 0; i < cycles; i++ {
		id := fmt.Sprintf("c%d", i)
		sb := must(e.c.NewSandbox(id))(t)
		ep := must(n.CreateEndpoint(id))(t)
		check(t, ep.Join(sb))
		used[ep.Info().Iface().Address().IP.String()] = true
		check(t, ep.Leave(sb))
		check(t, ep.Delete(false))
		check(t, sb.Delete())
	}
	if len(e.nsFiles()) != 0 {
		t.Fatalf("namespaces left: %v", e.nsFiles())
	}
	eventually(t, "host links back to the start", func() bool {
		return strings.Join(e.hostLinks(), ",") == strings.Join(linksBefore, ",")
	})
	ipam, _, err := e.c.ipamDriver(ipamapi.DefaultIPAM)
	check(t, err)
	dump := ipam.(interface{ DumpDatabase() string }).DumpDatabase()
	i4, _ := n.Info().IpamInfo()
	// Every address used is free: request each one back explicitly.
	for ip := range used {
		a, _, err := ipam.RequestAddress(i4[0].PoolID, net.ParseIP(ip), nil)
		if err != nil {
			t.Fatalf("address %s still held after the cycles: %v\n%s", ip, err, dump)
		}
		check(t, ipam.ReleaseAddress(i4[0].PoolID, a.IP))
	}
	check(t, n.Delete())
	if d := ipam.(interface{ DumpDatabase() string }).DumpDatabase(); strings.Contains(d, "10.10.0.0") {
		t.Fatalf("pool still held after the network's delete:\n%s", d)
	}
	if len(e.c.Sandboxes()) != 0 {
		t.Fatal("sandboxes left")
	}
}

// TestCrashRecovery: a controller that ends without Stop leaves a retired
// interface in a live sandbox, and an interface of a dead sandbox in the
// runtime's own namespace; the next controller removes both.
func TestCrashRecovery(t *testing.T) {
	old := removalDelay
	removalDelay = time.Hour
	t.Cleanup(func() { removalDelay = old })
	e := newTestEnv(t)
	n := e.fakeNetwork("net1", "10.10.0.0/24")
	ep := must(n.CreateEndpoint("ep"))(t)
	sb := must(e.c.NewSandbox("alive"))(t)
	check(t, ep.Join(sb))
	check(t, ep.Leave(sb))
	if sbLinks(t, sb.Key())["eth0"] == nil {
		t.Fatal("retired eth0 already gone")
	}
	extEp := must(n.CreateEndpoint("ext"))(t)
	ext := must(e.c.NewSandbox("dead", OptionUseExternalKey()))(t)
	path, _ := testutils.NewNS(t, "runtime")
	check(t, ext.SetKey(path))
	check(t, extEp.Join(ext))
	if sbLinks(t, path)["eth0"] == nil {
		t.Fatal("no eth0 in the runtime's namespace")
	}
	// Crash: the store is released, nothing else is cleaned up.
	e.c.closeStores()
	e.c = nil
	e.start(configActive("alive"))
	if sbLinks(t, sb.Key())["eth0"] != nil {
		t.Fatal("retired interface survived the restart")
	}
	if sbLinks(t, path)["eth0"] != nil {
		t.Fatal("dead sandbox's interface left in the runtime's namespace")
	}
	if ns.IsNetNS(ext.Key()) {
		t.Fatal("dead sandbox's key still bound")
	}
	if !ns.IsNetNS(path) {
		t.Fatal("the runtime's namespace was removed")
	}
}
