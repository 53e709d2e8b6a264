package bridge

import (
	"net"

	"github.com/cnmkit/libnetwork/internal/crashpoint"

	"github.com/sirupsen/logrus"
)

// setupStep is one step of a network's setup. apply does the step; undo
// reverses it and must also work on a network set up by an earlier run
// (teardown after a restart), tolerating what is already gone.
type setupStep struct {
	name  string
	apply func(*setupCtx) error
	undo  func(*setupCtx) error
}

// setupSteps is the pipeline, in order. The last step programs the
// network's firewall rules (masquerade, ICC, isolation, internal) through
// the driver's firewall backend, in one change.
var setupSteps = []setupStep{
	{"device", setupDevice, removeDevice},
	{"mtu", setupMTU, nil},
	{"ipv4", setupIPv4, removeIPv4},
	{"ipv6", setupIPv6, removeIPv6},
	{"forwarding", setupForwarding, nil},
	{"bridge-netfilter", setupBridgeNetfilter, nil},
	{"firewall", commitFirewall, removeFirewall},
}

// setupCtx carries a network's setup (or teardown) through the steps.
type setupCtx struct {
	d         *driver
	n         *bridgeNetwork
	cfg       *networkConfiguration
	restoring bool
	// Filled by the steps.
	bridgeIndex int
	created     bool // the bridge was created by this setup
	log         *logrus.Entry
}

func newSetupCtx(d *driver, n *bridgeNetwork, restoring bool) *setupCtx {
	return &setupCtx{d: d, n: n, cfg: n.config, restoring: restoring,
		log: d.log(n.id).WithField("bridge", n.config.BridgeName)}
}

// run applies steps in order and returns those done; on error the caller
// rolls them back.
func (c *setupCtx) run(steps []setupStep) ([]setupStep, error) {
	var done []setupStep
	for _, s := range steps {
		if err := s.apply(c); err != nil {
			c.log.WithField("step", s.name).WithError(err).Debug("setup step failed")
			return done, err
		}
		done = append(done, s)
		if !c.restoring {
			crashpoint.Hit("bridge-create/" + s.name)
		}
	}
	return done, nil
}

// rollback undoes done steps, newest first.
func (c *setupCtx) rollback(done []setupStep) {
	for i := len(done) - 1; i >= 0; i-- {
		if done[i].undo == nil {
			continue
		}
		if err := done[i].undo(c); err != nil {
			c.log.WithField("step", done[i].name).WithError(err).Warn("rollback of setup step")
		}
	}
}

// teardown removes a network: every step's undo runs, newest first. Every
// undo runs; the first error is returned.
func (c *setupCtx) teardown(steps []setupStep) error {
	c.bridgeIndex = c.n.index()
	var first error
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i].undo == nil {
			continue
		}
		if err := steps[i].undo(c); err != nil {
			c.log.WithField("step", steps[i].name).WithError(err).Warn("teardown step")
			if first == nil {
				first = err
			}
		}
		crashpoint.Hit("bridge-delete/" + steps[i].name)
	}
	return first
}

// v6Rules reports whether the network gets ip6tables rules: IPv6 networks,
// and networks with ICC off, whose containers could otherwise still talk
// over IPv6 link-local addresses.
func (c *setupCtx) v6Rules() bool { return c.cfg.EnableIPv6 || !c.cfg.EnableICC }

func (n *bridgeNetwork) index() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.bridgeIndex
}

func ipNetString(n *net.IPNet) string {
	if n == nil {
		return "-"
	}
	return n.String()
}
