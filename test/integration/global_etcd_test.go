package integration

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/api"
	"github.com/cnmkit/libnetwork/internal/testutils"
)

// newEtcdMHCluster makes n hosts with one member of a three-member etcd
// cluster in each (on its underlay address) and a dnet daemon on each
// started with --cluster-store on all the members.
func newEtcdMHCluster(t testing.TB, bins dnetBinaries, n int) (*mhCluster, []*testutils.Etcd) {
	t.Helper()
	var members []*testutils.Etcd
	c := newMHClusterWith(t, bins, n, func(c *mhCluster) {
		var ms []testutils.EtcdMember
		for _, h := range c.hosts {
			ms = append(ms, testutils.EtcdMember{NS: h.ns, IP: h.ip.String()})
		}
		members = testutils.StartEtcdCluster(t, ms)
		var addrs []string
		for _, m := range members {
			addrs = append(addrs, m.ClientAddr)
		}
		url := "etcd://" + strings.Join(addrs, ",")
		c.extraArgs = func(*mhHost) []string { return []string{"--cluster-store", url} }
	})
	return c, members
}

// createGlobal creates an overlay network on h with only a name and a
// subnet: no ID, no VXLAN ID.
func createGlobal(t testing.TB, h *mhHost, name, subnet string) mhNet {
	t.Helper()
	ctx, cancel := mhCtx()
	defer cancel()
	got, err := h.cl.CreateNetwork(ctx, api.NetworkCreate{Name: name, Driver: "overlay", IPAM: []api.IPAMConfig{{Subnet: subnet}}})
	if err != nil {
		t.Fatalf("%s: create network %s: %v", h.name, name, err)
	}
	if got.Scope != "global" {
		t.Fatalf("%s: network %+v, want global scope", h.name, got)
	}
	return mhNet{id: got.ID, name: name, subnet: subnet}
}

// listed reports whether h lists network n.
func listed(h *mhHost, n mhNet) error {
	ctx, cancel := mhCtx()
	defer cancel()
	nws, err := h.cl.Networks(ctx)
	if err != nil {
		return err
	}
	for _, nw := range nws {
		if nw.ID == n.id && nw.Name == n.name {
			return nil
		}
	}
	return fmt.Errorf("%s does not list network %s (%s)", h.name, n.name, n.id)
}

// TestGlobalEtcdMultiHost: three dnet daemons on a three-member etcd
// cluster. The overlay network created once on host 1 (no ID, no VXLAN
// ID) is listed on hosts 2 and 3; 50 endpoints created in parallel on
// each host get 150 distinct addresses; containers on every host reach
// each other by name; delete is refused while host 3 has an endpoint, and
// once allowed the network goes from every host; with one etcd member
// killed every host keeps working.
func TestGlobalEtcdMultiHost(t *testing.T) {
	testutils.RequireRoot(t)
	bins := dnetBuild(t, t.TempDir())
	c, members := newEtcdMHCluster(t, bins, 3)
	h1, h3 := c.host(1), c.host(3)

	start := time.Now()
	n := createGlobal(t, h1, mhOverlay.name, "10.77.0.0/22")
	for _, h := range c.hosts[1:] {
		mhPoll(t, h.name+" lists the network", mhBound, func() error { return listed(h, n) })
	}
	t.Logf("network listed on hosts 2 and 3 %v after its creation on host 1", time.Since(start))

	const perHost = 50
	var (
		mu    sync.Mutex
		addrs = map[string]string{}
		errs  []error
		wg    sync.WaitGroup
	)
	start = time.Now()
	for _, h := range c.hosts {
		for i := 0; i < perHost; i++ {
			wg.Add(1)
			go func(h *mhHost, i int) {
				defer wg.Done()
				ctx, cancel := mhCtx()
				defer cancel()
				name := fmt.Sprintf("e%d-%d", h.idx, i)
				ep, err := h.cl.CreateEndpoint(ctx, n.id, api.EndpointCreate{Name: name})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: create endpoint %s: %w", h.name, name, err))
					return
				}
				ip, _, err := net.ParseCIDR(ep.IPv4Address)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: endpoint %s has address %q", h.name, name, ep.IPv4Address))
					return
				}
				if prev, dup := addrs[ip.String()]; dup {
					errs = append(errs, fmt.Errorf("address %s given to %s and %s", ip, prev, name))
				}
				addrs[ip.String()] = name
			}(h, i)
		}
	}
	wg.Wait()
	t.Logf("%d endpoints created in parallel on 3 hosts in %v", 3*perHost, time.Since(start))
	for _, err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	if len(addrs) != 3*perHost {
		t.Fatalf("%d distinct addresses, want %d", len(addrs), 3*perHost)
	}
	for _, h := range c.hosts {
		ctx, cancel := mhCtx()
		eps, err := h.cl.Endpoints(ctx, n.id)
		cancel()
		must(t, err)
		if len(eps) != perHost {
			t.Fatalf("%s lists %d endpoints on the network, want its own %d", h.name, len(eps), perHost)
		}
		for _, ep := range eps {
			ctx, cancel := mhCtx()
			must(t, h.cl.DeleteEndpoint(ctx, n.id, ep.ID, false))
			cancel()
		}
	}

	// A container on every host, addresses from the cluster: they reach
	// each other by name.
	var ctrs []*mhCtr
	var serve []string
	for _, h := range c.hosts {
		ct := h.run(n, "c"+itoa(h.idx), "")
		ctrs = append(ctrs, ct)
		serve = append(serve, ct.serve(7000))
	}
	ips := map[string]bool{}
	for _, ct := range ctrs {
		ips[ct.ip.String()] = true
	}
	if len(ips) != len(ctrs) {
		t.Fatalf("containers' addresses are not distinct: %v", ips)
	}
	meshTalks(t, ctrs, serve, mhFailBound)

	// Delete is refused while host 3 has an endpoint.
	for _, ct := range ctrs[:2] {
		ct.remove()
	}
	ctx, cancel := mhCtx()
	err := h1.cl.DeleteNetwork(ctx, n.id)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "1 endpoints") || !strings.Contains(err.Error(), n.name) {
		t.Fatalf("delete on host 1 while host 3 has an endpoint: %v; want a refusal naming %s and 1 endpoint", err, n.name)
	}
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 403 {
		t.Fatalf("delete refused with %v, want status 403", err)
	}
	ctrs[2].remove()
	ctx, cancel = mhCtx()
	must(t, h1.cl.DeleteNetwork(ctx, n.id))
	cancel()
	for _, h := range c.hosts[1:] {
		mhPoll(t, h.name+" no longer lists the network", mhBound, func() error {
			if listed(h, n) == nil {
				return fmt.Errorf("%s still lists %s", h.name, n.name)
			}
			return nil
		})
	}
	// Network, VXLAN ID and pool are free again: created anew from host 2.
	n2 := createGlobal(t, c.host(2), mhOverlay.name, "10.77.0.0/22")
	mhPoll(t, "host 1 lists the new network", mhBound, func() error { return listed(h1, n2) })

	// One etcd member killed (host 3's own): every host keeps working.
	members[2].Kill()
	for _, h := range c.hosts {
		ctx, cancel := mhCtx()
		ep, err := h.cl.CreateEndpoint(ctx, n2.id, api.EndpointCreate{Name: "one-down-" + itoa(h.idx)})
		if err != nil {
			cancel()
			t.Fatalf("%s: endpoint with one etcd member down: %v", h.name, err)
		}
		must(t, h.cl.DeleteEndpoint(ctx, n2.id, ep.ID, false))
		cancel()
	}
	ctx, cancel = mhCtx()
	must(t, c.host(2).cl.DeleteNetwork(ctx, n2.id))
	cancel()
	for _, h := range []*mhHost{h1, h3} {
		mhPoll(t, h.name+" no longer lists the new network", mhBound, func() error {
			if listed(h, n2) == nil {
				return fmt.Errorf("%s still lists %s", h.name, n2.name)
			}
			return nil
		})
	}
}

// crashAt restarts h's daemon to die at crashpoint step, runs op (which
// must fail: the daemon dies), then starts the daemon again.
func crashAt(t *testing.T, h *mhHost, step string, op func() error) {
	t.Helper()
	h.stopProc(h.d)
	if h.c.env == nil {
		h.c.env = map[*mhHost][]string{}
	}
	h.c.env[h] = []string{"CNMKIT_CRASHPOINT=" + step}
	h.start()
	if err := op(); err == nil {
		t.Fatalf("%s: the operation succeeded: no crash at %s", h.name, step)
	}
	select {
	case <-h.d.done:
	case <-time.After(mhBound):
		t.Fatalf("%s: the daemon did not die at %s", h.name, step)
	}
	h.start()
}

// TestGlobalEtcdCrash: a daemon killed after taking a name, a VXLAN ID and
// a pool for a network, or an address for an endpoint, before storing the
// object, gives them back when it starts again: another host then takes
// the same name, VXLAN ID, pool and address, and the network's endpoint
// count does not keep the endpoint that never was.
func TestGlobalEtcdCrash(t *testing.T) {
	testutils.RequireRoot(t)
	bins := dnetBuild(t, t.TempDir())
	c, _ := newEtcdMHCluster(t, bins, 3)
	h1, h2 := c.host(1), c.host(2)
	const subnet = "10.77.0.0/24"

	crashAt(t, h1, "network-claim/vxlan", func() error {
		ctx, cancel := mhCtx()
		defer cancel()
		_, err := h1.cl.CreateNetwork(ctx, api.NetworkCreate{Name: "crashed", Driver: "overlay", IPAM: []api.IPAMConfig{{Subnet: subnet}}})
		return err
	})
	// The first VXLAN ID of the cluster (4096) and the pool are free again.
	ctx, cancel := mhCtx()
	got, err := h2.cl.CreateNetwork(ctx, api.NetworkCreate{Name: mhOverlay.name, Driver: "overlay", IPAM: []api.IPAMConfig{{Subnet: subnet}},
		Options: map[string]string{"com.docker.network.driver.overlay.vxlanid_list": "4096"}})
	cancel()
	if err != nil {
		t.Fatalf("network with the VXLAN ID and pool of the crashed creation: %v", err)
	}
	n := mhNet{id: got.ID, name: got.Name, subnet: subnet}
	mhPoll(t, "host 1 lists the network", mhBound, func() error { return listed(h1, n) })
	// So is the name.
	ctx, cancel = mhCtx()
	again, err := h2.cl.CreateNetwork(ctx, api.NetworkCreate{Name: "crashed", Driver: "overlay", IPAM: []api.IPAMConfig{{Subnet: "10.78.0.0/24"}}})
	if err != nil {
		cancel()
		t.Fatalf("network with the name of the crashed creation: %v", err)
	}
	must(t, h2.cl.DeleteNetwork(ctx, again.ID))
	cancel()

	crashAt(t, h1, "endpoint-claim/address", func() error {
		ctx, cancel := mhCtx()
		defer cancel()
		_, err := h1.cl.CreateEndpoint(ctx, n.id, api.EndpointCreate{Name: "crashed"})
		return err
	})
	// The first address after the gateway is free again.
	ctx, cancel = mhCtx()
	ep, err := h2.cl.CreateEndpoint(ctx, n.id, api.EndpointCreate{Name: "e1", IPv4Address: "10.77.0.2"})
	cancel()
	if err != nil {
		t.Fatalf("endpoint with the address of the crashed creation: %v", err)
	}
	ctx, cancel = mhCtx()
	defer cancel()
	must(t, h2.cl.DeleteEndpoint(ctx, n.id, ep.ID, false))
	// Nothing counts the endpoint that never was.
	must(t, h1.cl.DeleteNetwork(ctx, n.id))
}
