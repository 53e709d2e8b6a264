package etcdkv

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

func TestEndpoints(t *testing.T) {
	for _, tc := range []struct {
		addrs  []string
		secure bool
		want   []string
	}{
		{[]string{"h1:2379,h2:2380"}, false, []string{"http://h1:2379", "http://h2:2380"}},
		{[]string{"h1", " etcd://h2:1 ", "https://h3:3"}, false, []string{"http://h1:2379", "http://h2:1", "https://h3:3"}},
		{[]string{"127.0.0.1:2379"}, true, []string{"https://127.0.0.1:2379"}},
		{[]string{"[::1]:2379", "[::1]"}, false, []string{"http://[::1]:2379", "http://[::1]:2379"}},
		{[]string{"HTTP://h/"}, false, []string{"http://h:2379"}},
	} {
		got, err := parseEndpoints(tc.addrs, tc.secure)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseEndpoints(%q, %v) = %v, %v; want %v", tc.addrs, tc.secure, got, err, tc.want)
		}
	}
}

// TestBadInput: bad addresses and TLS files are BadRequest errors naming
// the value, from New, with nothing opened.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name  string
		addrs []string
		cfg   *store.Config
		names string
	}{
		{"unknown scheme", []string{"ftp://h:2379"}, nil, "ftp"},
		{"unix scheme", []string{"unix:///run/etcd.sock"}, nil, "unix"},
		{"no host", []string{"http://:2379"}, nil, "http://:2379"},
		{"no host bare", []string{":2379"}, nil, ":2379"},
		{"bad port", []string{"h:99999"}, nil, "99999"},
		{"port zero", []string{"h:0"}, nil, "h:0"},
		{"port not a number", []string{"h:abc"}, nil, "h:abc"},
		{"empty port", []string{"h:"}, nil, "h:"},
		{"path", []string{"http://h:2379/v2/keys"}, nil, "/v2/keys"},
		{"no endpoint", []string{" , "}, nil, "no endpoint"},
		{"none", nil, nil, "no endpoint"},
		{"http with TLS", []string{"http://h:2379"}, &store.Config{ClientTLS: &store.ClientTLSConfig{}}, "http://h:2379"},
		{"missing cert", []string{"h"}, &store.Config{ClientTLS: &store.ClientTLSConfig{CertFile: missing, KeyFile: missing}}, missing},
		{"missing CA", []string{"h"}, &store.Config{ClientTLS: &store.ClientTLSConfig{CACertFile: missing}}, missing},
		{"cert without key", []string{"h"}, &store.Config{ClientTLS: &store.ClientTLSConfig{CertFile: "/etc/hostname"}}, "/etc/hostname"},
		{"CA not PEM", []string{"h"}, &store.Config{ClientTLS: &store.ClientTLSConfig{CACertFile: "/etc/hostname"}}, "/etc/hostname"},
		{"cert not PEM", []string{"h"}, &store.Config{ClientTLS: &store.ClientTLSConfig{CertFile: "/etc/hostname", KeyFile: "/etc/hostname"}}, "/etc/hostname"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.addrs, tc.cfg)
			if err == nil {
				s.Close()
				t.Fatal("New succeeded")
			}
			if !types.IsBadRequest(err) || !strings.Contains(err.Error(), tc.names) {
				t.Fatalf("error %v: want BadRequest naming %q", err, tc.names)
			}
		})
	}
}
