// Package ns runs code inside a network namespace and creates pinned
// namespaces. It is the only place that switches a thread's namespace.
package ns

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// WithNetNS runs fn on a locked OS thread that has entered the namespace h,
// then switches the thread back. A thread that cannot switch back is retired.
func WithNetNS(h netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- types.InternalErrorf("get current netns: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(h); err != nil {
			runtime.UnlockOSThread()
			errc <- types.InternalErrorf("enter netns %s: %w", h, err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			// The thread stays locked and dies with this goroutine.
			errc <- types.InternalErrorf("restore netns: %w", err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// WithNetNSPath runs fn inside the namespace pinned at path.
func WithNetNSPath(path string, fn func() error) error {
	h, err := netns.GetFromPath(path)
	if err != nil {
		return types.BadRequestErrorf("open netns %q: %w", path, err)
	}
	defer h.Close()
	return WithNetNS(h, fn)
}

// NewPinned creates a new network namespace, brings its loopback up when
// loUp is set, and pins it by a bind mount at path (a file it creates).
// The calling thread's namespace is unchanged.
func NewPinned(path string, loUp bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return types.InternalErrorf("create dir for netns %q: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if err != nil {
		if os.IsExist(err) {
			return types.ConflictErrorf("netns path %q already exists", path)
		}
		return types.InternalErrorf("create netns file %q: %w", path, err)
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- types.InternalErrorf("get current netns: %w", err)
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- types.InternalErrorf("unshare netns: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		ferr := unix.Mount(src, path, "none", unix.MS_BIND, "")
		if ferr != nil {
			ferr = types.InternalErrorf("pin netns at %q: %w", path, ferr)
		} else if loUp {
			ferr = SetLoopbackUp()
		}
		if err := netns.Set(orig); err != nil {
			errc <- types.InternalErrorf("restore netns: %w", err)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	if err := <-errc; err != nil {
		_ = RemovePinned(path)
		return err
	}
	return nil
}

// RemovePinned unpins the namespace at path and removes the file. The kernel
// frees the namespace once nothing else holds it. A missing path is not an error.
func RemovePinned(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
		return types.InternalErrorf("unpin netns %q: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return types.InternalErrorf("remove netns file %q: %w", path, err)
	}
	return nil
}

// IsNetNS reports whether path is a network namespace file (pinned or
// /proc): a file of the namespace filesystem whose type is network.
func IsNetNS(path string) bool {
	var st unix.Statfs_t
	if path == "" || unix.Statfs(path, &st) != nil || st.Type != unix.NSFS_MAGIC {
		return false
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	t, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	return err == nil && t == unix.CLONE_NEWNET
}
