// Package plugins finds, activates and calls Docker-style plugins: HTTP
// over a unix socket or TCP, discovered by name the way Docker's daemon
// does (NAME.sock under the socket dirs, NAME.spec or NAME.json under the
// spec dirs), activated with POST /Plugin.Activate.
package plugins

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// Docker's plugin directories, searched by default so that plugins
// installed for Docker are found.
var (
	DefaultSocketDirs = []string{"/run/docker/plugins"}
	DefaultSpecDirs   = []string{"/etc/docker/plugins", "/usr/lib/docker/plugins"}
)

// TLSConfig is the TLS part of a NAME.json spec file.
type TLSConfig struct {
	InsecureSkipVerify bool
	CAFile             string
	CertFile           string
	KeyFile            string
}

// Spec says where a plugin listens: Addr is a URL (unix:///path or
// tcp://host:port), as in a NAME.spec or NAME.json file.
type Spec struct {
	Name      string
	Addr      string
	TLSConfig *TLSConfig `json:",omitempty"`
}

// ValidName reports why name cannot name a plugin, or nil.
func ValidName(name string) error {
	if strings.TrimSpace(name) == "" || name != strings.TrimSpace(name) {
		return types.BadRequestErrorf("invalid plugin name %q: empty or padded with blanks", name)
	}
	if strings.ContainsAny(name, "/\\\x00") || name == "." || name == ".." {
		return types.BadRequestErrorf("invalid plugin name %q: path separators and dot names are not allowed", name)
	}
	return nil
}

// Lookup finds plugin name: first NAME.sock (or NAME/NAME.sock) in the
// socket dirs, then NAME.spec or NAME.json (or under NAME/) in the spec
// dirs. A missing plugin is a NotFound error naming the dirs searched.
func Lookup(name string, socketDirs, specDirs []string) (*Spec, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	for _, dir := range socketDirs {
		for _, p := range []string{filepath.Join(dir, name+".sock"), filepath.Join(dir, name, name+".sock")} {
			fi, err := os.Stat(p)
			if err != nil {
				continue
			}
			if fi.Mode()&os.ModeSocket == 0 {
				return nil, types.BadRequestErrorf("plugin %q: %s is not a unix socket (mode %s)", name, p, fi.Mode())
			}
			return &Spec{Name: name, Addr: "unix://" + p}, nil
		}
	}
	for _, dir := range specDirs {
		for _, base := range []string{filepath.Join(dir, name), filepath.Join(dir, name, name)} {
			for _, ext := range []string{".spec", ".json"} {
				p := base + ext
				data, err := os.ReadFile(p)
				if err != nil {
					if os.IsNotExist(err) {
						continue
					}
					return nil, types.InternalErrorf("plugin %q: read %s: %w", name, p, err)
				}
				return parseSpec(name, p, ext, data)
			}
		}
	}
	return nil, types.NotFoundErrorf("plugin %q not found: no %s.sock in %v, no %s.spec or %s.json in %v",
		name, name, socketDirs, name, name, specDirs)
}

// parseSpec reads a spec file's content: a URL line (.spec) or a Spec
// in JSON (.json).
func parseSpec(name, path, ext string, data []byte) (*Spec, error) {
	s := &Spec{Name: name}
	if ext == ".json" {
		if err := json.Unmarshal(data, s); err != nil {
			return nil, types.BadRequestErrorf("plugin %q: spec file %s: %w", name, path, err)
		}
		s.Name = name
	} else {
		s.Addr = strings.TrimSpace(string(data))
	}
	if err := checkAddr(s.Addr); err != nil {
		return nil, types.BadRequestErrorf("plugin %q: spec file %s: %w", name, path, err)
	}
	return s, nil
}

// checkAddr accepts unix:///abs/path and tcp://host:port URLs.
func checkAddr(addr string) error {
	u, err := url.Parse(addr)
	if err != nil {
		return types.BadRequestErrorf("bad plugin address %q: %w", addr, err)
	}
	switch u.Scheme {
	case "unix":
		if !filepath.IsAbs(u.Path) {
			return types.BadRequestErrorf("bad plugin address %q: unix socket path must be absolute", addr)
		}
	case "tcp", "http", "https":
		if u.Host == "" || u.Port() == "" {
			return types.BadRequestErrorf("bad plugin address %q: want tcp://host:port", addr)
		}
	default:
		return types.BadRequestErrorf("bad plugin address %q: scheme must be unix or tcp", addr)
	}
	return nil
}
