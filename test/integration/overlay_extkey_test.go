package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork"
	"github.com/vishvananda/netlink"
)

// Docker's order with an overlay network: NewSandbox with an external key,
// Join, then SetKey with a namespace a runtime made; the container then
// talks to another on the network. A Join left before SetKey leaves
// nothing in the host namespace.
func TestOverlayExternalKey(t *testing.T) {
	e := newGwEnv(t)
	ov := e.overlay("ovx", "10.87.0.0/24", "4405")
	b := e.sandbox("ovx-b")
	e.join(b, ov)
	hostLinks := e.snapshot().links

	sb, err := e.c.NewSandbox("ovx-c", libnetwork.OptionUseExternalKey())
	must(t, err)
	ep, err := ov.CreateEndpoint("ovx-ep")
	must(t, err)
	must(t, ep.Join(sb))
	path, h := runtimeNS(t)
	must(t, sb.SetKey(path))
	withNL(t, h, func(nlh *netlink.Handle) {
		if _, err := nlh.LinkByName("eth0"); err != nil {
			t.Fatalf("no eth0 in the runtime's namespace: %v", err)
		}
	})
	reach(t, h, b.h, b.ip, 7201)
	reach(t, b.h, h, ep.Info().Iface().Address().IP, 7202)
	must(t, ep.Leave(sb))
	must(t, ep.Delete(false))
	must(t, sb.Delete())

	// Joined and left without a key: the waiting interface goes.
	sb2, err := e.c.NewSandbox("ovx-d", libnetwork.OptionUseExternalKey())
	must(t, err)
	ep2, err := ov.CreateEndpoint("ovx-ep2")
	must(t, err)
	must(t, ep2.Join(sb2))
	must(t, ep2.Leave(sb2))
	must(t, ep2.Delete(false))
	must(t, sb2.Delete())
	eventually(t, "host links as before", func() error {
		if l := e.snapshot().links; l != hostLinks {
			return fmt.Errorf("host links %s, were %s", l, hostLinks)
		}
		return nil
	})
	if strings.Contains(e.snapshot().links, "ovc") {
		t.Fatal("a waiting overlay interface is left in the host namespace")
	}
}
