package osl

import (
	"errors"
	"fmt"

	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// kernelErr classes a kernel (netlink or syscall) error by its errno and wraps
// it with a message that names what was being done.
func kernelErr(err error, format string, a ...interface{}) error {
	msg := fmt.Sprintf(format, a...)
	var lnf netlink.LinkNotFoundError
	if errors.As(err, &lnf) {
		return types.NotFoundErrorf("%s: %w", msg, err)
	}
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return types.InternalErrorf("%s: %w", msg, err)
	}
	switch errno {
	case unix.EEXIST, unix.EBUSY:
		return types.ConflictErrorf("%s: %w", msg, err)
	case unix.ENODEV, unix.ENOENT, unix.ESRCH, unix.ENXIO:
		return types.NotFoundErrorf("%s: %w", msg, err)
	case unix.EINVAL, unix.ERANGE, unix.EADDRNOTAVAIL, unix.ENETUNREACH, unix.EAFNOSUPPORT, unix.EOPNOTSUPP:
		return types.BadRequestErrorf("%s: %w", msg, err)
	case unix.EPERM, unix.EACCES:
		return types.ForbiddenErrorf("%s: %w", msg, err)
	}
	return types.InternalErrorf("%s: %w", msg, err)
}

// isGone reports whether err says the kernel object no longer exists.
func isGone(err error) bool {
	var lnf netlink.LinkNotFoundError
	return errors.As(err, &lnf) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENOENT)
}

// errDestroyed is the error for any operation on a destroyed sandbox.
func errDestroyed(key string) error {
	return types.ForbiddenErrorf("sandbox %s is destroyed", key)
}
