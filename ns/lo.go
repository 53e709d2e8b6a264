package ns

import (
	"github.com/cnmkit/libnetwork/types"
	"golang.org/x/sys/unix"
)

// SetLoopbackUp brings up "lo" in the calling thread's namespace.
func SetLoopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return types.InternalErrorf("socket for lo: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return types.InternalErrorf("ifreq lo: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return types.InternalErrorf("get lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return types.InternalErrorf("set lo up: %w", err)
	}
	return nil
}
