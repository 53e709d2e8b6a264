// Package resolvconf reads, filters, builds and writes resolv.conf files for
// sandboxes.
//
// A sandbox's file starts from the host's (Get), filtered by FilterResolvDNS
// (FilterResolvDNSWithFallback to name fallback servers):
// loopback nameservers are dropped (they mean the host itself, not reachable
// from a sandbox), and so are IPv6 ones when IPv6 is off. When no nameserver
// is left, only the fallback servers the caller passes are used; this package
// never adds public servers of its own. The OptionDNS, OptionDNSSearch and
// OptionDNSOptions values replace the matching lists (Conf.Override), and a
// sandbox served by the embedded DNS server gets "nameserver 127.0.0.11" with
// the real upstreams handed back as forwarders (Conf.ForEmbeddedDNS).
//
// Writes are atomic (temporary file in the same directory, fsync, rename;
// the mode of the old file is kept). Every write returns the SHA-256 hash of
// what was written; no ".hash" file is kept on disk. The caller stores the
// hash (in its sandbox state) and updates the file with WriteIfUnchanged,
// which leaves alone a file whose content no longer has that hash — a file
// the user has edited since.
//
// Note for embedders: rename gives the file a new inode, so bind-mount the
// directory holding it rather than the file itself if changes must reach a
// running container.
package resolvconf

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/cnmkit/libnetwork/internal/atomicfile"
	"io/fs"
	"os"
	"slices"

	"github.com/cnmkit/libnetwork/types"
)

const (
	// DefaultPath is the host's resolv.conf.
	DefaultPath = "/etc/resolv.conf"
	// systemdResolvedPath lists the real upstreams when the host's file
	// points at the systemd-resolved stub listener.
	systemdResolvedPath = "/run/systemd/resolve/resolv.conf"
	systemdStub         = "127.0.0.53"
)

// File is the content of a resolv.conf file and its hash.
type File struct {
	Content []byte
	// Hash is HashData(Content).
	Hash string
}

// HashData returns the hash of content as "sha256:<hex>".
func HashData(content []byte) string {
	sum := sha256.Sum256(content)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Path returns the host file a sandbox's resolv.conf should start from:
// DefaultPath, or systemd-resolved's list of real upstreams when the only
// nameserver of DefaultPath is its stub listener 127.0.0.53.
func Path() string {
	return pathFrom(DefaultPath, systemdResolvedPath)
}

func pathFrom(def, resolved string) string {
	b, err := os.ReadFile(def)
	if err != nil {
		return def
	}
	ns := Parse(b).Nameservers
	if len(ns) != 1 || ns[0] != systemdStub {
		return def
	}
	if _, err := os.Stat(resolved); err != nil {
		return def
	}
	return resolved
}

// Get reads the host's resolv.conf (the file Path names).
func Get() (*File, error) {
	return GetSpecific(Path())
}

// GetSpecific reads the resolv.conf at path.
func GetSpecific(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, ioError("read resolv.conf", path, err)
	}
	return &File{Content: b, Hash: HashData(b)}, nil
}

// Build validates dns, dnsSearch and dnsOptions and writes a resolv.conf
// holding just them to path. A search list of just "." writes no search
// line. An empty dns list writes no nameserver line: no server is invented.
func Build(path string, dns, dnsSearch, dnsOptions []string) (*File, error) {
	if err := ValidateNameservers(dns); err != nil {
		return nil, err
	}
	if err := ValidateSearchDomains(dnsSearch); err != nil {
		return nil, err
	}
	if err := ValidateOptions(dnsOptions); err != nil {
		return nil, err
	}
	c := &Conf{Nameservers: dns, Search: searchList(dnsSearch), Options: dnsOptions}
	return Write(path, c.Bytes())
}

// Write replaces the file at path with content, atomically, and returns
// what it wrote with its hash.
func Write(path string, content []byte) (*File, error) {
	defer atomicfile.Lock(path)()
	if err := atomicfile.WriteFile(path, content); err != nil {
		return nil, ioError("write resolv.conf", path, err)
	}
	return &File{Content: slices.Clone(content), Hash: HashData(content)}, nil
}

// WriteIfUnchanged replaces the file at path with content only if the file
// still has lastHash, the hash this package returned when it last wrote it.
// It reports whether the file now holds content, and the hash to keep: the
// new one, or lastHash when the file was left alone because the user
// changed or removed it.
func WriteIfUnchanged(path string, content []byte, lastHash string) (string, bool, error) {
	defer atomicfile.Lock(path)()
	cur, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return lastHash, false, nil
	}
	if err != nil {
		return "", false, ioError("read resolv.conf", path, err)
	}
	if HashData(cur) != lastHash {
		return lastHash, false, nil
	}
	newHash := HashData(content)
	if newHash == lastHash {
		return lastHash, true, nil
	}
	if err := atomicfile.WriteFile(path, content); err != nil {
		return "", false, ioError("write resolv.conf", path, err)
	}
	return newHash, true, nil
}

// ioError classes a file-system error: a missing file is NotFound, anything
// else Internal.
func ioError(op, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return types.NotFoundErrorf("%s %s: %w", op, path, err)
	}
	return types.InternalErrorf("%s %s: %w", op, path, err)
}
