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

// defaultExecRoot is the exec root GenerateKey uses: the default exec root
// of the project's configuration (config.DefaultExecRoot), so that keys of
// the seed's GenerateKey and of a controller with the default
// configuration live in one directory, /run/cnmkit/netns.
const defaultExecRoot = "/run/cnmkit"

// GenerateKey returns the sandbox key of a container under the default
// exec root: /run/cnmkit/netns/<the first 12 characters of containerID>.
// An ID that starts with '-' is kept whole (it names a key of its own, not
// a container). Characters other than letters, digits, '-', '_' and '.'
// become '_', as with GenerateKeyAt.
func GenerateKey(containerID string) string {
	if strings.HasPrefix(containerID, "-") {
		return filepath.Join(defaultExecRoot, netnsDir, sanitizeID(containerID))
	}
	return GenerateKeyAt(defaultExecRoot, containerID)
}

// GenerateKeyAt returns the sandbox key (the path its namespace is pinned at)
// for a container: <execRoot>/netns/<first 12 characters of containerID>.
// Characters other than letters, digits, '-', '_' and '.' become '_', so the
// key always stays inside <execRoot>/netns.
func GenerateKeyAt(execRoot, containerID string) string {
	id := containerID
	if len(id) > shortIDLen {
		id = id[:shortIDLen]
	}
	return filepath.Join(execRoot, netnsDir, sanitizeID(id))
}

// sanitizeID makes id a single safe file name.
func sanitizeID(id string) string {
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
	return id
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

// GCAt removes the namespaces pinned under <execRoot>/netns whose keys are not
// in keep (keys are full paths, as GenerateKey and Sandbox.Key return them),
// together with any other leftover file there. A missing directory is not an
// error. It goes on after a failure and returns the first error.
func GCAt(execRoot string, keep map[string]bool) error {
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
		garbage.forget(key)
		logrus.WithField("key", key).Debug("osl: removed leftover sandbox")
	}
	return first
}
