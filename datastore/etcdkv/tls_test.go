package etcdkv

import (
	"strings"
	"testing"
	"time"

	"github.com/cnmkit/libnetwork/internal/testutils"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

func TestTLS(t *testing.T) {
	p := testutils.NewPKI(t)
	e := testutils.StartEtcd(t, p.EtcdTLS(p.ClientTLS(t)))
	const timeout = 2 * time.Second

	good := open(t, e.ClientAddr, &store.Config{ConnectionTimeout: timeout,
		ClientTLS: &store.ClientTLSConfig{CertFile: p.ClientCert, KeyFile: p.ClientKey, CACertFile: p.CA}})
	if !strings.HasPrefix(good.Endpoints(), "https://") {
		t.Fatalf("endpoints %s: want https", good.Endpoints())
	}
	if err := good.Put("tls/k", []byte("v"), nil); err != nil {
		t.Fatalf("put with the client cert: %v", err)
	}
	if v, err := good.Get("tls/k"); err != nil || string(v.Value) != "v" {
		t.Fatalf("get with the client cert: %+v %v", v, err)
	}

	other := testutils.NewPKI(t)
	for _, tc := range []struct {
		name string
		cfg  *store.Config
	}{
		{"no client cert", &store.Config{ConnectionTimeout: timeout, ClientTLS: &store.ClientTLSConfig{CACertFile: p.CA}}},
		{"cert of another CA", &store.Config{ConnectionTimeout: timeout,
			ClientTLS: &store.ClientTLSConfig{CertFile: other.ClientCert, KeyFile: other.ClientKey, CACertFile: p.CA}}},
		{"server not trusted", &store.Config{ConnectionTimeout: timeout,
			ClientTLS: &store.ClientTLSConfig{CertFile: p.ClientCert, KeyFile: p.ClientKey, CACertFile: other.CA}}},
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
