package nlraw

import (
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// HostNamespace returns a handle of the caller's own to the host namespace
// given in config under key: a duplicate of that netns.NsHandle, or the
// process's current namespace when the key is absent or nil. owner names
// the caller (a driver) in error messages. The caller closes the handle.
func HostNamespace(config map[string]interface{}, key, owner string) (netns.NsHandle, error) {
	v, ok := config[key]
	if !ok || v == nil {
		h, err := netns.Get()
		if err != nil {
			return netns.None(), types.InternalErrorf("%s: get the current network namespace: %w", owner, err)
		}
		return h, nil
	}
	h, ok := v.(netns.NsHandle)
	if !ok {
		return netns.None(), types.BadRequestErrorf("%s driver option %s: want a netns.NsHandle, got %T", owner, key, v)
	}
	if !h.IsOpen() {
		return netns.None(), types.BadRequestErrorf("%s driver option %s: namespace handle %d is not open", owner, key, int(h))
	}
	fd, err := unix.FcntlInt(uintptr(h), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return netns.None(), types.InternalErrorf("%s: duplicate the host namespace handle: %w", owner, err)
	}
	return netns.NsHandle(fd), nil
}
