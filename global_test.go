package libnetwork

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/config"
	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/types"
)

// globalCluster starts an etcd member and a test cluster of the given
// nodes (each joining the first), every controller on that etcd as its
// cluster store. The etcd starts before the test moves into a namespace
// of its own, so that every thread of the process reaches it.
func globalCluster(t testing.TB, nodes ...string) (*testutils.Etcd, *testCluster) {
	t.Helper()
	e := testutils.StartEtcd(t, nil)
	tc := newTestCluster(t)
	for i, name := range nodes {
		if i == 0 {
			tc.add(name)
		} else {
			tc.add(name, nodes[0])
		}
	}
	for _, name := range nodes {
		tc.start(name, clusterStore(e)...)
	}
	return e, tc
}

// clusterStore are the options of a controller on etcd e.
func clusterStore(e *testutils.Etcd) []config.Option {
	return []config.Option{config.OptionKVProvider("etcd"), config.OptionKVProviderURL(e.ClientAddr)}
}

func poolOption(pool string) NetworkOption {
	return NetworkOptionIpam("", "", []*IpamConf{{PreferredPool: pool}}, nil, nil)
}

// waitNetwork waits until c has a network named name and returns it.
func waitNetwork(t testing.TB, c *controller, name string) Network {
	t.Helper()
	var nw Network
	eventually(t, "network "+name+" on "+c.nodeName(), func() bool {
		n, err := c.NetworkByName(name)
		nw = n
		return err == nil
	})
	return nw
}

// TestGlobalNetworkAcrossHosts: a network of a global-scope driver created
// once on one host appears on the others, endpoints made on every host at
// once get distinct addresses, and the network cannot be deleted while any
// host has an endpoint on it.
func TestGlobalNetworkAcrossHosts(t *testing.T) {
	_, tc := globalCluster(t, "a", "b", "c")
	a, b, c := tc.nodes["a"].c, tc.nodes["b"].c, tc.nodes["c"].c

	na := must(a.NewNetwork(gossipType, "gnet", "", poolOption("10.70.0.0/24")))(t)
	nb := waitNetwork(t, b, "gnet")
	nc := waitNetwork(t, c, "gnet")
	if nb.ID() != na.ID() || nc.ID() != na.ID() {
		t.Fatalf("network IDs: a %s, b %s, c %s", na.ID(), nb.ID(), nc.ID())
	}
	if got := b.nodes(t, gossipType); !got[na.ID()] {
		t.Fatalf("driver of b was not told of the network: %v", got)
	}

	// The name is the cluster's.
	if _, err := b.NewNetwork(gossipType, "gnet", "", poolOption("10.71.0.0/24")); !isNameError(err) {
		t.Fatalf("second gnet on b: %v; want a NetworkNameError", err)
	}
	// So is the address space: an overlapping pool is refused anywhere.
	if _, err := c.NewNetwork(gossipType, "other", "", poolOption("10.70.0.0/25")); err == nil {
		t.Fatal("overlapping pool on c accepted")
	}

	const perHost = 20
	var (
		mu    sync.Mutex
		addrs = map[string]string{}
		wg    sync.WaitGroup
		errs  = make(chan error, 3*perHost)
	)
	for _, nw := range []Network{na, nb, nc} {
		for i := 0; i < perHost; i++ {
			wg.Add(1)
			go func(nw Network, i int) {
				defer wg.Done()
				ep, err := nw.CreateEndpoint(fmt.Sprintf("ep%d", i))
				if err != nil {
					errs <- err
					return
				}
				ip := ep.Info().Iface().Address().IP.String()
				mu.Lock()
				defer mu.Unlock()
				if prev, dup := addrs[ip]; dup {
					errs <- fmt.Errorf("address %s given to %s and %s", ip, prev, ep.ID())
				}
				addrs[ip] = ep.ID()
			}(nw, i)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	if len(addrs) != 3*perHost {
		t.Fatalf("%d distinct addresses, want %d", len(addrs), 3*perHost)
	}

	// Delete is refused while any host has endpoints; the error names the
	// network and the count.
	for _, nw := range []Network{na, nb, nc} {
		for _, ep := range nw.Endpoints() {
			if nw == nc && ep.Name() == "ep0" {
				continue
			}
			check(t, ep.Delete(false))
		}
	}
	err := na.Delete()
	if !types.IsForbidden(err) || !strings.Contains(err.Error(), "gnet") || !strings.Contains(err.Error(), "1 endpoints") {
		t.Fatalf("delete with an endpoint on c: %v; want a ForbiddenError naming gnet and 1 endpoint", err)
	}
	check(t, nc.Endpoints()[0].Delete(false))
	check(t, na.Delete())
	for _, h := range []*controller{b, c} {
		eventually(t, "gnet gone from "+h.nodeName(), func() bool {
			_, err := h.NetworkByName("gnet")
			return err != nil
		})
	}
	// The pool is free again in the cluster.
	must(c.NewNetwork(gossipType, "again", "", poolOption("10.70.0.0/24")))(t)
}

// TestGlobalRestart: a controller restarted on the cluster store gets its
// own endpoints back (not the other hosts'), with the same addresses, and
// no address is given twice afterwards.
func TestGlobalRestart(t *testing.T) {
	e, tc := globalCluster(t, "a", "b")
	a, b := tc.nodes["a"].c, tc.nodes["b"].c
	na := must(a.NewNetwork(gossipType, "gnet", "", poolOption("10.72.0.0/24")))(t)
	nb := waitNetwork(t, b, "gnet")
	epA := must(na.CreateEndpoint("ea"))(t)
	epB := must(nb.CreateEndpoint("eb"))(t)

	tc.stop("b")
	b = tc.start("b", clusterStore(e)...).c
	// The restarted client's first connection to etcd sometimes stalls
	// for gRPC's 20 s connect bound (not understood yet); the network
	// then comes with the store's return.
	testutils.Eventually(t, "gnet after restart of b", 40*time.Second, testutils.Holds(func() bool {
		var err error
		nb, err = b.NetworkByName("gnet")
		return err == nil
	}))
	eps := nb.Endpoints()
	if len(eps) != 1 || eps[0].ID() != epB.ID() {
		t.Fatalf("endpoints of b after restart: %v; want only %s", eps, epB.ID())
	}
	if !eps[0].Info().Iface().Address().IP.Equal(epB.Info().Iface().Address().IP) {
		t.Fatalf("address of eb after restart: %v, was %v", eps[0].Info().Iface().Address(), epB.Info().Iface().Address())
	}
	ep2 := must(nb.CreateEndpoint("eb2"))(t)
	for _, old := range []Endpoint{epA, epB} {
		if ep2.Info().Iface().Address().IP.Equal(old.Info().Iface().Address().IP) {
			t.Fatalf("address %v given again after restart", old.Info().Iface().Address())
		}
	}
}

// TestGlobalOverlayVXLANIDs: overlay networks created without a VXLAN ID
// get one from the cluster store, distinct across hosts; an ID in use is
// refused; another host creates the network with the same ID.
func TestGlobalOverlayVXLANIDs(t *testing.T) {
	_, tc := globalCluster(t, "a", "b")
	a, b := tc.nodes["a"].c, tc.nodes["b"].c
	n1 := must(a.NewNetwork("overlay", "ov1", "", poolOption("10.73.0.0/24")))(t)
	n2 := must(b.NewNetwork("overlay", "ov2", "", poolOption("10.74.0.0/24")))(t)
	v1, v2 := vxlanList(n1), vxlanList(n2)
	if v1 == "" || v2 == "" || v1 == v2 {
		t.Fatalf("VXLAN IDs: ov1 %q, ov2 %q; want two distinct ones", v1, v2)
	}
	if got := vxlanList(waitNetwork(t, b, "ov1")); got != v1 {
		t.Fatalf("ov1 on b has VXLAN IDs %q, want %q", got, v1)
	}
	_, err := a.NewNetwork("overlay", "ov3", "", poolOption("10.75.0.0/24"),
		NetworkOptionDriverOpts(map[string]string{netlabel.OverlayVxlanIDList: v2}))
	if !types.IsConflict(err) || !strings.Contains(err.Error(), v2) {
		t.Fatalf("ov3 with the VXLAN ID of ov2: %v; want a ConflictError naming %s", err, v2)
	}
	check(t, n2.Delete())
	must(a.NewNetwork("overlay", "ov3", "", poolOption("10.75.0.0/24"),
		NetworkOptionDriverOpts(map[string]string{netlabel.OverlayVxlanIDList: v2})))(t)
}

func vxlanList(nw Network) string {
	return nw.(*network).driverOpts()[netlabel.OverlayVxlanIDList]
}

func isNameError(err error) bool {
	_, ok := err.(NetworkNameError)
	return ok
}

// nodes lists the networks the gossip driver of c was told of.
func (c *controller) nodes(t *testing.T, ntype string) map[string]bool {
	t.Helper()
	d, _ := c.reg.Driver(ntype)
	g := d.(*gossipDriver)
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[string]bool{}
	for nid := range g.nInfos {
		out[nid] = true
	}
	return out
}

// TestGlobalEndpointOnDeletedNetwork: an endpoint created on a host that
// has not yet seen the network's deletion elsewhere is refused, and
// leaves nothing taken.
func TestGlobalEndpointOnDeletedNetwork(t *testing.T) {
	_, tc := globalCluster(t, "a", "b")
	a, b := tc.nodes["a"].c, tc.nodes["b"].c
	na := must(a.NewNetwork(gossipType, "gnet", "", poolOption("10.76.0.0/24")))(t)
	nb := waitNetwork(t, b, "gnet")
	// b knows the count (cached) before a deletes the network.
	check(t, must(nb.CreateEndpoint("e1"))(t).Delete(false))
	b.stopGlobalWatch() // b does not hear of the delete
	check(t, na.Delete())
	_, err := nb.CreateEndpoint("e2")
	if !types.IsForbidden(err) || !strings.Contains(err.Error(), "being deleted") {
		t.Fatalf("endpoint on a network deleted elsewhere: %v; want a ForbiddenError", err)
	}
	// The pool was released with the network: a takes it again.
	must(a.NewNetwork(gossipType, "again", "", poolOption("10.76.0.0/24")))(t)
}

// TestGlobalStoreDown: with etcd down, calls that need the cluster store
// fail with a types.NoServiceError naming the store's address, local
// networks keep working; once etcd is back the controller resumes without
// a restart and catches up on the networks created meanwhile.
func TestGlobalStoreDown(t *testing.T) {
	e, tc := globalCluster(t, "a", "b")
	a, b := tc.nodes["a"].c, tc.nodes["b"].c
	na := must(a.NewNetwork(gossipType, "gnet", "", poolOption("10.77.0.0/24")))(t)
	waitNetwork(t, b, "gnet")
	local := must(a.NewNetwork(fakeType, "lnet", "", poolOption("10.78.0.0/24")))(t)

	e.Kill()
	t0 := time.Now()
	_, err := na.CreateEndpoint("e1")
	took := time.Since(t0)
	if !types.IsNoService(err) || !strings.Contains(err.Error(), e.ClientAddr) {
		t.Fatalf("endpoint with etcd down: %v; want a NoServiceError naming %s", err, e.ClientAddr)
	}
	t.Logf("endpoint create with etcd down failed after %v: %v", took, err)
	if _, err := a.NewNetwork(gossipType, "g2", "", poolOption("10.79.0.0/24")); !types.IsNoService(err) || !strings.Contains(err.Error(), e.ClientAddr) {
		t.Fatalf("network with etcd down: %v; want a NoServiceError naming %s", err, e.ClientAddr)
	}
	if err := na.Delete(); !types.IsNoService(err) {
		t.Fatalf("delete with etcd down: %v; want a NoServiceError", err)
	}
	t.Logf("global calls refused %v after etcd was killed", time.Since(t0))
	// Local networks do not need the store.
	lep := must(local.CreateEndpoint("l1"))(t)
	check(t, lep.Delete(false))

	restartEtcd(e)
	t0 = time.Now()
	// a's watch resumes: a network created on b meanwhile is seen on a.
	eventually(t, "endpoint create after etcd is back", func() bool {
		ep, err := na.CreateEndpoint("e1")
		if err != nil {
			return false
		}
		return ep.Delete(false) == nil
	})
	t.Logf("endpoint create works again %v after etcd is back", time.Since(t0))
	must(b.NewNetwork(gossipType, "g3", "", poolOption("10.79.0.0/24")))(t)
	waitNetwork(t, a, "g3")
	t.Logf("network of b seen on a %v after etcd is back", time.Since(t0))
	if err := na.Delete(); err != nil {
		r := &epCountRecord{nid: na.ID()}
		_ = a.sharedStore().GetObject(datastore.Key(r.Key()...), r)
		a.global.mu.Lock()
		t.Logf("count %+v, pending %v", r.Endpoints, a.global.unlisted)
		a.global.mu.Unlock()
		t.Fatal(err)
	}
	eventually(t, "gnet gone from b", func() bool {
		_, err := b.NetworkByName("gnet")
		return err != nil
	})
}

// restartEtcd starts e again from a goroutine of its own: the test's
// goroutine is locked in a namespace of the test, and etcd must be born
// in the process's namespace, where every other thread reaches it.
func restartEtcd(e *testutils.Etcd) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Start()
	}()
	<-done
}

// TestGlobalStartWhileDown: a controller started while its cluster store
// is down comes up with its local networks, and attaches the cluster's
// networks once the store is back.
func TestGlobalStartWhileDown(t *testing.T) {
	e, tc := globalCluster(t, "a", "b")
	a := tc.nodes["a"].c
	must(a.NewNetwork(gossipType, "gnet", "", poolOption("10.82.0.0/24")))(t)
	b := tc.nodes["b"].c
	nb := waitNetwork(t, b, "gnet")
	must(b.NewNetwork(fakeType, "lnet", "", poolOption("10.83.0.0/24")))(t)
	// Endpoints of b: one alone, one joined to a sandbox that lives on,
	// one joined to a sandbox that does not.
	alone := must(nb.CreateEndpoint("alone"))(t)
	live, sbLive := joined(t, b, nb, "live", "c-live")
	_, _ = joined(t, b, nb, "dead", "c-dead")
	tc.stop("b")
	e.Kill()

	t0 := time.Now()
	b = tc.start("b", append(clusterStore(e), config.OptionActiveSandboxes(map[string]interface{}{sbLive.ContainerID(): nil}))...).c
	t.Logf("controller started in %v with its cluster store down", time.Since(t0))
	if _, err := b.NetworkByName("gnet"); err == nil {
		t.Fatal("gnet restored without the cluster store")
	}
	lnet, err := b.NetworkByName("lnet")
	if err != nil {
		t.Fatalf("local network after a start with the store down: %v", err)
	}
	check(t, must(lnet.CreateEndpoint("l1"))(t).Delete(false))

	restartEtcd(e)
	nb = waitNetwork(t, b, "gnet")
	// The network shows before its endpoints are sorted out.
	eventually(t, "endpoints alone and live on b", func() bool {
		eps := map[string]bool{}
		for _, ep := range nb.Endpoints() {
			eps[ep.Name()] = true
		}
		return len(eps) == 2 && eps["alone"] && eps["live"]
	})
	sb := must(b.SandboxByID(sbLive.ID()))(t)
	eventually(t, "live re-attached to its sandbox", func() bool {
		got := sb.Endpoints()
		return len(got) == 1 && got[0].ID() == live.ID()
	})
	check(t, must(nb.CreateEndpoint("e1"))(t).Delete(false))
	// Once b's endpoints are gone, the network can go: the dead one was
	// taken out of the count.
	check(t, must(b.SandboxByID(sbLive.ID()))(t).Delete())
	check(t, must(nb.EndpointByID(alone.ID()))(t).Delete(false))
	check(t, must(a.NetworkByName("gnet"))(t).Delete())
}

// TestGlobalGarbage: garbage under the cluster store's network keys is
// skipped (with a log line): networks are still created, listed by the
// watch and restored.
func TestGlobalGarbage(t *testing.T) {
	e, tc := globalCluster(t, "a", "b")
	a := tc.nodes["a"].c
	kv := a.sharedStore().KVStore()
	check(t, kv.Put(datastore.Key(networkKeyPrefix, "garbage"), []byte("{not json"), nil))
	check(t, kv.Put(datastore.Key(networkKeyPrefix, "newer"), []byte(`{"ID":"newer","Name":"future","Type":"gossipfake","Scope":"global","Persist":true,"FieldOfTomorrow":{"x":1}}`), nil))
	must(a.NewNetwork(gossipType, "gnet", "", poolOption("10.84.0.0/24")))(t)
	waitNetwork(t, tc.nodes["b"].c, "gnet")
	waitNetwork(t, tc.nodes["b"].c, "future") // unknown fields are ignored
	tc.stop("b")
	b := tc.start("b", clusterStore(e)...).c
	if _, err := b.NetworkByName("gnet"); err != nil {
		t.Fatalf("gnet after restart with garbage in the store: %v", err)
	}
}

// TestGlobalNameRace: networks of one name created at once on two hosts:
// exactly one is created.
func TestGlobalNameRace(t *testing.T) {
	_, tc := globalCluster(t, "a", "b")
	for round := 0; round < 5; round++ {
		name := fmt.Sprintf("race%d", round)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		nws := make([]Network, 2)
		for i, h := range []string{"a", "b"} {
			wg.Add(1)
			go func(i int, c *controller) {
				defer wg.Done()
				nws[i], errs[i] = c.NewNetwork(gossipType, name, "", poolOption(fmt.Sprintf("10.%d.%d.0/24", 90+i, round)))
			}(i, tc.nodes[h].c)
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: errors %v and %v; want exactly one creation", round, errs[0], errs[1])
		}
		for i, err := range errs {
			if err != nil && !isNameError(err) {
				t.Fatalf("round %d: the loser's error %v; want a NetworkNameError", round, err)
			}
			if err == nil {
				// Its name is free again once it is deleted.
				check(t, nws[i].Delete())
			}
		}
		b := tc.nodes["b"].c
		eventually(t, name+" gone from b", func() bool {
			_, err := b.NetworkByName(name)
			return err != nil
		})
		must(b.NewNetwork(gossipType, name, "", poolOption(fmt.Sprintf("10.92.%d.0/24", round))))(t)
	}
}
