package libnetwork

import (
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cnmkit/libnetwork/etchosts"
	"github.com/cnmkit/libnetwork/internal/atomicfile"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// buildHostsFile writes the hosts file of a new sandbox configured by cfg:
// the default lines and the extra hosts, or, with OptionOriginHostsPath,
// a copy of that file followed by the extra hosts. The sandbox's own lines
// come with its endpoints.
func buildHostsFile(path string, cfg *containerConfig) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return types.InternalErrorf("create directory of hosts file %s: %w", path, err)
	}
	extras := extraHostRecords(cfg.extraHosts)
	if cfg.originHostsPath == "" {
		return etchosts.Build(path, "", cfg.hostName, cfg.domainName, extras)
	}
	data, err := os.ReadFile(cfg.originHostsPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return types.InternalErrorf("read origin hosts file %s: %w", cfg.originHostsPath, err)
	}
	unlock := atomicfile.Lock(path)
	err = atomicfile.WriteFile(path, data)
	unlock()
	if err != nil {
		return types.InternalErrorf("copy hosts file %s to %s: %w", cfg.originHostsPath, path, err)
	}
	if len(extras) == 0 {
		return nil
	}
	return etchosts.Add(path, extras)
}

func extraHostRecords(hosts []extraHost) []etchosts.Record {
	out := make([]etchosts.Record, 0, len(hosts))
	for _, h := range hosts {
		out = append(out, etchosts.Record{Hosts: h.name, IP: h.IP})
	}
	return out
}

// ownHostNames returns the names of the sandbox's own hosts lines: the
// fully qualified name and the short one, as libnetwork.
func ownHostNames(hostname, domain string) string {
	if hostname == "" {
		return ""
	}
	fqdn := hostname
	if domain != "" {
		fqdn += "." + domain
	}
	if i := strings.IndexByte(fqdn, '.'); i > 0 {
		return fqdn + " " + fqdn[:i]
	}
	return fqdn
}

// wantedHosts returns the lines the controller keeps in the sandbox's hosts
// file for its endpoints: its own names with each of its addresses and,
// with OptionHostsPeers, a line per address of every other endpoint on the
// networks it is joined to.
func (sb *sandbox) wantedHosts() []etchosts.Record {
	sb.mu.Lock()
	cfg := sb.config
	eps := append([]*endpoint(nil), sb.endpoints...)
	sb.mu.Unlock()
	return sb.hostsLines(&cfg, eps)
}

// restoredHosts returns the lines a restored sandbox's hosts file holds
// for eps: those of the configuration it was written for.
func (sb *sandbox) restoredHosts(eps []*endpoint) []etchosts.Record {
	cfg := sb.config
	if sb.dns.storedCfg != nil {
		cfg = *sb.dns.storedCfg
	}
	return sb.hostsLines(&cfg, eps)
}

// hostsLines returns the lines kept for eps in a hosts file written for cfg.
func (sb *sandbox) hostsLines(cfg *containerConfig, eps []*endpoint) []etchosts.Record {
	var out []etchosts.Record
	seen := map[etchosts.Record]bool{}
	add := func(ip net.IP, hosts string) {
		if ip == nil || hosts == "" {
			return
		}
		r := etchosts.Record{Hosts: hosts, IP: ip.String()}
		if seen[r] {
			return
		}
		seen[r] = true
		if err := etchosts.ValidateRecord(r); err != nil {
			logrus.WithFields(logrus.Fields{"sid": sb.id, "hosts": hosts}).Debug("hosts file: name not fit for a hosts line: skipped")
			return
		}
		out = append(out, r)
	}
	if cfg.originHostsPath == "" {
		own := ownHostNames(cfg.hostName, cfg.domainName)
		for _, ep := range eps {
			ep.mu.Lock()
			a4, a6 := ep.iface.addr, ep.iface.addrv6
			ep.mu.Unlock()
			if a4 != nil {
				add(a4.IP, own)
			}
			if a6 != nil {
				add(a6.IP, own)
			}
		}
	}
	if cfg.hostsPeers {
		done := map[*network]bool{}
		for _, ep := range eps {
			n := ep.network
			if done[n] {
				continue
			}
			done[n] = true
			recs := n.svcRecords()
			sort.Slice(recs, func(i, j int) bool {
				if a, b := firstName(recs[i]), firstName(recs[j]); a != b {
					return a < b
				}
				return recs[i].EID < recs[j].EID
			})
			for _, r := range recs {
				if r.SandboxID == sb.id || len(r.Names) == 0 {
					continue
				}
				names := strings.Join(r.Names, " ")
				add(r.IP, names)
				add(r.IP6, names)
			}
		}
	}
	return out
}

// syncHosts brings the lines the controller keeps in the sandbox's hosts
// file up to date, leaving every other line alone.
func (sb *sandbox) syncHosts() {
	d := &sb.dns
	d.hostsMu.Lock()
	defer d.hostsMu.Unlock()
	sb.mu.Lock()
	skip := sb.inDelete || sb.deleted
	cfg := sb.config
	sb.mu.Unlock()
	if skip {
		return
	}
	path := sb.ctrl.hostsPath(sb.id, &cfg)
	want := sb.wantedHosts()
	del, add := recordsMinus(d.managed, want), recordsMinus(want, d.managed)
	log := logrus.WithFields(logrus.Fields{"sid": sb.id, "path": path})
	if len(del) > 0 {
		if err := etchosts.Delete(path, del); err != nil {
			log.WithError(err).Warn("hosts file: remove lines")
			return
		}
		d.managed = recordsMinus(d.managed, del)
	}
	if len(add) > 0 {
		if err := etchosts.Add(path, add); err != nil {
			log.WithError(err).Warn("hosts file: add lines")
			return
		}
	}
	d.managed = want
}

// setManagedHosts records lines as the ones the controller keeps in the
// hosts file (after a restart, or after the file was built anew).
func (sb *sandbox) setManagedHosts(lines []etchosts.Record) {
	sb.dns.hostsMu.Lock()
	sb.dns.managed = lines
	sb.dns.hostsMu.Unlock()
}

// refreshHostsFile applies a Refresh's new configuration to the hosts file;
// the sandbox has no endpoints joined at that point. A new path gets a new
// file; on the same path the extra hosts lines are exchanged in place.
func (sb *sandbox) refreshHostsFile(old, cfg *containerConfig) error {
	c := sb.ctrl
	path := c.hostsPath(sb.id, cfg)
	if path != c.hostsPath(sb.id, old) || cfg.originHostsPath != old.originHostsPath {
		if err := buildHostsFile(path, cfg); err != nil {
			return err
		}
		sb.setManagedHosts(nil)
		return nil
	}
	oldRecs, newRecs := extraHostRecords(old.extraHosts), extraHostRecords(cfg.extraHosts)
	if del := recordsMinus(oldRecs, newRecs); len(del) > 0 {
		if err := etchosts.Delete(path, del); err != nil {
			return err
		}
	}
	if add := recordsMinus(newRecs, oldRecs); len(add) > 0 {
		return etchosts.Add(path, add)
	}
	return nil
}

// countPeerHosts follows a registered sandbox's OptionHostsPeers going
// from was to is.
func (c *controller) countPeerHosts(was, is bool) {
	switch {
	case is && !was:
		c.peerHosts.Add(1)
	case was && !is:
		c.peerHosts.Add(-1)
	}
}

// syncPeerHosts updates the hosts files of the sandboxes (other than
// except) joined to n that keep lines for their peers.
func (n *network) syncPeerHosts(except string) {
	if n.ctrl.peerHosts.Load() == 0 {
		return
	}
	seen := map[string]bool{except: true}
	for _, r := range n.svcRecords() {
		if r.SandboxID == "" || seen[r.SandboxID] {
			continue
		}
		seen[r.SandboxID] = true
		sb := n.ctrl.sandboxByID(r.SandboxID)
		if sb == nil {
			continue
		}
		sb.mu.Lock()
		peers := sb.config.hostsPeers
		sb.mu.Unlock()
		if peers {
			sb.syncHosts()
		}
	}
}

// recordsMinus returns the records of a that are not in b.
func recordsMinus(a, b []etchosts.Record) []etchosts.Record {
	in := make(map[etchosts.Record]bool, len(b))
	for _, r := range b {
		in[r] = true
	}
	var out []etchosts.Record
	for _, r := range a {
		if !in[r] {
			out = append(out, r)
		}
	}
	return out
}

func firstName(r svcRecord) string {
	if len(r.Names) == 0 {
		return ""
	}
	return r.Names[0]
}
