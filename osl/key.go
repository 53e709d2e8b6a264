package osl

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/cnmkit/libnetwork/ns"
	"github.com/cnmkit/libnetwork/types"
	"github.com/sirupsen/logrus"
)

// netnsDir is the directory under the exec root that holds sandbox keys.
const netnsDir = "netns"

// shortIDLen is how many characters of a container ID name its sandbox key.
const shortIDLen = 12

// GenerateKey returns the sandbox key (the path its namespace is pinned at)
// for a container: <execRoot>/netns/<first 12 characters of containerID>.
// Characters other than letters, digits, '-', '_' and '.' become '_', so the
// key always stays inside <execRoot>/netns.
func GenerateKey(execRoot, containerID string) string {
	id := containerID
	if len(id) > shortIDLen {
		id = id[:shortIDLen]
	}
	b := []byte(id)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			b[i] = '_'
		}
	}
	id = string(b)
	if id == "" || strings.Trim(id, ".") == "" {
		id = "_" + id
	}
	return filepath.Join(execRoot, netnsDir, id)
}

// validateKey checks a sandbox key given by a caller.
func validateKey(key string) error {
	if key == "" {
		return types.BadRequestErrorf("sandbox key is empty")
	}
	if !filepath.IsAbs(key) || filepath.Clean(key) != key || key == "/" {
		return types.BadRequestErrorf("sandbox key %q is not a clean absolute file path", key)
	}
	return nil
}

// GC removes the namespaces pinned under <execRoot>/netns whose keys are not
// in keep (keys are full paths, as GenerateKey and Sandbox.Key return them),
// together with any other leftover file there. A missing directory is not an
// error. It goes on after a failure and returns the first error.
func GC(execRoot string, keep map[string]bool) error {
	dir := filepath.Join(execRoot, netnsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		return types.InternalErrorf("read sandbox dir %q: %w", dir, err)
	}
	var first error
	for _, e := range entries {
		key := filepath.Join(dir, e.Name())
		if keep[key] || e.IsDir() {
			continue
		}
		if err := ns.RemovePinned(key); err != nil {
			logrus.WithFields(logrus.Fields{"key": key, "error": err}).Warn("osl: remove leftover sandbox")
			if first == nil {
				first = err
			}
			continue
		}
		logrus.WithField("key", key).Debug("osl: removed leftover sandbox")
	}
	return first
}
