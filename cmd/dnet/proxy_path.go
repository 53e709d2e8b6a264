package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/cnmkit/libnetwork/portmapper"
)

// proxyNames are the names the userland proxy is built under: the
// library's, and the Makefile's bin/proxy.
var proxyNames = []string{portmapper.DefaultProxyName, "proxy"}

// findProxy returns the userland proxy for --userland-proxy without
// --userland-proxy-path: next to the dnet binary first, then on $PATH.
func findProxy() (string, error) {
	self, err := os.Executable()
	if err != nil {
		self = ""
	}
	return findProxyNear(filepath.Dir(self))
}

// findProxyNear looks for the proxy in dir, then on $PATH.
func findProxyNear(dir string) (string, error) {
	var tried []string
	if dir != "" && dir != "." {
		for _, n := range proxyNames {
			p := filepath.Join(dir, n)
			if isExecutable(p) {
				return p, nil
			}
			tried = append(tried, p)
		}
	}
	if p, err := exec.LookPath(portmapper.DefaultProxyName); err == nil {
		return filepath.Abs(p)
	}
	tried = append(tried, portmapper.DefaultProxyName+" on $PATH")
	return "", fmt.Errorf("--userland-proxy: no proxy found (tried %v): build cmd/proxy or name it with --userland-proxy-path", tried)
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}
