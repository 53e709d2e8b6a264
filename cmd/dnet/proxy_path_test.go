package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindProxyNear(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	if _, err := findProxyNear(dir); err == nil || !strings.Contains(err.Error(), "--userland-proxy-path") {
		t.Fatalf("no proxy anywhere: err %v, want one naming --userland-proxy-path", err)
	}
	// A file that is not executable is not a proxy.
	plain := filepath.Join(dir, "proxy")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := findProxyNear(dir); err == nil {
		t.Fatal("found a proxy that is not executable")
	}
	if err := os.Chmod(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := findProxyNear(dir); err != nil || p != plain {
		t.Fatalf("bin/proxy next to dnet: got %q, %v", p, err)
	}
	named := filepath.Join(dir, "cnmkit-proxy")
	if err := os.WriteFile(named, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if p, err := findProxyNear(dir); err != nil || p != named {
		t.Fatalf("cnmkit-proxy next to dnet: got %q, %v", p, err)
	}
	// On $PATH when nothing is next to dnet.
	onPath := t.TempDir()
	if err := os.WriteFile(filepath.Join(onPath, "cnmkit-proxy"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", onPath)
	if p, err := findProxyNear(t.TempDir()); err != nil || p != filepath.Join(onPath, "cnmkit-proxy") {
		t.Fatalf("on $PATH: got %q, %v", p, err)
	}
}
