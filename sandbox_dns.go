package libnetwork

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/cnmkit/libnetwork/etchosts"
	"github.com/cnmkit/libnetwork/resolvconf"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// Sandbox name resolution.
//
// Files. Each sandbox has a hosts file and a resolv.conf, written when it
// is created: at OptionHostsPath and OptionResolvConfPath, or by default in
// <exec root>/files/<sandbox ID>/ (run-time state: the files live as long
// as the sandbox and the directory is removed with it). Every write is
// atomic (temporary file and rename). In the hosts file the controller
// keeps, besides the default lines and the extra hosts, one line per
// address of the sandbox's endpoints with its host name and, with
// OptionHostsPeers, a line per address of every other endpoint on the
// networks the sandbox is joined to; every other line, such as those a
// user adds, is left alone. The resolv.conf starts from the host's file
// (config.OptionHostResolvConf), filtered for use in a namespace, with the
// sandbox's DNS options applied; its hash is kept in the sandbox's store
// object and a file edited since it was written is never overwritten.
//
// Embedded DNS. A sandbox with a namespace of its own that joins a network
// with DNS (a user-defined one: not null, host, the default network or the
// default bridge) runs one embedded DNS server (package resolver) from its
// first such join until it is deleted; its resolv.conf then names
// 127.0.0.11 and the upstream servers become the server's forwarders. The
// server answers from the networks' service records (service_records.go),
// which Join fills and Leave empties before it returns.

// sandboxDNS is a sandbox's name-resolution state. managed is guarded by
// hostsMu, the other fields by the sandbox's mu.
type sandboxDNS struct {
	hostsMu sync.Mutex
	managed []etchosts.Record // the lines of the hosts file we keep

	rcHash    string // hash of the resolv.conf we last wrote
	rcPath    string // the file rcHash is of
	deferSync bool   // Refresh in progress: resolv.conf is synced at its end
	resolver  *sandboxResolver
	// storedCfg is, during a restore that changed the configuration of a
	// live sandbox, the configuration its files were written for.
	storedCfg *containerConfig
}

// OptionHostsPeers makes the controller keep, in the sandbox's hosts file,
// a line for every other endpoint on the networks the sandbox is joined
// to, added and removed as they join and leave (libnetwork did this for
// links). Off by default.
func OptionHostsPeers(enable bool) SandboxOption {
	return func(sb *sandbox) {
		sb.config.hostsPeers = enable
	}
}

// filesDir is the default directory of a sandbox's hosts file and resolv.conf.
func (c *controller) filesDir(sid string) string {
	return filepath.Join(c.execRoot(), "files", sid)
}

func (c *controller) hostsPath(sid string, cfg *containerConfig) string {
	if cfg.hostsPath != "" {
		return cfg.hostsPath
	}
	return filepath.Join(c.filesDir(sid), "hosts")
}

func (c *controller) resolvConfPath(sid string, cfg *containerConfig) string {
	if cfg.resolvConfPath != "" {
		return cfg.resolvConfPath
	}
	return filepath.Join(c.filesDir(sid), "resolv.conf")
}

// validateDNSConfig checks the name-resolution options of a sandbox: DNS
// servers, search domains and options, host and domain names, extra hosts.
func validateDNSConfig(cfg *containerConfig) error {
	if err := resolvconf.ValidateNameservers(cfg.dnsList); err != nil {
		return err
	}
	if len(cfg.dnsSearchList) > 0 {
		if err := resolvconf.ValidateSearchDomains(cfg.dnsSearchList); err != nil {
			return err
		}
	}
	if err := resolvconf.ValidateOptions(splitDNSOptions(cfg.dnsOptionsList)); err != nil {
		return err
	}
	for _, x := range [][2]string{{"host name", cfg.hostName}, {"domain name", cfg.domainName}} {
		what, name := x[0], x[1]
		if name == "" {
			continue
		}
		if err := etchosts.ValidateRecord(etchosts.Record{Hosts: name, IP: "127.0.0.1"}); err != nil || len(strings.Fields(name)) != 1 {
			return types.BadRequestErrorf("invalid %s %q: %w", what, name, errOrBlank(err))
		}
	}
	for _, h := range cfg.extraHosts {
		err := etchosts.ValidateRecord(etchosts.Record{Hosts: h.name, IP: h.IP})
		if err != nil || len(strings.Fields(h.name)) != 1 {
			return types.BadRequestErrorf("invalid extra host %q with IP %q: %w", h.name, h.IP, errOrBlank(err))
		}
	}
	return nil
}

func errOrBlank(err error) error {
	if err != nil {
		return err
	}
	return types.BadRequestErrorf("a single name without blanks is expected")
}

// sandboxFiles are the resolution files of a new sandbox, ready to write.
type sandboxFiles struct {
	cfg        containerConfig
	hostsPath  string
	rcPath     string
	rcContent  []byte
	defaultDir string // our directory, removed on failure
}

// prepareFiles computes a new sandbox's files (reading the host's
// resolv.conf) and records the resolv.conf hash in the sandbox.
func (sb *sandbox) prepareFiles() (*sandboxFiles, error) {
	c := sb.ctrl
	f := &sandboxFiles{cfg: sb.config, defaultDir: c.filesDir(sb.id)}
	f.hostsPath, f.rcPath = c.hostsPath(sb.id, &f.cfg), c.resolvConfPath(sb.id, &f.cfg)
	content, _, err := c.buildResolvConf(&f.cfg, false, false)
	if err != nil {
		return nil, err
	}
	f.rcContent = content
	sb.dns.rcHash, sb.dns.rcPath = resolvconf.HashData(content), f.rcPath
	return f, nil
}

// write writes the files (at once: each write syncs).
func (f *sandboxFiles) write() error {
	hosts := make(chan error, 1)
	go func() { hosts <- buildHostsFile(f.hostsPath, &f.cfg) }()
	err := os.MkdirAll(filepath.Dir(f.rcPath), 0o755)
	if err != nil {
		err = types.InternalErrorf("create directory of resolv.conf %s: %w", f.rcPath, err)
	} else {
		_, err = resolvconf.Write(f.rcPath, f.rcContent)
	}
	if herr := <-hosts; herr != nil {
		return herr
	}
	return err
}

// remove removes what write wrote in our directory.
func (f *sandboxFiles) remove() {
	if err := os.RemoveAll(f.defaultDir); err != nil {
		logrus.WithField("dir", f.defaultDir).WithError(err).Warn("remove sandbox files")
	}
}

// dnsJoined publishes a joined endpoint's records and updates the
// sandbox's lookups, files and embedded DNS server. The caller holds
// sb.opMu and ep.opMu; the join is complete and stored.
func (sb *sandbox) dnsJoined(ep *endpoint) {
	changed := ep.publishSvcRecord(sb.id)
	sb.refreshDNSView()
	sb.syncHosts()
	if changed {
		ep.network.syncPeerHosts(sb.id)
	}
	sb.updateParentHosts()
	if sb.syncResolvConf() {
		sb.persist()
	}
}

// dnsLeaving withdraws a leaving endpoint's records, so that its names stop
// resolving before anything else of the leave; it reports whether there
// were any.
func (ep *endpoint) dnsLeaving() bool {
	return ep.network.deleteSvcRecord(ep.id)
}

// dnsLeft updates the sandbox's lookups and files after ep left it.
func (sb *sandbox) dnsLeft(ep *endpoint, hadRecords bool) {
	sb.refreshDNSView()
	sb.syncHosts()
	if hadRecords {
		ep.network.syncPeerHosts(sb.id)
	}
	if sb.syncResolvConf() {
		sb.persist()
	}
}

// dnsForget withdraws the records of an endpoint whose sandbox is gone.
func (ep *endpoint) dnsForget() {
	if ep.network.deleteSvcRecord(ep.id) {
		ep.network.syncPeerHosts("")
	}
}

// dnsRenamed refreshes the records of a renamed endpoint joined to sb.
func (sb *sandbox) dnsRenamed(ep *endpoint) {
	if ep.getSandboxID() != sb.id {
		return
	}
	if ep.publishSvcRecord(sb.id) {
		ep.network.syncPeerHosts(sb.id)
	}
}

// dnsDelete stops the embedded DNS server of a sandbox being deleted and
// removes its files from our directory (files at paths the embedder gave
// are the embedder's).
func (sb *sandbox) dnsDelete() {
	sb.mu.Lock()
	own := sb.ownNS
	sb.mu.Unlock()
	// The rules go with a namespace we destroy.
	sb.stopResolver(own)
	dir := sb.ctrl.filesDir(sb.id)
	if err := os.RemoveAll(dir); err != nil {
		logrus.WithField("sid", sb.id).WithError(err).Warn("remove sandbox files")
	}
}

// dnsRestore finishes name resolution after a restart, once the stale
// endpoints are gone (with their records, and their lines in the hosts
// files): the live sandboxes' lookups, hosts files, embedded DNS servers
// and resolv.conf; the files of sandboxes that did not survive.
func (c *controller) dnsRestore(live []*sandbox) {
	keep := map[string]bool{}
	for _, sb := range live {
		keep[sb.id] = true
		sb.opMu.Lock()
		if old := sb.dns.storedCfg; old != nil {
			sb.dns.storedCfg = nil
			if err := sb.refreshHostsFile(old, &sb.config); err != nil {
				logrus.WithField("sid", sb.id).WithError(err).Warn("restore: hosts file")
			}
		}
		sb.refreshDNSView()
		sb.syncHosts()
		if _, err := sb.startResolver(nil); err != nil {
			logrus.WithField("sid", sb.id).WithError(err).Error("restore: embedded DNS server")
		}
		if sb.syncResolvConf() {
			sb.persist()
		}
		sb.opMu.Unlock()
	}
	dir := filepath.Join(c.execRoot(), "files")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !keep[e.Name()] {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				logrus.WithField("sid", e.Name()).WithError(err).Warn("restore: remove files of a stale sandbox")
			}
		}
	}
}

// publishRestored publishes the records of restored joined endpoints, live
// or stale (removing a stale one withdraws them).
func publishRestored(eps []*endpoint) {
	for _, ep := range eps {
		ep.publishSvcRecord(ep.sandboxID)
	}
}
