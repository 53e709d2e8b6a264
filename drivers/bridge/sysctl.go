package bridge

import (
	"os"
	"strings"
	"sync"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/vishvananda/netns"
)

// sysctlState remembers the host-namespace sysctls the driver has already
// made sure of, so that each is read (and written) at most once.
type sysctlState struct {
	mu   sync.Mutex
	done map[string]bool
}

// ensure sets each of paths (under /proc/sys) to "1" in the namespace h,
// writing only those that are not. With optional, paths that do not exist
// there are skipped (for example /proc/sys/net/bridge without the
// br_netfilter module: it is never loaded by us).
func (s *sysctlState) ensure(h netns.NsHandle, optional bool, paths ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done == nil {
		s.done = map[string]bool{}
	}
	var todo []string
	for _, p := range paths {
		if !s.done[p] {
			todo = append(todo, p)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	err := ns.WithNetNS(h, func() error {
		for _, p := range todo {
			cur, err := os.ReadFile(p)
			if err != nil {
				if optional && os.IsNotExist(err) {
					continue
				}
				return types.InternalErrorf("read %s: %w", p, err)
			}
			if strings.TrimSpace(string(cur)) != "1" {
				if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
					return types.InternalErrorf("write 1 to %s: %w", p, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range todo {
		s.done[p] = true
	}
	return nil
}
