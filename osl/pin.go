package osl

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/cnmkit/libnetwork/types"
	"golang.org/x/sys/unix"
)

// createKeyFile creates the empty file a namespace is bind-mounted on.
func createKeyFile(key string) error {
	if err := os.MkdirAll(filepath.Dir(key), 0o755); err != nil {
		return types.InternalErrorf("create dir for sandbox key %q: %w", key, err)
	}
	f, err := os.OpenFile(key, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		if os.IsExist(err) {
			return types.ConflictErrorf("sandbox key %q already exists", key)
		}
		return types.InternalErrorf("create sandbox key %q: %w", key, err)
	}
	return f.Close()
}

// bindAt bind-mounts the namespace file src at key (a file it creates). On
// failure nothing is left at key.
func bindAt(src, key string) error {
	if err := createKeyFile(key); err != nil {
		return err
	}
	if err := unix.Mount(src, key, "none", unix.MS_BIND, ""); err != nil {
		_ = os.Remove(key)
		return kernelErr(err, "bind namespace %q at sandbox key %q", src, key)
	}
	return nil
}

// pinCaller pins the calling thread's network namespace at key.
func pinCaller(key string) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return bindAt(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), key)
}
