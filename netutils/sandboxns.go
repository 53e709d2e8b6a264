package netutils

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// OpenSandboxNS opens the network namespace pinned at key for a driver's
// Join. It returns -1 and no error when nothing is pinned there yet: a
// sandbox whose namespace the runtime hands over later (SetKey), whose
// interfaces are made in the host namespace for the sandbox to take in. A
// file there that is not a namespace is an error.
func OpenSandboxNS(key string) (int, error) {
	fd, err := unix.Open(key, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if errors.Is(err, os.ErrNotExist) {
		return -1, nil
	}
	if err != nil {
		return -1, err
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil || st.Type != unix.NSFS_MAGIC {
		unix.Close(fd)
		return -1, fmt.Errorf("%s is not a namespace", key)
	}
	return fd, nil
}
