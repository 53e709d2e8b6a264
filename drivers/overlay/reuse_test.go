package overlay

import (
	"fmt"
	"testing"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/netutils"
)

// TestAddressReuse: an address freed on host 1 and reused on host 2 is
// reachable at its new home from host 3, whatever the order in which the
// gossip delivers the old owner's withdrawal and the new owner's
// announcement, and no host keeps an FDB entry pointing at host 1.
func TestAddressReuse(t *testing.T) {
	orders := []struct {
		name string
		// move takes the address from old (on host 1) to a new container
		// on host 2, delivering the table events in its own order.
		// mid checks that the newest announcement already wins.
		move func(c *cluster, n netSpec, old, nw *container, mid func())
	}{
		{"delete then create", func(c *cluster, n netSpec, old, nw *container, mid func()) {
			c.leave(old)
			c.join(nw)
		}},
		{"create then delete", func(c *cluster, n netSpec, old, nw *container, mid func()) {
			leaveQuietly(c, old)
			c.join(nw)
			mid()
			c.gossip.withdraw(n.id, old.eid)
		}},
		{"update of the same endpoint ID", func(c *cluster, n netSpec, old, nw *container, mid func()) {
			// The old home leaves without a withdrawal reaching anyone;
			// the new home announces the same key: an Update.
			leaveQuietly(c, old)
			c.join(nw)
		}},
		{"stale re-announcement", func(c *cluster, n netSpec, old, nw *container, mid func()) {
			stale := old.j.entries[old.eid]
			leaveQuietly(c, old)
			c.join(nw)
			for _, h := range c.hosts {
				h.d.EventNotify(driverapi.Create, n.id, PeerTable, old.eid, stale)
			}
			c.gossip.withdraw(n.id, old.eid)
		}},
	}
	c := newCluster(t, 3, clusterOpts{})
	h1, h2, h3 := c.hosts[0], c.hosts[1], c.hosts[2]
	for i, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			c.t = t
			n := netSpec{id: fmt.Sprintf("reuse%d", i), vnis: fmt.Sprint(4600 + i), v4: []string{fmt.Sprintf("10.50.%d.0/24", i)}}
			c.createNet(n)
			addr := fmt.Sprintf("10.50.%d.50/24", i)
			// A second container keeps host 1's overlay namespace alive.
			keeper := c.newContainer(h1, "keeper")
			c.endpoint(keeper, n.id, "keeper", fmt.Sprintf("10.50.%d.60/24", i), "")
			c.join(keeper)
			old := c.newContainer(h1, "old")
			c.endpoint(old, n.id, "old", addr, "")
			c.join(old)
			old.serveTCP(t, testPort)
			c3 := c.newContainer(h3, "c3")
			c.endpoint(c3, n.id, "c3", fmt.Sprintf("10.50.%d.13/24", i), "")
			c.join(c3)
			c3.expectTCP(t, old.addr.IP, testPort, "old")

			nw := c.newContainer(h2, "new")
			eid := "new"
			if o.name == "update of the same endpoint ID" {
				eid = old.eid
			}
			c.endpoint(nw, n.id, eid, addr, "")
			nw.serveTCP(t, testPort)
			o.move(c, n, old, nw, func() { c3.expectTCP(t, nw.addr.IP, testPort, "new") })

			c3.expectTCP(t, nw.addr.IP, testPort, "new")
			keeper.expectTCP(t, nw.addr.IP, testPort, "new")
			mac := netutils.GenerateMACFromIP(nw.addr.IP).String()
			for _, h := range []*host{h1, h3} {
				st, ok := h.inspect(t, n.id)
				if !ok {
					t.Fatalf("%s has no overlay namespace", h.name)
				}
				if st.fdb[mac] != h2.ip.String() {
					t.Errorf("%s: FDB entry of %s points to %q, want host2 %s", h.name, mac, st.fdb[mac], h2.ip)
				}
				if st.neigh[nw.addr.IP.String()] != mac {
					t.Errorf("%s: neighbour entry of %s is %q, want %s", h.name, nw.addr.IP, st.neigh[nw.addr.IP.String()], mac)
				}
				keeperMAC := netutils.GenerateMACFromIP(keeper.addr.IP).String()
				for m, vtep := range st.fdb {
					if vtep == h1.ip.String() && m != keeperMAC {
						t.Errorf("%s: FDB entry %s still points at host1", h.name, m)
					}
				}
			}
		})
	}
}

// leaveQuietly makes ct leave on its host without telling the gossip.
func leaveQuietly(c *cluster, ct *container) {
	c.t.Helper()
	if err := ct.host.d.Leave(ct.nid, ct.eid); err != nil {
		c.t.Fatal(err)
	}
	for _, i := range ct.sb.Interfaces() {
		_ = i.Remove()
	}
}
