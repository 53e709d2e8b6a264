package datastore

import (
	"strings"

	"github.com/cnmkit/libnetwork/types"
)

// KeyRoot is the prefix of every object key.
const KeyRoot = "cnmkit/network/v1.0/"

var rootChain = strings.Split(strings.TrimSuffix(KeyRoot, "/"), "/")

// Key returns the store key of the given path components: KeyRoot, the
// components joined by "/", and a trailing "/" so that a key is never a
// prefix of a sibling's key ("a/" does not match "ab/"). Key() is KeyRoot.
func Key(parts ...string) string {
	if len(parts) == 0 {
		return KeyRoot
	}
	return KeyRoot + strings.Join(parts, "/") + "/"
}

// ParseKey returns the path components of a key made by Key. A key outside
// KeyRoot, or KeyRoot itself, is a types.BadRequestError.
func ParseKey(key string) ([]string, error) {
	chain := strings.Split(strings.Trim(key, "/"), "/")
	if len(chain) <= len(rootChain) {
		return nil, types.BadRequestErrorf("invalid datastore key %q: no components under %q", key, KeyRoot)
	}
	for i, c := range rootChain {
		if chain[i] != c {
			return nil, types.BadRequestErrorf("invalid datastore key %q: not under %q", key, KeyRoot)
		}
	}
	return chain[len(rootChain):], nil
}
