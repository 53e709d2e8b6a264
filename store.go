package libnetwork

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/cnmkit/libnetwork/datastore"
	"github.com/cnmkit/libnetwork/drivers/bridge"
	"github.com/cnmkit/libnetwork/drivers/overlay"
	"github.com/cnmkit/libnetwork/types"
	"github.com/docker/libkv/store"
)

// Store layout: one object per network, endpoint and sandbox, each written
// at most once per API call (see DESIGN principle 5).
const (
	networkKeyPrefix  = datastore.NetworkKeyPrefix
	endpointKeyPrefix = datastore.EndpointKeyPrefix
	sandboxKeyPrefix  = "sandbox"
)

// initStores opens the stores of every valid scope of the configuration.
func (c *controller) initStores() error {
	cfg := c.config()
	c.storeMu.Lock()
	defer c.storeMu.Unlock()
	c.stores = make(map[string]datastore.DataStore)
	for scope, scfg := range cfg.Scopes {
		if scfg == nil || !scfg.IsValid() {
			continue
		}
		ds, err := datastore.NewDataStore(scope, scfg)
		if err != nil {
			for _, s := range c.stores {
				s.Close()
			}
			c.stores = nil
			return types.InternalErrorf("open %s store (%s at %q): %w", scope, scfg.Client.Provider, scfg.Client.Address, err)
		}
		if scope == datastore.LocalScope {
			if ds, err = c.splitRuntime(ds, scfg); err != nil {
				for _, s := range c.stores {
					s.Close()
				}
				c.stores = nil
				return err
			}
		}
		c.stores[scope] = ds
	}
	if c.stores[datastore.LocalScope] == nil {
		for _, s := range c.stores {
			s.Close()
		}
		c.stores = nil
		return ErrDataStoreNotInitialized(datastore.LocalScope)
	}
	return nil
}

// runtimeStoreFile is the boltdb file, in the exec root, of the records of
// endpoints and sandboxes.
const runtimeStoreFile = "runtime-kv.db"

// splitRuntime puts the records of endpoints and sandboxes (the
// controller's and the drivers') in a boltdb file of the exec root, when
// the local store is a boltdb file: they describe kernel state that a
// reboot ends, as it empties the exec root (a tmpfs on a Linux host), and
// there they cost no disk flush per change.
func (c *controller) splitRuntime(local datastore.DataStore, scfg *datastore.ScopeCfg) (datastore.DataStore, error) {
	root := c.execRoot()
	if scfg.Client.Provider != string(store.BOLTDB) || root == "" {
		return local, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		local.Close()
		return nil, types.InternalErrorf("create exec root %s: %w", root, err)
	}
	rcfg := *scfg
	rcfg.Client.Address = filepath.Join(root, runtimeStoreFile)
	rt, err := datastore.NewDataStore(datastore.LocalScope, &rcfg)
	if err != nil {
		local.Close()
		return nil, types.InternalErrorf("open the run-time store %s: %w", rcfg.Client.Address, err)
	}
	return datastore.Split(local, rt, endpointKeyPrefix, sandboxKeyPrefix, bridge.EndpointKeyPrefix, overlay.EndpointKeyPrefix), nil
}

func (c *controller) closeStores() {
	c.storeMu.Lock()
	defer c.storeMu.Unlock()
	for _, s := range c.stores {
		s.Close()
	}
	c.stores = nil
}

// getStore returns the store of scope, or nil.
func (c *controller) getStore(scope string) datastore.DataStore {
	c.storeMu.RLock()
	defer c.storeMu.RUnlock()
	return c.stores[scope]
}

// putObject writes o (compare-and-swap on its index) to the store of its scope.
func (c *controller) putObject(o datastore.KVObject) error {
	if o.Skip() {
		return nil
	}
	s := c.getStore(o.DataScope())
	if s == nil {
		return ErrDataStoreNotInitialized(o.DataScope())
	}
	if err := s.PutObjectAtomic(o); err != nil {
		if errors.Is(err, datastore.ErrKeyModified) {
			return types.ConflictErrorf("store object %s was modified by someone else: %w", datastore.Key(o.Key()...), err)
		}
		if types.IsNoService(err) || types.IsTimeout(err) {
			return err // names the store and its address
		}
		return types.InternalErrorf("write %s to the %s store: %w", datastore.Key(o.Key()...), o.DataScope(), err)
	}
	return nil
}

// deleteObject removes o from the store of its scope; a missing key is fine.
func (c *controller) deleteObject(o datastore.KVObject) error {
	if o.Skip() || !o.Exists() {
		return nil
	}
	s := c.getStore(o.DataScope())
	if s == nil {
		return ErrDataStoreNotInitialized(o.DataScope())
	}
	if err := s.DeleteObjectAtomic(o); err != nil {
		if errors.Is(err, datastore.ErrKeyNotFound) {
			return nil
		}
		if errors.Is(err, datastore.ErrKeyModified) {
			// Someone rewrote it: delete whatever is there.
			if err := s.DeleteObject(o); err != nil && !errors.Is(err, datastore.ErrKeyNotFound) {
				return types.InternalErrorf("delete %s from the %s store: %w", datastore.Key(o.Key()...), o.DataScope(), err)
			}
			return nil
		}
		return types.InternalErrorf("delete %s from the %s store: %w", datastore.Key(o.Key()...), o.DataScope(), err)
	}
	return nil
}

// listObjects returns the objects under prefix in store s; an empty store
// is no error.
func listObjects(s datastore.DataStore, prefix []string, kind datastore.KVObject) ([]datastore.KVObject, error) {
	l, err := s.List(datastore.Key(prefix...), kind)
	if err != nil {
		if errors.Is(err, datastore.ErrKeyNotFound) {
			return nil, nil
		}
		if types.IsNoService(err) || types.IsTimeout(err) {
			return nil, err // names the store and its address
		}
		return nil, types.InternalErrorf("list %s in the %s store: %w", datastore.Key(prefix...), s.Scope(), err)
	}
	return l, nil
}

// kvMeta is the store bookkeeping shared by the record types.
type kvMeta = datastore.Meta
