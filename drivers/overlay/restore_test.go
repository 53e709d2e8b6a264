package overlay

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/netlabel"
	"github.com/cnmkit/libnetwork/netutils"
	"github.com/docker/libkv/store"
)

// newStore opens a local boltdb store in dir.
func newStore(t *testing.T, dir string) datastore.DataStore {
	t.Helper()
	s, err := datastore.NewDataStore(datastore.LocalScope, &datastore.ScopeCfg{Client: datastore.ScopeClientCfg{
		Provider: string(store.BOLTDB), Address: filepath.Join(dir, "local-kv.db"),
		Config: &store.Config{Bucket: "cnmkit", ConnectionTimeout: time.Second, PersistConnection: true}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestRestart: a driver closed and started again (same store, same exec
// root) re-adopts its joined endpoint without touching it, can join the
// endpoint it had created, removes the peer entries nobody re-announces
// and the namespaces of networks not created again.
func TestRestart(t *testing.T) {
	c := newCluster(t, 2, clusterOpts{})
	h1, h2 := c.hosts[0], c.hosts[1]
	st := newStore(t, t.TempDir())
	const grace = time.Second
	h1.d.Close()
	h1.d = c.startDriver(h1, netlabel.LocalKVClient, st, RestartGraceKey, grace)

	n := netSpec{id: "r", vnis: "5100", v4: []string{"10.110.0.0/24"}}
	gone := netSpec{id: "gone", vnis: "5101", v4: []string{"10.111.0.0/24"}}
	c.createNet(n)
	c.createNet(gone, h1)
	c1 := c.newContainer(h1, "c1")
	c.endpoint(c1, n.id, "e1", "10.110.0.11/24", "")
	c.join(c1)
	c1.serveTCP(t, testPort)
	c1b := c.newContainer(h1, "c1b")
	c.endpoint(c1b, n.id, "e1b", "10.110.0.21/24", "")
	cg := c.newContainer(h1, "cg")
	c.endpoint(cg, gone.id, "eg", "10.111.0.11/24", "")
	c.join(cg)
	c2 := c.newContainer(h2, "c2")
	c.endpoint(c2, n.id, "e2", "10.110.0.12/24", "")
	c.join(c2)
	c2.serveTCP(t, testPort)
	c2b := c.newContainer(h2, "c2b")
	c.endpoint(c2b, n.id, "e2b", "10.110.0.22/24", "")
	c.join(c2b)
	c2.expectTCP(t, c1.addr.IP, testPort, "c1")
	before, _ := h1.inspect(t, n.id)

	// The daemon stops: the containers stay connected.
	h1.d.Close()
	if _, ok := h1.inspect(t, n.id); !ok {
		t.Fatal("Close removed the overlay namespace")
	}
	c2.expectTCP(t, c1.addr.IP, testPort, "c1")
	// While host 1 is down, c2b leaves; host 1 never hears of it.
	c.leave(c2b)
	mac2b := netutils.GenerateMACFromIP(c2b.addr.IP).String()

	// The daemon starts again; the controller re-creates the network and
	// replays the table.
	h1.d = c.startDriver(h1, netlabel.LocalKVClient, st, RestartGraceKey, grace)
	c.createNet(n, h1)
	after, ok := h1.inspect(t, n.id)
	if !ok || strings.Join(after.links, " ") != strings.Join(before.links, " ") {
		t.Fatalf("re-adopted namespace links %v, want %v", after.links, before.links)
	}
	if after.fdb[mac2b] == "" {
		t.Error("the entry of c2b was removed before the grace")
	}
	c1.expectTCP(t, c2.addr.IP, testPort, "c2")
	eventually(t, "stale entry of c2b swept", 5*time.Second, func() error {
		st, _ := h1.inspect(t, n.id)
		if v := st.fdb[mac2b]; v != "" {
			return fmt.Errorf("FDB %s → %s", mac2b, v)
		}
		if len(st.fdb) != 1 {
			return fmt.Errorf("FDB %v, want only c2's entry", st.fdb)
		}
		return nil
	})
	eventually(t, "namespace of the network not re-created removed", 5*time.Second, func() error {
		if _, ok := h1.inspect(t, gone.id); ok {
			return fmt.Errorf("still pinned")
		}
		return nil
	})

	// The endpoint created but not joined before the restart can join; the
	// adopted one can leave.
	c.join(c1b)
	c1b.serveTCP(t, testPort)
	c2.expectTCP(t, c1b.addr.IP, testPort, "c1b")
	c.leave(c1)
	c2.expectTCP(t, c1b.addr.IP, testPort, "c1b")
	c.leave(c1b)
	if err := h1.d.DeleteEndpoint(n.id, "e1"); err != nil {
		t.Fatal(err)
	}
	if err := h1.d.DeleteEndpoint(n.id, "e1b"); err != nil {
		t.Fatal(err)
	}
	if err := h1.d.DeleteNetwork(n.id); err != nil {
		t.Fatal(err)
	}
	// The records are gone from the store: another restart finds nothing.
	h1.d.Close()
	h1.d = c.startDriver(h1, netlabel.LocalKVClient, st, RestartGraceKey, grace)
	if len(h1.d.pending) != 1 || len(h1.d.pending[gone.id]) != 1 {
		t.Errorf("store after the deletes: %v, want only the endpoint of %s", h1.d.pending, gone.id)
	}
	if err := h1.d.DeleteNetwork(gone.id); err == nil {
		t.Error("DeleteNetwork of a network this run never created succeeded")
	}
	if len(h1.d.pending) != 0 {
		t.Errorf("records of %s kept after its DeleteNetwork: %v", gone.id, h1.d.pending)
	}
}

// TestRestartWithoutStore: without a store nothing can be re-adopted; the
// replayed CreateNetwork removes the leftover namespace.
func TestRestartWithoutStore(t *testing.T) {
	c := newCluster(t, 1, clusterOpts{})
	h := c.hosts[0]
	n := netSpec{id: "ns", vnis: "5200", v4: []string{"10.120.0.0/24"}}
	c.createNet(n)
	ct := c.newContainer(h, "c")
	c.endpoint(ct, n.id, "e", "10.120.0.11/24", "")
	c.join(ct)
	h.d.Close()
	h.d = c.startDriver(h)
	c.createNet(n, h)
	if _, ok := h.inspect(t, n.id); ok {
		t.Error("a leftover namespace with no known endpoint was kept")
	}
}
