package netutils

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// OpenSandboxNS opens the network namespace pinned at key for a driver's
// Join. It returns -1 and no error when nothing is pinned there yet: a
// sandbox whose namespace the runtime hands over later (SetKey), whose
// interfaces are made in the host namespace for the sandbox to take in.
func OpenSandboxNS(key string) (int, error) {
	fd, err := unix.Open(key, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return -1, nil
	}
	return fd, err
}
