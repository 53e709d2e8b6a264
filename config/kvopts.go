package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

// The keys OptionKVOpts reads: the global store's TLS files.
const (
	KVCACertFile = "kv.cacertfile"
	KVCertFile   = "kv.certfile"
	KVKeyFile    = "kv.keyfile"
)

// OptionKVOpts configures the global store's client from opts: with
// kv.cacertfile, kv.certfile and kv.keyfile all set it talks TLS, trusting
// that CA and presenting that certificate. A file that cannot be loaded,
// or only some of the three, makes the controller refuse the configuration
// (Config.Err).
func OptionKVOpts(opts map[string]string) Option {
	return func(c *Config) {
		ca, cert, key := opts[KVCACertFile], opts[KVCertFile], opts[KVKeyFile]
		if ca == "" && cert == "" && key == "" {
			return
		}
		if ca == "" || cert == "" || key == "" {
			c.addErr(types.BadRequestErrorf("kv options: %s, %s and %s must be set together (got %q, %q, %q)",
				KVCACertFile, KVCertFile, KVKeyFile, ca, cert, key))
			return
		}
		tc, err := clientTLS(ca, cert, key)
		if err != nil {
			c.addErr(err)
			return
		}
		s := globalScope(c)
		if s.Client.Config == nil {
			s.Client.Config = &store.Config{}
		}
		s.Client.Config.TLS = tc
		s.Client.Config.ClientTLS = &store.ClientTLSConfig{CACertFile: ca, CertFile: cert, KeyFile: key}
	}
}

func clientTLS(ca, cert, key string) (*tls.Config, error) {
	pem, err := os.ReadFile(ca)
	if err != nil {
		return nil, types.BadRequestErrorf("kv option %s %q: %w", KVCACertFile, ca, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, types.BadRequestErrorf("kv option %s %q: no PEM certificate in it", KVCACertFile, ca)
	}
	pair, err := tls.LoadX509KeyPair(cert, key)
	if err != nil {
		return nil, types.BadRequestErrorf("kv options %s %q and %s %q: %w", KVCertFile, cert, KVKeyFile, key, err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

func (c *Config) addErr(err error) { c.errs = append(c.errs, err) }

// Err returns what options could not apply (a bad TLS file, say), or nil.
func (c *Config) Err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return errors.Join(c.errs...)
}
