package resolvconf

import (
	"os"
	"slices"
	"sync"
)

// changeTracker remembers the content of the host file it last reported.
type changeTracker struct {
	mu      sync.Mutex
	hash    string
	content []byte
}

// host tracks the host's resolv.conf for GetIfChanged and GetLastModified.
var host changeTracker

// GetIfChanged reads the host's resolv.conf (the file Path names) and
// returns it when its hash differs from the content the previous call
// returned (the first call always returns it), or nil and no error when it
// is unchanged.
func GetIfChanged() (*File, error) {
	return host.ifChanged(Path())
}

// GetLastModified returns the host's resolv.conf content and hash as the
// last GetIfChanged that reported a change read them (empty before any).
func GetLastModified() *File {
	return host.last()
}

func (c *changeTracker) ifChanged(path string) (*File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, ioError("read resolv.conf", path, err)
	}
	h := HashData(b)
	if h == c.hash {
		return nil, nil
	}
	c.hash, c.content = h, b
	return &File{Content: slices.Clone(b), Hash: h}, nil
}

func (c *changeTracker) last() *File {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &File{Content: slices.Clone(c.content), Hash: c.hash}
}
