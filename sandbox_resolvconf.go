package libnetwork

import (
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/cnmkit/libnetwork/resolvconf"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// embeddedDNSOptions are added to the resolv.conf of a sandbox served by the
// embedded DNS server unless it sets them (as libnetwork): names without
// dots go to the server as they are, where container names live.
var embeddedDNSOptions = []string{"ndots:0"}

// resolvConfSource is the file a sandbox's resolv.conf starts from: the
// controller's host file.
func (c *controller) resolvConfSource() string {
	if p := c.config().Daemon.DNS.ResolvConf; p != "" {
		return p
	}
	return resolvconf.Path()
}

// buildResolvConf returns the resolv.conf content of a sandbox configured
// by cfg, and the servers its embedded DNS server forwards to. A sandbox
// with OptionOriginResolvConfPath gets that file unchanged. The source
// file is filtered for use inside a namespace (loopback servers dropped,
// IPv6 ones too without ipv6; the configured fallback servers when none is
// left) except for a sandbox in the host's namespace, which gets it as it
// is. OptionDNS, OptionDNSSearch and OptionDNSOptions replace the matching
// lists. With embedded the file names the embedded server and the
// nameservers become its upstreams.
func (c *controller) buildResolvConf(cfg *containerConfig, embedded, ipv6 bool) ([]byte, []string, error) {
	if p := cfg.originResolvConfPath; p != "" {
		// The sandbox gets that file as it is.
		content, err := os.ReadFile(p)
		if err != nil {
			return nil, nil, types.BadRequestErrorf("origin resolv.conf %s: %w", p, err)
		}
		return content, resolvconf.GetNameservers(content, resolvconf.IP), nil
	}
	src := c.resolvConfSource()
	content, err := os.ReadFile(src)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, types.InternalErrorf("read resolv.conf %s: %w", src, err)
		}
		content = nil
	}
	if !cfg.useDefaultSandbox {
		f, err := resolvconf.FilterResolvDNSWithFallback(content, ipv6, c.config().Daemon.DNS.Fallback...)
		if err != nil {
			return nil, nil, err
		}
		content = f.Content
	}
	if len(cfg.dnsList) > 0 || len(cfg.dnsSearchList) > 0 || len(cfg.dnsOptionsList) > 0 {
		conf, err := resolvconf.Parse(content).Override(cfg.dnsList, cfg.dnsSearchList, splitDNSOptions(cfg.dnsOptionsList))
		if err != nil {
			return nil, nil, err
		}
		content = conf.Bytes()
	}
	if !embedded {
		return content, resolvconf.GetNameservers(content, resolvconf.IP), nil
	}
	conf, upstreams, err := resolvconf.Parse(content).ForEmbeddedDNS("", embeddedDNSOptions)
	if err != nil {
		return nil, nil, err
	}
	return conf.Bytes(), upstreams, nil
}

// splitDNSOptions splits OptionDNSOptions values, each of which may hold
// several options separated by blanks.
func splitDNSOptions(list []string) []string {
	var out []string
	for _, s := range list {
		out = append(out, strings.Fields(s)...)
	}
	return out
}

// hasIPv6 reports whether the sandbox has IPv6: an endpoint with an IPv6
// address or on a network with IPv6 enabled.
func (sb *sandbox) hasIPv6() bool {
	sb.mu.Lock()
	eps := append([]*endpoint(nil), sb.endpoints...)
	sb.mu.Unlock()
	for _, ep := range eps {
		if ep.network.enableIPv6 {
			return true
		}
		ep.mu.Lock()
		v6 := ep.iface.addrv6 != nil
		ep.mu.Unlock()
		if v6 {
			return true
		}
	}
	return false
}

// syncResolvConf brings the sandbox's resolv.conf, and the upstreams of its
// embedded DNS server, up to date with its configuration and endpoints. A
// file the user edited since it was last written is left alone. It reports
// whether the hash kept in the sandbox's store object changed (the caller
// writes the object). The caller holds opMu.
func (sb *sandbox) syncResolvConf() bool {
	sb.mu.Lock()
	if sb.inDelete || sb.deleted || sb.dns.deferSync {
		sb.mu.Unlock()
		return false
	}
	cfg := sb.config
	res, last, lastPath := sb.dns.resolver, sb.dns.rcHash, sb.dns.rcPath
	sb.mu.Unlock()
	log := logrus.WithField("sid", sb.id)
	path := sb.ctrl.resolvConfPath(sb.id, &cfg)
	content, upstreams, err := sb.ctrl.buildResolvConf(&cfg, res != nil, sb.hasIPv6())
	if err != nil {
		log.WithError(err).Warn("resolv.conf: build")
		return false
	}
	if res != nil {
		if err := res.setUpstreams(upstreams); err != nil {
			log.WithError(err).Warn("embedded DNS: set upstreams")
		}
	}
	hash := last
	if path != lastPath || last == "" {
		f, err := resolvconf.Write(path, content)
		if err != nil {
			log.WithError(err).Warn("resolv.conf: write")
			return false
		}
		hash = f.Hash
	} else if resolvconf.HashData(content) != last {
		h, written, err := resolvconf.WriteIfUnchanged(path, content, last)
		if err != nil {
			log.WithError(err).Warn("resolv.conf: update")
			return false
		}
		if !written {
			log.WithField("path", path).Debug("resolv.conf edited by the user: left alone")
		}
		hash = h
	}
	sb.mu.Lock()
	defer sb.mu.Unlock()
	changed := hash != sb.dns.rcHash || path != sb.dns.rcPath
	sb.dns.rcHash, sb.dns.rcPath = hash, path
	return changed
}

// persist writes the sandbox's store object; failures are logged.
func (sb *sandbox) persist() {
	if err := sb.ctrl.putObject(sb.record()); err != nil {
		logrus.WithField("sid", sb.id).WithError(err).Warn("store sandbox")
	}
}
