package libnetwork

import (
	"os"
	"sort"

	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
)

// reconcile finishes or undoes, at start, the operations that a killed
// process left in the journal (see "Crash safety" in the package doc). It
// runs once networks, endpoints and sandboxes are restored from the
// stores; a record is dropped only once its operation is reconciled, so a
// process killed here too does the rest at its next start.
func (c *controller) reconcile() {
	ins := c.intents()
	// Outer operations first: a sandbox delete finishes the leaves and the
	// endpoint deletes it began.
	sort.SliceStable(ins, func(i, j int) bool { return reconcileOrder[ins[i].Op] < reconcileOrder[ins[j].Op] })
	for _, in := range ins {
		log := logrus.WithFields(logrus.Fields{"op": in.Op, "nid": in.Network, "eid": in.Endpoint, "sid": in.Sandbox})
		log.Info("restore: reconcile an operation interrupted by the end of the previous process")
		switch in.Op {
		case opNetworkCreate:
			c.undoNetworkCreate(in, log)
		case opNetworkDelete:
			if n := c.networks[in.Network]; n != nil {
				if err := n.delete(true); err != nil {
					log.WithError(err).Warn("restore: finish network delete")
				}
			}
		case opEndpointCreate:
			c.undoEndpointCreate(in, log)
		case opNetworkClaim, opEndpointClaim:
			c.releaseClaims(in, log)
		case opEndpointDelete:
			if ep := c.restoredEndpoint(in); ep != nil {
				c.finishEndpointDelete(ep, log)
			}
		case opJoin:
			c.undoJoin(in, log)
		case opLeave:
			c.finishLeave(in, log)
		case opSandboxCreate:
			if c.sandboxes[in.Sandbox] == nil {
				// Its namespace went with the leftovers (osl.GCAt).
				if err := os.RemoveAll(c.filesDir(in.Sandbox)); err != nil {
					log.WithError(err).Warn("restore: remove files of an unfinished sandbox")
				}
			}
		case opSandboxDelete:
			if sb := c.sandboxes[in.Sandbox]; sb != nil {
				sb.opMu.Lock()
				sb.delete(true)
				sb.opMu.Unlock()
			}
		}
		c.dropIntent(in)
	}
}

// reconcileOrder ranks the operations for reconcile.
var reconcileOrder = map[string]int{
	opSandboxDelete: 0, opLeave: 1, opJoin: 2, opEndpointDelete: 3, opEndpointCreate: 4,
	opNetworkDelete: 5, opNetworkCreate: 6, opSandboxCreate: 7,
	opEndpointClaim: 8, opNetworkClaim: 9,
}

// undoNetworkCreate removes from the driver a network that the controller
// never stored (the driver may have stored it, and restored it).
func (c *controller) undoNetworkCreate(in intent, log *logrus.Entry) {
	if c.networks[in.Network] != nil {
		return // stored: the creation completed
	}
	d, _, err := c.driver(in.Driver)
	if err != nil {
		log.WithError(err).Warn("restore: no driver to undo a network creation")
		return
	}
	if err := d.DeleteNetwork(in.Network); err != nil {
		log.WithError(err).Debug("restore: driver delete of an unfinished network")
	}
}

// restoredEndpoint returns the endpoint of in, if it was restored.
func (c *controller) restoredEndpoint(in intent) *endpoint {
	n := c.networks[in.Network]
	if n == nil {
		return nil
	}
	return n.endpoints[in.Endpoint]
}

// undoEndpointCreate removes from the driver an endpoint that the
// controller never stored.
func (c *controller) undoEndpointCreate(in intent, log *logrus.Entry) {
	n := c.networks[in.Network]
	if n == nil || n.endpoints[in.Endpoint] != nil {
		return // gone with its network (never stored), or completed
	}
	d, err := n.driver()
	if err != nil {
		log.WithError(err).Warn("restore: no driver to undo an endpoint creation")
		return
	}
	if err := d.DeleteEndpoint(n.id, in.Endpoint); err != nil {
		log.WithError(err).Debug("restore: driver delete of an unfinished endpoint")
	}
}

// finishEndpointDelete deletes a restored endpoint whose deletion began.
func (c *controller) finishEndpointDelete(ep *endpoint, log *logrus.Entry) {
	sb := c.sandboxes[ep.getSandboxID()]
	if sb != nil {
		sb.opMu.Lock()
		defer sb.opMu.Unlock()
	}
	ep.opMu.Lock()
	defer ep.opMu.Unlock()
	if err := ep.deleteJoined(sb, true); err != nil {
		log.WithError(err).Warn("restore: finish endpoint delete")
	}
}

// undoJoin takes back what an unfinished join put in the driver and in the
// sandbox. The join is complete when the endpoint's record names the
// sandbox.
func (c *controller) undoJoin(in intent, log *logrus.Entry) {
	ep := c.restoredEndpoint(in)
	if ep == nil || ep.getSandboxID() == in.Sandbox {
		return
	}
	if d, err := ep.network.driver(); err == nil {
		if err := d.RevokeExternalConnectivity(in.Network, in.Endpoint); err != nil {
			log.WithError(err).Debug("restore: undo join: driver revoke external connectivity")
		}
		if err := d.Leave(in.Network, in.Endpoint); err != nil {
			log.WithError(err).Debug("restore: undo join: driver leave")
		}
	}
	sb := c.sandboxes[in.Sandbox]
	if sb == nil || !sb.ownNS || sb.osSb == nil {
		return // a namespace not ours: what is in it is not ours to remove
	}
	claimed := map[string]bool{"lo": true}
	for _, o := range sb.endpoints {
		if o.iface.dstName != "" {
			claimed[o.iface.dstName] = true
		}
	}
	// Through osl first, which forgets them; then what osl does not know
	// (a container end not yet adopted).
	for _, i := range sb.osSb.Interfaces() {
		if !claimed[i.DstName()] {
			if err := i.Remove(); err != nil {
				log.WithField("iface", i.DstName()).WithError(err).Warn("restore: undo join: remove interface")
			}
		}
	}
	err := sb.osSb.InvokeNetlink(func(nlh *netlink.Handle) error {
		links, err := nlh.LinkList()
		if err != nil {
			return err
		}
		for _, l := range links {
			if claimed[l.Attrs().Name] {
				continue
			}
			if err := nlh.LinkDel(l); err != nil {
				log.WithField("iface", l.Attrs().Name).WithError(err).Warn("restore: undo join: remove interface")
			}
		}
		return nil
	})
	if err != nil {
		log.WithError(err).Warn("restore: undo join: list interfaces")
	}
}

// finishLeave completes a leave whose endpoint is still joined in the store.
func (c *controller) finishLeave(in intent, log *logrus.Entry) {
	ep := c.restoredEndpoint(in)
	sb := c.sandboxes[in.Sandbox]
	if ep == nil || sb == nil || ep.getSandboxID() != in.Sandbox {
		return
	}
	sb.opMu.Lock()
	defer sb.opMu.Unlock()
	ep.opMu.Lock()
	defer ep.opMu.Unlock()
	if err := ep.sbLeave(sb, true, true); err != nil {
		log.WithError(err).Warn("restore: finish leave")
	}
}
