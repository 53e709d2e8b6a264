package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/types"
)

// testPKI writes a CA and a client certificate signed by it.
func testPKI(t *testing.T) (ca, cert, key string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	clKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	clTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	clDER, err := x509.CreateCertificate(rand.Reader, clTmpl, caTmpl, &clKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(clKey)
	ca = writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})))
	cert = writeFile(t, "cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clDER})))
	key = writeFile(t, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	return ca, cert, key
}

func TestOptionKVOptsTLS(t *testing.T) {
	ca, cert, key := testPKI(t)
	c := ParseConfigOptions(OptionKVProvider("etcd"), OptionKVOpts(map[string]string{
		KVCACertFile: ca, KVCertFile: cert, KVKeyFile: key}))
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	g := c.Scopes[datastore.GlobalScope].Client
	if g.Provider != "etcd" || g.Config == nil || g.Config.TLS == nil || len(g.Config.TLS.Certificates) != 1 || g.Config.TLS.RootCAs == nil {
		t.Fatalf("global store TLS not configured: %+v", g.Config)
	}
	if g.Config.ClientTLS == nil || g.Config.ClientTLS.CACertFile != ca || g.Config.ClientTLS.CertFile != cert || g.Config.ClientTLS.KeyFile != key {
		t.Fatalf("client TLS files: %+v", g.Config.ClientTLS)
	}
	// No TLS keys: nothing changes.
	c = ParseConfigOptions(OptionKVOpts(map[string]string{"other": "x"}))
	if c.Err() != nil || c.Scopes[datastore.GlobalScope] != nil {
		t.Fatalf("OptionKVOpts without TLS keys changed the config: %v %+v", c.Err(), c.Scopes[datastore.GlobalScope])
	}
}

func TestOptionKVOptsBadInput(t *testing.T) {
	ca, cert, key := testPKI(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	notPEM := writeFile(t, "not.pem", "no certificate here\n")
	tests := []struct {
		name string
		opts map[string]string
		want string
	}{
		{"only the CA", map[string]string{KVCACertFile: ca}, "must be set together"},
		{"missing CA file", map[string]string{KVCACertFile: missing, KVCertFile: cert, KVKeyFile: key}, missing},
		{"CA not PEM", map[string]string{KVCACertFile: notPEM, KVCertFile: cert, KVKeyFile: key}, "no PEM certificate"},
		{"key does not match", map[string]string{KVCACertFile: ca, KVCertFile: cert, KVKeyFile: ca}, ca},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ParseConfigOptions(OptionKVOpts(tt.opts))
			err := c.Err()
			if !types.IsBadRequest(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want a BadRequest naming %q", err, tt.want)
			}
			if g := c.Scopes[datastore.GlobalScope]; g != nil && g.Client.Config != nil && g.Client.Config.TLS != nil {
				t.Fatal("a failed OptionKVOpts left a TLS config")
			}
		})
	}
}
