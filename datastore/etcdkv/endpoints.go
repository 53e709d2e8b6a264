package etcdkv

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

// parseEndpoints turns libkv addresses (host[:port] or http, https or
// etcd URLs, possibly comma-separated) into client URLs. secure selects
// https for addresses without a scheme and for etcd://.
func parseEndpoints(addrs []string, secure bool) ([]string, error) {
	var out []string
	for _, a := range addrs {
		for _, one := range strings.Split(a, ",") {
			one = strings.TrimSpace(one)
			if one == "" {
				continue
			}
			ep, err := parseEndpoint(one, secure)
			if err != nil {
				return nil, err
			}
			out = append(out, ep)
		}
	}
	if len(out) == 0 {
		return nil, types.BadRequestErrorf("etcd: no endpoint in %q", strings.Join(addrs, ","))
	}
	return out, nil
}

func parseEndpoint(a string, secure bool) (string, error) {
	scheme, rest := "", a
	if i := strings.Index(a, "://"); i >= 0 {
		scheme, rest = strings.ToLower(a[:i]), a[i+3:]
	}
	switch scheme {
	case "", "etcd":
		scheme = "http"
		if secure {
			scheme = "https"
		}
	case "https":
	case "http":
		if secure {
			return "", types.BadRequestErrorf("etcd endpoint %q: scheme http with a TLS configuration", a)
		}
	default:
		return "", types.BadRequestErrorf("etcd endpoint %q: unknown scheme %q (want http, https or etcd)", a, scheme)
	}
	u, err := url.Parse("http://" + rest)
	if err != nil {
		return "", types.BadRequestErrorf("etcd endpoint %q: %w", a, err)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", types.BadRequestErrorf("etcd endpoint %q: want host[:port], got extra parts", a)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return "", types.BadRequestErrorf("etcd endpoint %q: no host", a)
	}
	if strings.HasSuffix(u.Host, ":") {
		return "", types.BadRequestErrorf("etcd endpoint %q: empty port", a)
	}
	if port == "" {
		port = DefaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", types.BadRequestErrorf("etcd endpoint %q: bad port %q", a, port)
	}
	return scheme + "://" + net.JoinHostPort(host, port), nil
}

func hasHTTPS(eps []string) bool {
	for _, e := range eps {
		if strings.HasPrefix(e, "https://") {
			return true
		}
	}
	return false
}

func defaultTLS() *tls.Config { return &tls.Config{MinVersion: tls.VersionTLS12} }

// tlsConfig builds the client TLS configuration from cfg.TLS and the
// files of cfg.ClientTLS; nil when neither is set.
func tlsConfig(cfg *store.Config) (*tls.Config, error) {
	if cfg == nil || (cfg.TLS == nil && cfg.ClientTLS == nil) {
		return nil, nil
	}
	t := defaultTLS()
	if cfg.TLS != nil {
		t = cfg.TLS.Clone()
	}
	c := cfg.ClientTLS
	if c == nil {
		return t, nil
	}
	for _, f := range []struct{ what, path string }{{"cert", c.CertFile}, {"key", c.KeyFile}, {"CA", c.CACertFile}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return nil, types.BadRequestErrorf("etcd TLS %s file %q: %w", f.what, f.path, err)
		}
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, types.BadRequestErrorf("etcd TLS: cert file %q and key file %q must be given together", c.CertFile, c.KeyFile)
	}
	if c.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, types.BadRequestErrorf("etcd TLS cert %q / key %q: %w", c.CertFile, c.KeyFile, err)
		}
		if len(t.Certificates) == 0 { // cfg.TLS may carry the same pair
			t.Certificates = []tls.Certificate{pair}
		}
	}
	if c.CACertFile != "" {
		pem, err := os.ReadFile(c.CACertFile)
		if err != nil {
			return nil, types.BadRequestErrorf("etcd TLS CA file %q: %w", c.CACertFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, types.BadRequestErrorf("etcd TLS CA file %q: no PEM certificate in it", c.CACertFile)
		}
		if t.RootCAs == nil {
			t.RootCAs = pool
		}
	}
	return t, nil
}
