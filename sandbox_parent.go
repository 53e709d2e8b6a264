package libnetwork

import (
	"net"

	"github.com/cnmkit/libnetwork/etchosts"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// parentUpdate is a line of another container's hosts file that follows
// this sandbox (Docker's legacy links): name gets ip in the hosts file of
// container cid.
type parentUpdate struct {
	cid, name, ip string
}

// OptionParentUpdate makes the sandbox, once joined, set the address of
// name to ip in the hosts file of container cid's sandbox (a parent of a
// legacy link).
func OptionParentUpdate(cid string, name, ip string) SandboxOption {
	return func(sb *sandbox) {
		switch {
		case cid == "":
			sb.setOptErr(types.BadRequestErrorf("parent update of %q: empty container ID", name))
		case name == "":
			sb.setOptErr(types.BadRequestErrorf("parent update in container %s: empty name", cid))
		case net.ParseIP(ip) == nil:
			sb.setOptErr(types.BadRequestErrorf("parent update of %q in container %s: invalid IP address %q", name, cid, ip))
		default:
			sb.config.parentUpdates = append(sb.config.parentUpdates, parentUpdate{cid: cid, name: name, ip: ip})
		}
	}
}

// updateParentHosts applies the sandbox's parent updates to the hosts
// files of the parents that exist; a failure is logged.
func (sb *sandbox) updateParentHosts() {
	sb.mu.Lock()
	updates := append([]parentUpdate(nil), sb.config.parentUpdates...)
	sb.mu.Unlock()
	c := sb.ctrl
	for _, u := range updates {
		p := c.sandboxByContainer(u.cid)
		if p == nil || p == sb {
			continue
		}
		p.mu.Lock()
		cfg := p.config
		p.mu.Unlock()
		if err := etchosts.Update(c.hostsPath(p.id, &cfg), u.ip, u.name); err != nil {
			logrus.WithFields(logrus.Fields{"sid": sb.id, "parent": p.id}).WithError(err).Warn("update the hosts file of a parent")
		}
	}
}
