package overlay

import (
	"strconv"
	"strings"

	"github.com/cnmkit/libnetwork/discoverapi"
	"github.com/cnmkit/libnetwork/types"
)

// minKeyLen is the shortest cluster key taken (gossip keys are 16, 24 or
// 32 bytes).
const minKeyLen = 16

// setKeys takes an EncryptionKeysConfig: the keyring is replaced, Keys[0]
// is primary. Tags are not used (keys are named by their hash).
func (d *driver) setKeys(data interface{}) error {
	cfg, ok := data.(discoverapi.DriverEncryptionConfig)
	if !ok {
		if p, isPtr := data.(*discoverapi.DriverEncryptionConfig); isPtr && p != nil {
			cfg, ok = *p, true
		}
	}
	if !ok {
		return types.BadRequestErrorf("overlay: encryption keys of type %T", data)
	}
	if len(cfg.Keys) == 0 {
		return types.BadRequestErrorf("overlay: encryption key configuration without a key")
	}
	next := espConfig{}
	for i, k := range cfg.Keys {
		if len(k) < minKeyLen {
			return types.BadRequestErrorf("overlay: encryption key %d (%s) is %d bytes: want at least %d", i, keyName(k), len(k), minKeyLen)
		}
		if next.find(k) >= 0 {
			return types.BadRequestErrorf("overlay: encryption key %d (%s) is listed twice", i, keyName(k))
		}
		next.keys = append(next.keys, newESPKey(k))
	}
	d.espMu.Lock()
	defer d.espMu.Unlock()
	if err := d.setESPConfig(next); err != nil {
		return err
	}
	d.markSeen()
	return nil
}

// updateKeys takes an EncryptionKeysUpdate, in the order that keeps
// traffic flowing: Key is added (receive and send states), then Primary
// is used for sending, then Prune is removed. The whole update is checked
// first: Primary must be held (or be Key), Prune must be held, must not be
// the primary afterwards, nor the last key, nor the only key a peer has
// been sending with since this host's last primary change.
func (d *driver) updateKeys(data interface{}) error {
	up, ok := data.(discoverapi.DriverEncryptionUpdate)
	if !ok {
		if p, isPtr := data.(*discoverapi.DriverEncryptionUpdate); isPtr && p != nil {
			up, ok = *p, true
		}
	}
	if !ok {
		return types.BadRequestErrorf("overlay: encryption key update of type %T", data)
	}
	d.espMu.Lock()
	defer d.espMu.Unlock()
	if len(d.esp.keys) == 0 {
		return types.ForbiddenErrorf("overlay: encryption key update before any key configuration")
	}
	next := d.esp.clone()
	if up.Key != nil {
		if len(up.Key) < minKeyLen {
			return types.BadRequestErrorf("overlay: new encryption key %s is %d bytes: want at least %d", keyName(up.Key), len(up.Key), minKeyLen)
		}
		if next.find(up.Key) < 0 {
			next.keys = append(next.keys, newESPKey(up.Key))
		}
	}
	added := next.clone()
	if up.Primary != nil {
		i := next.find(up.Primary)
		if i < 0 {
			return types.BadRequestErrorf("overlay: primary encryption key %s is not a key of this host", keyName(up.Primary))
		}
		next.primary = i
	}
	switched := next.clone()
	if up.Prune != nil {
		i := next.find(up.Prune)
		if i < 0 {
			return types.NotFoundErrorf("overlay: encryption key %s to remove is not a key of this host", keyName(up.Prune))
		}
		if i == next.primary {
			return types.ForbiddenErrorf("overlay: encryption key %s to remove is the primary key, in use for sending", keyName(up.Prune))
		}
		if len(next.keys) == 1 {
			return types.ForbiddenErrorf("overlay: encryption key %s is the last key", keyName(up.Prune))
		}
		peer, err := d.inUseByPeer(next.keys[i])
		if err != nil {
			return err
		}
		if peer != nil {
			return types.ForbiddenErrorf("overlay: encryption key %s is in use by peer %s, which has sent with no other key since this host's primary key changed: make the new key primary there first", keyName(up.Prune), peer)
		}
		next.keys = append(next.keys[:i:i], next.keys[i+1:]...)
		if next.primary > i {
			next.primary--
		}
	}
	before := d.esp.clone()
	for _, step := range []espConfig{added, switched, next} {
		if err := d.setESPConfig(step); err != nil {
			if rerr := d.setESPConfig(before); rerr != nil {
				return types.InternalErrorf("overlay: %w (and restoring the previous keys: %v)", err, rerr)
			}
			return err
		}
	}
	if up.Primary != nil && before.keys[before.primary].tag != next.keys[next.primary].tag {
		d.markSeen()
	}
	return nil
}

// hasKeys reports whether the driver has cluster keys.
func (d *driver) hasKeys() bool {
	d.espMu.Lock()
	defer d.espMu.Unlock()
	return len(d.esp.keys) > 0
}

// espSupport returns nil when the kernel takes ESP states (probed once),
// else a NotImplementedError naming what is missing.
func (d *driver) espSupport() error {
	d.espMu.Lock()
	defer d.espMu.Unlock()
	if !d.espProbed {
		d.espErr = probeESP(d.xfrm)
		d.espProbed = true
	}
	return d.espErr
}

// parseEncrypted reads the value of EncryptedOption: a boolean, or empty
// (the option given without a value, as `--opt encrypted`) for true.
func parseEncrypted(nid, v string) (bool, error) {
	if strings.TrimSpace(v) == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, types.BadRequestErrorf("overlay: network %s: option %s=%q is not a boolean", nid, EncryptedOption, v)
	}
	return b, nil
}
