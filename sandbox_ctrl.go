package libnetwork

import (
	"strings"
	"time"

	"github.com/cnmkit/libnetwork/internal/opstats"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/osl"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// NewSandbox creates the sandbox of a container: a new network namespace
// pinned at its key (or the host's namespace with OptionUseDefaultSandbox,
// or none until SetKey with OptionUseExternalKey). One sandbox per container.
func (c *controller) NewSandbox(containerID string, options ...SandboxOption) (_ Sandbox, err error) {
	defer c.ops.End(opstats.SandboxCreate, time.Now(), &err)
	if strings.TrimSpace(containerID) == "" {
		return nil, types.BadRequestErrorf("invalid container ID %q", containerID)
	}
	if err := c.checkRunning(); err != nil {
		return nil, err
	}
	cfg, err := applySandboxOptions(containerConfig{}, options...)
	if err != nil {
		return nil, err
	}
	sb := &sandbox{ctrl: c, id: generateID(), containerID: containerID, config: cfg}

	c.mu.Lock()
	if sid, ok := c.containers[containerID]; ok {
		c.mu.Unlock()
		return nil, duplicateErrorf("container %s is already present in sandbox %s", containerID, sid)
	}
	c.containers[containerID] = sb.id
	c.mu.Unlock()
	release := func() {
		c.mu.Lock()
		delete(c.containers, containerID)
		c.mu.Unlock()
	}

	done, err := c.begin(intent{Op: opSandboxCreate, Sandbox: sb.id})
	if err != nil {
		release()
		return nil, err
	}
	defer done()
	files, err := sb.prepareFiles()
	if err != nil {
		release()
		return nil, err
	}
	// The store write and the files overlap the namespace creation (each
	// takes a few hundred microseconds).
	rec := sb.record()
	stored, written := make(chan error, 1), make(chan error, 1)
	go func() { stored <- c.putObject(rec) }()
	go func() { written <- files.write() }()
	switch {
	case cfg.useDefaultSandbox:
		sb.osSb, err = c.acquireDefaultSandbox()
	case cfg.useExternalKey:
	default:
		sb.osSb, err = osl.NewSandbox(sb.Key(), true)
		sb.ownNS = true
	}
	serr, ferr := <-stored, <-written
	step(opSandboxCreate, "namespace")
	if err != nil || serr != nil || ferr != nil {
		if err == nil {
			sb.destroyOS()
		}
		if serr == nil {
			if e := c.deleteObject(rec); e != nil {
				logrus.WithField("sid", sb.id).WithError(e).Warn("undo new sandbox: store")
			}
		}
		files.remove()
		release()
		for _, e := range []error{err, serr, ferr} {
			if e != nil {
				return nil, e
			}
		}
	}
	c.mu.Lock()
	c.sandboxes[sb.id] = sb
	c.mu.Unlock()
	c.countPeerHosts(false, sb.config.hostsPeers)
	logrus.WithFields(logrus.Fields{"sid": sb.id, "cid": containerID}).Debug("sandbox created")
	return sb, nil
}

// acquireDefaultSandbox returns the OS sandbox of the host namespace,
// pinning it for the first user.
func (c *controller) acquireDefaultSandbox() (osl.Sandbox, error) {
	c.defSbox.mu.Lock()
	defer c.defSbox.mu.Unlock()
	if c.defSbox.osSb == nil {
		key := osl.GenerateKeyAt(c.execRoot(), "default")
		var osSb osl.Sandbox
		// With osCreate false osl pins the calling thread's namespace: run
		// it on a thread inside the controller's host namespace.
		err := ns.WithNetNS(c.hostNS, func() error {
			var err error
			osSb, err = osl.NewSandbox(key, false)
			return err
		})
		if err != nil {
			return nil, err
		}
		c.defSbox.osSb = osSb
	}
	c.defSbox.refs++
	return c.defSbox.osSb, nil
}

// releaseDefaultSandbox unpins the host namespace after its last user.
func (c *controller) releaseDefaultSandbox() {
	c.defSbox.mu.Lock()
	defer c.defSbox.mu.Unlock()
	c.defSbox.refs--
	if c.defSbox.refs > 0 || c.defSbox.osSb == nil {
		return
	}
	if err := c.defSbox.osSb.Destroy(); err != nil {
		logrus.WithError(err).Warn("unpin default sandbox")
	}
	c.defSbox.osSb = nil
}

// destroyOS releases the sandbox's OS sandbox.
func (sb *sandbox) destroyOS() {
	sb.mu.Lock()
	osSb, def := sb.osSb, sb.config.useDefaultSandbox
	sb.osSb = nil
	sb.mu.Unlock()
	if def {
		if osSb != nil {
			sb.ctrl.releaseDefaultSandbox()
		}
		return
	}
	if osSb != nil {
		if err := osSb.Destroy(); err != nil {
			logrus.WithField("sid", sb.id).WithError(err).Warn("destroy OS sandbox")
		}
	}
}

// Sandboxes returns the controller's sandboxes.
func (c *controller) Sandboxes() []Sandbox {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]Sandbox, 0, len(c.sandboxes))
	for _, sb := range c.sandboxes {
		out = append(out, sb)
	}
	return out
}

// WalkSandboxes calls walker for each sandbox until it returns true.
func (c *controller) WalkSandboxes(walker SandboxWalker) {
	for _, sb := range c.Sandboxes() {
		if walker(sb) {
			return
		}
	}
}

// SandboxByID returns the sandbox whose ID is id.
func (c *controller) SandboxByID(id string) (Sandbox, error) {
	if id == "" {
		return nil, ErrInvalidID(id)
	}
	if sb := c.sandboxByID(id); sb != nil {
		return sb, nil
	}
	return nil, types.NotFoundErrorf("sandbox %s not found", id)
}

func (c *controller) sandboxByID(id string) *sandbox {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.sandboxes[id]
}

// sandboxByContainer returns the sandbox of container cid, or nil.
func (c *controller) sandboxByContainer(cid string) *sandbox {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.sandboxes[c.containers[cid]]
}

// SandboxDestroy deletes the sandbox of container id; none is no error.
func (c *controller) SandboxDestroy(id string) error {
	sb := c.sandboxByContainer(id)
	if sb == nil {
		return nil
	}
	return sb.Delete()
}

// SandboxContainerWalker returns a Sandbox Walker function which looks for an existing Sandbox with the passed containerID
func SandboxContainerWalker(out *Sandbox, containerID string) SandboxWalker {
	return func(sb Sandbox) bool {
		if sb.ContainerID() == containerID {
			*out = sb
			return true
		}
		return false
	}
}

// SandboxKeyWalker returns a Sandbox Walker function which looks for an existing Sandbox with the passed key
func SandboxKeyWalker(out *Sandbox, key string) SandboxWalker {
	return func(sb Sandbox) bool {
		if sb.Key() == key {
			*out = sb
			return true
		}
		return false
	}
}

// Delete leaves and deletes every endpoint joined to the sandbox, then
// destroys its namespace and forgets it.
func (sb *sandbox) Delete() (err error) {
	defer sb.ctrl.ops.End(opstats.SandboxDelete, time.Now(), &err)
	if err := sb.ctrl.checkRunning(); err != nil {
		return err
	}
	sb.opMu.Lock()
	defer sb.opMu.Unlock()
	if err := sb.checkUsable(); err != nil {
		return err
	}
	sb.delete(false)
	return nil
}

// delete does Delete; the caller holds opMu. Failures along the way are
// logged: the sandbox always ends up deleted.
func (sb *sandbox) delete(force bool) {
	c := sb.ctrl
	log := logrus.WithFields(logrus.Fields{"sid": sb.id, "cid": sb.containerID})
	if done, err := c.begin(intent{Op: opSandboxDelete, Sandbox: sb.id}); err != nil {
		log.WithError(err).Warn("delete sandbox: record intent")
	} else {
		defer done()
	}
	sb.mu.Lock()
	sb.inDelete = true
	sb.mu.Unlock()
	hadGw := sb.gatewayBridgeEndpoint() != nil
	for _, ep := range sb.sortedEndpoints() {
		ep.opMu.Lock()
		if err := ep.sbLeave(sb, true, false); err != nil {
			log.WithField("eid", ep.id).WithError(err).Warn("delete sandbox: leave endpoint")
		}
		if err := ep.deleteLocked(force); err != nil {
			log.WithField("eid", ep.id).WithError(err).Warn("delete sandbox: delete endpoint")
			if err := c.putObject(ep.record()); err != nil {
				log.WithField("eid", ep.id).WithError(err).Warn("delete sandbox: store")
			}
		}
		ep.opMu.Unlock()
	}
	step(opSandboxDelete, "endpoints")
	if hadGw {
		c.removeGatewayNetworkLater()
	}
	sb.mu.Lock()
	own := sb.ownNS
	sb.mu.Unlock()
	if own {
		sb.dropRemovals()
		sb.dnsDelete()
	} else {
		// In a namespace that stays, deleting the links and removing
		// the DNS rules (its hook) each wait for an RCU grace period:
		// together, the waits overlap.
		done := make(chan struct{})
		go func() {
			defer close(done)
			sb.drainRemovals()
		}()
		sb.dnsDelete()
		<-done
	}
	sb.destroyOS()
	step(opSandboxDelete, "namespace")
	if err := c.deleteObject(sb.record()); err != nil {
		log.WithError(err).Warn("delete sandbox from store")
	}
	step(opSandboxDelete, "stored")
	sb.mu.Lock()
	sb.deleted = true
	sb.mu.Unlock()
	c.countPeerHosts(sb.config.hostsPeers, false)
	c.mu.Lock()
	delete(c.sandboxes, sb.id)
	if c.containers[sb.containerID] == sb.id {
		delete(c.containers, sb.containerID)
	}
	c.mu.Unlock()
	log.Debug("sandbox deleted")
}

// release lets go of the sandbox's resources at controller stop, keeping
// the sandbox (and its namespace) for the next controller.
func (sb *sandbox) release() {
	sb.opMu.Lock()
	defer sb.opMu.Unlock()
	sb.stopResolver(true) // the next controller takes the rules over
	sb.drainRemovals()
	sb.mu.Lock()
	osSb, def := sb.osSb, sb.config.useDefaultSandbox
	sb.mu.Unlock()
	if osSb != nil && !def {
		closeOSSandbox(osSb)
	}
}
