package overlay

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/driverapi"
	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
)

// otherDriver is a driver that is not the overlay driver.
type otherDriver struct{ driverapi.Driver }

// TestFini: Fini removes every overlay namespace the driver built (the
// containers' interfaces go with them), the ones an earlier run left, the
// VXLAN sockets, and leaves the driver unusable; other drivers and a second
// Fini are left alone.
func TestFini(t *testing.T) {
	c := newCluster(t, 1, clusterOpts{})
	h := c.hosts[0]
	baseline := h.hostLinks(t)
	leftover := filepath.Join(h.root, nsFileName("from-an-earlier-run"))
	if err := ns.NewPinned(leftover, false); err != nil {
		t.Fatal(err)
	}
	nets := []netSpec{
		{id: "f1", vnis: "5200", v4: []string{"10.120.0.0/24"}},
		{id: "f2", vnis: "5201", v4: []string{"10.121.0.0/24"}, v6: []string{"fd00:121::/64"}},
	}
	var cts []*container
	for k, n := range nets {
		c.createNet(n)
		ct := c.newContainer(h, fmt.Sprintf("fc%d", k))
		c.endpoint(ct, n.id, fmt.Sprintf("fe%d", k), fmt.Sprintf("10.%d.0.11/24", 120+k), "")
		c.join(ct)
		cts = append(cts, ct)
		if _, ok := h.inspect(t, n.id); !ok {
			t.Fatalf("no overlay namespace for %s after a join", n.id)
		}
	}
	if !h.vxlanSocket(t, DefaultVXLANPort) {
		t.Fatal("no VXLAN socket before Fini: the test proves nothing")
	}

	Fini(otherDriver{}) // not ours: nothing happens
	if _, ok := h.inspect(t, nets[0].id); !ok {
		t.Fatal("Fini of another driver touched the overlay driver")
	}

	Fini(h.d)
	for _, n := range nets {
		h.assertNothing(t, n.id, baseline)
	}
	if ns.IsNetNS(leftover) {
		t.Fatal("Fini kept the namespace of an earlier run")
	}
	for _, ct := range cts {
		eventually(t, ct.name+": interface gone", 10*time.Second, func() error {
			links, err := ct.sb.Statistics()
			if err != nil {
				return err
			}
			for name := range links {
				if strings.HasPrefix(name, ct.j.prefix) {
					return fmt.Errorf("%s still has %s", ct.name, name)
				}
			}
			return nil
		})
	}
	if err := h.d.DeleteNetwork(nets[0].id); !types.IsForbidden(err) {
		t.Fatalf("DeleteNetwork after Fini: %v, want a ForbiddenError", err)
	}
	Fini(h.d) // a second Fini does nothing
	if err := h.d.Close(); err != nil {
		t.Fatalf("Close after Fini: %v", err)
	}
}
