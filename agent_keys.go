package libnetwork

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/driverapi"
)

// The cluster keys reach the drivers too (the overlay driver derives the
// keys of its encrypted networks from them): the agent sends them at start
// (discoverapi.EncryptionKeysConfig, Keys[0] primary) and each rotation of
// ReloadConfiguration as EncryptionKeysUpdate events in the order that
// keeps traffic flowing: every new key, then the new primary, then every
// removed key. A driver that refuses a step gets the previous keys back
// (EncryptionKeysConfig) and the reload fails with its error, before the
// gossip keyring is touched.

// keyTag is the tag of a cluster key in the drivers' events.
func keyTag(k []byte) uint64 {
	sum := sha256.Sum256(k)
	return binary.BigEndian.Uint64(sum[:8])
}

func keyConfig(keys [][]byte) discoverapi.DriverEncryptionConfig {
	cfg := discoverapi.DriverEncryptionConfig{}
	for _, k := range keys {
		cfg.Keys = append(cfg.Keys, append([]byte(nil), k...))
		cfg.Tags = append(cfg.Tags, keyTag(k))
	}
	return cfg
}

// configureDriverKeys tells every driver the cluster keys (none: nothing).
func (a *agent) configureDriverKeys(keys [][]byte) {
	if len(keys) == 0 {
		return
	}
	cfg := keyConfig(keys)
	a.c.reg.WalkDrivers(func(name string, d driverapi.Driver, _ driverapi.Capability) bool {
		if err := d.DiscoverNew(discoverapi.EncryptionKeysConfig, cfg); err != nil {
			a.log.WithField("driver", name).WithError(err).Warn("encryption keys")
		}
		return false
	})
}

// keyUpdates are the driver events that move the keys from old to next.
func keyUpdates(old, next [][]byte) []discoverapi.DriverEncryptionUpdate {
	has := func(l [][]byte, k []byte) bool {
		for _, x := range l {
			if bytes.Equal(x, k) {
				return true
			}
		}
		return false
	}
	var ups []discoverapi.DriverEncryptionUpdate
	for _, k := range next {
		if !has(old, k) {
			ups = append(ups, discoverapi.DriverEncryptionUpdate{Key: k, Tag: keyTag(k)})
		}
	}
	if len(next) > 0 && (len(old) == 0 || !bytes.Equal(old[0], next[0])) {
		ups = append(ups, discoverapi.DriverEncryptionUpdate{Primary: next[0], PrimaryTag: keyTag(next[0])})
	}
	for _, k := range old {
		if !has(next, k) {
			ups = append(ups, discoverapi.DriverEncryptionUpdate{Prune: k, PruneTag: keyTag(k)})
		}
	}
	return ups
}

// rotateDriverKeys sends the drivers the rotation from old to next; on a
// refusal every driver already told gets old back and the error returns.
func (a *agent) rotateDriverKeys(old, next [][]byte) error {
	ups := keyUpdates(old, next)
	if len(ups) == 0 || len(old) == 0 {
		return nil
	}
	var told []driverapi.Driver
	var ferr error
	a.c.reg.WalkDrivers(func(name string, d driverapi.Driver, _ driverapi.Capability) bool {
		told = append(told, d)
		for _, u := range ups {
			if err := d.DiscoverNew(discoverapi.EncryptionKeysUpdate, u); err != nil {
				ferr = err
				return true
			}
		}
		return false
	})
	if ferr != nil {
		cfg := keyConfig(old)
		for _, d := range told {
			if err := d.DiscoverNew(discoverapi.EncryptionKeysConfig, cfg); err != nil {
				a.log.WithError(err).Warn("restore the drivers' encryption keys")
			}
		}
	}
	return ferr
}

// restoreDriverKeys gives every driver the keys back after a failed reload.
func (a *agent) restoreDriverKeys(keys [][]byte) { a.configureDriverKeys(keys) }
