package etcdkv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

// pki is a CA with a server and a client certificate, as PEM files.
type pki struct {
	dir                       string
	ca, serverCert, serverKey string
	clientCert, clientKey     string
	caCert                    *x509.Certificate
	caKey                     *ecdsa.PrivateKey
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir()}
	p.caKey = mustKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.caKey.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	p.caCert, _ = x509.ParseCertificate(der)
	p.ca = p.write(t, "ca.pem", "CERTIFICATE", der)
	p.serverCert, p.serverKey = p.issue(t, "server", 2, x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = p.issue(t, "client", 3, x509.ExtKeyUsageClientAuth)
	return p
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (p *pki) issue(t *testing.T, name string, serial int64, usage x509.ExtKeyUsage) (string, string) {
	t.Helper()
	k := mustKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caCert, &k.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return p.write(t, name+".pem", "CERTIFICATE", der), p.write(t, name+"-key.pem", "EC PRIVATE KEY", kder)
}

func (p *pki) write(t *testing.T, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// probe is the readiness check's client config: CA and client cert.
func (p *pki) probe(t *testing.T) *tls.Config {
	c, err := tlsConfig(&store.Config{ClientTLS: &store.ClientTLSConfig{CertFile: p.clientCert, KeyFile: p.clientKey, CACertFile: p.ca}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTLS(t *testing.T) {
	p := newPKI(t)
	e := testutils.StartEtcd(t, &testutils.EtcdTLS{CertFile: p.serverCert, KeyFile: p.serverKey, ClientCA: p.ca, Probe: p.probe(t)})
	const timeout = 2 * time.Second

	good := open(t, e.ClientAddr, &store.Config{ConnectionTimeout: timeout,
		ClientTLS: &store.ClientTLSConfig{CertFile: p.clientCert, KeyFile: p.clientKey, CACertFile: p.ca}})
	if !strings.HasPrefix(good.Endpoints(), "https://") {
		t.Fatalf("endpoints %s: want https", good.Endpoints())
	}
	if err := good.Put("tls/k", []byte("v"), nil); err != nil {
		t.Fatalf("put with the client cert: %v", err)
	}
	if v, err := good.Get("tls/k"); err != nil || string(v.Value) != "v" {
		t.Fatalf("get with the client cert: %+v %v", v, err)
	}

	other := newPKI(t)
	for _, tc := range []struct {
		name string
		cfg  *store.Config
	}{
		{"no client cert", &store.Config{ConnectionTimeout: timeout, ClientTLS: &store.ClientTLSConfig{CACertFile: p.ca}}},
		{"cert of another CA", &store.Config{ConnectionTimeout: timeout,
			ClientTLS: &store.ClientTLSConfig{CertFile: other.clientCert, KeyFile: other.clientKey, CACertFile: p.ca}}},
		{"server not trusted", &store.Config{ConnectionTimeout: timeout,
			ClientTLS: &store.ClientTLSConfig{CertFile: p.clientCert, KeyFile: p.clientKey, CACertFile: other.ca}}},
		{"plain http", &store.Config{ConnectionTimeout: timeout}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, e.ClientAddr, tc.cfg)
			start := time.Now()
			_, err := s.Get("tls/k")
			if err == nil {
				t.Fatal("get succeeded")
			}
			if !(types.IsNoService(err) || types.IsTimeout(err)) || !strings.Contains(err.Error(), e.ClientAddr) {
				t.Fatalf("error %v: want NoService or Timeout naming %s", err, e.ClientAddr)
			}
			t.Logf("%v", err)
			if d := time.Since(start); d > timeout+time.Second {
				t.Fatalf("failed after %v, bound %v", d, timeout)
			}
		})
	}
}
