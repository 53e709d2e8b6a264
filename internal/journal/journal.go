// Package journal keeps intent records: one small file per operation in
// flight, written before the operation's first kernel or store change and
// removed after its last, so that the next start can tell what a killed
// process was doing and finish or undo it.
//
// Records live under the exec root (a run directory, gone with the host's
// kernel state at reboot). Each is written to a temporary file and renamed
// into place, so a kill at any instant leaves either no record or a whole
// one. They are not synced: they guard against the death of the process,
// whose page cache the kernel keeps, not of the machine, whose kernel state
// goes too.
package journal

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// Journal is a directory of intent records.
type Journal struct {
	dir string
}

// Open returns the journal in dir, creating the directory.
func Open(dir string) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, types.InternalErrorf("create intent journal %s: %w", dir, err)
	}
	return &Journal{dir: dir}, nil
}

// Dir is the journal's directory.
func (j *Journal) Dir() string { return j.dir }

// Begin records v under key (a file name: no "/"), replacing a record of
// that key; the returned func removes it.
func (j *Journal) Begin(key string, v interface{}) (func(), error) {
	if key == "" || strings.ContainsAny(key, "/\x00") || strings.HasPrefix(key, ".") {
		return nil, types.BadRequestErrorf("invalid intent key %q", key)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, types.InternalErrorf("encode intent %s: %w", key, err)
	}
	path := filepath.Join(j.dir, key)
	tmp := filepath.Join(j.dir, "."+key+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return nil, types.InternalErrorf("write intent %s: %w", key, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return nil, types.InternalErrorf("write intent %s: %w", key, err)
	}
	return func() { _ = j.Remove(key) }, nil
}

// Remove removes the record of key (none is not an error).
func (j *Journal) Remove(key string) error {
	if err := os.Remove(filepath.Join(j.dir, key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return types.InternalErrorf("remove intent %s: %w", key, err)
	}
	return nil
}

// Record is one intent left in the journal.
type Record struct {
	Key  string
	data []byte
}

// Decode decodes the record into v.
func (r Record) Decode(v interface{}) error {
	if err := json.Unmarshal(r.data, v); err != nil {
		return types.InternalErrorf("decode intent %s: %w", r.Key, err)
	}
	return nil
}

// List returns the records whose key starts with prefix, sorted by key;
// half-written temporary files are removed.
func (j *Journal) List(prefix string) ([]Record, error) {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, types.InternalErrorf("list intents in %s: %w", j.dir, err)
	}
	var out []Record
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			if strings.HasPrefix(name, "."+prefix) {
				_ = os.Remove(filepath.Join(j.dir, name))
			}
			continue
		}
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(j.dir, name))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, types.InternalErrorf("read intent %s: %w", name, err)
		}
		out = append(out, Record{Key: name, data: b})
	}
	return out, nil
}
