package integration

import (
	"fmt"
	"testing"

	"github.com/cnmkit/libnetwork"
	"github.com/cnmkit/libnetwork/types"
)

// The netlink requests (sendmsg/sendto calls: a batch is one) of one
// attach (NewSandbox + CreateEndpoint + Join, one published port) and one
// detach (Leave + endpoint Delete + sandbox Delete) on a bridge network
// with the nf_tables firewall, as measured; a change that adds one fails
// TestBridgeNetlinkRequests.
const (
	maxAttachRequests = 12
	maxDetachRequests = 8
)

// TestBridgeNetlinkRequests counts the netlink requests of container
// attaches and detaches and checks them against the bounds above.
func TestBridgeNetlinkRequests(t *testing.T) {
	e := newBridgeEnv(t, fullBridge())
	n := e.network("count", "10.201.0.0/16", nil)
	opts := []libnetwork.SandboxOption{portMap(types.PortBinding{Proto: types.TCP, Port: 80})}
	// A first container does the network's one-time work.
	e.run(n, "first", opts...).remove(t)
	sc := newSendCounter(t)
	for i := 0; i < 5; i++ {
		c0 := sc.count()
		sb, err := e.c.NewSandbox(fmt.Sprintf("c%d", i), opts...)
		if err != nil {
			t.Fatal(err)
		}
		ep, err := n.CreateEndpoint(fmt.Sprintf("ep%d", i), serial)
		if err != nil {
			t.Fatal(err)
		}
		if err := ep.Join(sb); err != nil {
			t.Fatal(err)
		}
		c1 := sc.count()
		if err := ep.Leave(sb); err != nil {
			t.Fatal(err)
		}
		if err := ep.Delete(false); err != nil {
			t.Fatal(err)
		}
		if err := sb.Delete(); err != nil {
			t.Fatal(err)
		}
		c2 := sc.count()
		attach, detach := c1-c0, c2-c1
		t.Logf("attach %d requests, detach %d", attach, detach)
		if attach > maxAttachRequests {
			t.Errorf("attach made %d netlink requests, at most %d expected", attach, maxAttachRequests)
		}
		if detach > maxDetachRequests {
			t.Errorf("detach made %d netlink requests, at most %d expected", detach, maxDetachRequests)
		}
	}
}

// TestFloorNetlinkRequests logs the floor's requests per attach and
// detach (see floor), for comparison with the bounds above.
func TestFloorNetlinkRequests(t *testing.T) {
	fb := newFloorBench(t, 0)
	sc := newSendCounter(t)
	for i := 0; i < 3; i++ {
		c0 := sc.count()
		c, err := fb.f.attach(i, floorIP(i))
		if err != nil {
			t.Fatal(err)
		}
		c1 := sc.count()
		if err := fb.f.detach(c); err != nil {
			t.Fatal(err)
		}
		t.Logf("floor: attach %d requests, detach %d", c1-c0, sc.count()-c1)
	}
}
