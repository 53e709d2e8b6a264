package osl

import (
	"errors"
	"os"
	"strings"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"golang.org/x/sys/unix"
)

// sysctlPath returns the /proc/sys path of a network sysctl name.
func sysctlPath(name string) (string, error) {
	rel := name
	if !strings.Contains(name, "/") {
		rel = strings.ReplaceAll(name, ".", "/")
	}
	parts := strings.Split(rel, "/")
	if strings.Contains(name, "..") || len(parts) < 2 || parts[0] != "net" {
		return "", types.BadRequestErrorf("sysctl %q is not a network sysctl (net.…)", name)
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "\x00\n") {
			return "", types.BadRequestErrorf("sysctl %q is not a valid sysctl name", name)
		}
	}
	return "/proc/sys/" + rel, nil
}

// sysctlErr classes a /proc/sys access error.
func sysctlErr(err error, what, name, key string) error {
	switch {
	case errors.Is(err, unix.ENOENT):
		return types.NotFoundErrorf("%s sysctl %q in sandbox %s: no such sysctl: %w", what, name, key, err)
	case errors.Is(err, unix.EINVAL):
		return types.BadRequestErrorf("%s sysctl %q in sandbox %s: invalid value: %w", what, name, key, err)
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return types.ForbiddenErrorf("%s sysctl %q in sandbox %s: %w", what, name, key, err)
	}
	return types.InternalErrorf("%s sysctl %q in sandbox %s: %w", what, name, key, err)
}

func (n *namespace) SetSysctl(name, value string) error {
	path, err := sysctlPath(name)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return errDestroyed(n.key)
	}
	err = ns.WithNetNS(n.nsh, func() error {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return err
		}
		_, werr := f.WriteString(value)
		cerr := f.Close()
		if werr != nil {
			return werr
		}
		return cerr
	})
	if err != nil {
		return sysctlErr(err, "set", name, n.key)
	}
	return nil
}

func (n *namespace) GetSysctl(name string) (string, error) {
	path, err := sysctlPath(name)
	if err != nil {
		return "", err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.destroyed {
		return "", errDestroyed(n.key)
	}
	var out []byte
	err = ns.WithNetNS(n.nsh, func() error {
		var err error
		out, err = os.ReadFile(path)
		return err
	})
	if err != nil {
		return "", sysctlErr(err, "read", name, n.key)
	}
	return strings.TrimSpace(string(out)), nil
}
